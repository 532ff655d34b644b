export * from './domain/index.js';
export * from './lease-row.js';
export * from './space-commitments.js';
export * from './lease-history.js';
export * from './lease-registry.js';
export * from './leases.service.js';
export * from './due-leases.js';
export * from './lease-billing.js';
export * from './leases.module.js';

/** The TypeORM entities of this context (it reads and writes with SQL), for the data source. */
export const LEASES_ENTITIES: Function[] = [];
