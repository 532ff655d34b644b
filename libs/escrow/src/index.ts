export * from './domain/index.js';
export * from './escrow-errors.js';
export * from './escrow-rows.js';
export * from './escrow-accounts.js';
export * from './escrow.service.js';
export * from './payout.service.js';
export * from './bank-statement-import.service.js';
export * from './reconciliation-report.js';
export * from './stripe-payouts.js';
export * from './stripe-events.js';
export * from './connected-accounts.js';
export * from './stripe-funding.js';
export * from './escrow.module.js';

/** The TypeORM entities of this context (it reads and writes with SQL), for the data source. */
export const ESCROW_ENTITIES: Function[] = [];
export * from './payment-provider.js';
