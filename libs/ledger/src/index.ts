export * from './domain/index.js';
export { LedgerError, type LedgerErrorCode } from './ledger-errors.js';
export * from './ledger-rows.js';
export * from './ledger.service.js';
export * from './ledger.module.js';
export * from './provider-movements.js';

/** The TypeORM entities of this context (it reads and writes with SQL), for the data source. */
export const LEDGER_ENTITIES: Function[] = [];
