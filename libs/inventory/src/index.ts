export * from './domain/block.js';
export * from './domain/holdership.js';
export * from './blocks.service.js';
export * from './mandates.service.js';
export * from './verification.service.js';
export * from './inventory.module.js';

/** The TypeORM entities of this context (it reads and writes with SQL), for the data source. */
export const INVENTORY_ENTITIES: Function[] = [];
