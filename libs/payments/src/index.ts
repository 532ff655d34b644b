export * from './domain/decimal-amount.js';
export * from './domain/funding-reference.js';
export * from './domain/bank-statement.js';
export * from './domain/statement-matching.js';
export * from './stripe/stripe-calls.js';
export * from './payments.module.js';
