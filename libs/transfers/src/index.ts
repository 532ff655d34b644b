export * from './domain/index.js';
export * from './transfer-rows.js';
export * from './transfer-history.js';
export * from './transfers.service.js';
export * from './transfer-steps.js';
export * from './transfers.module.js';

/** The TypeORM entities of this context (it reads and writes with SQL), for the data source. */
export const TRANSFERS_ENTITIES: Function[] = [];
