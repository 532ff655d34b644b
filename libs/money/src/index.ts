export * from './currencies.js';
export * from './money.js';
export * from './arithmetic.js';
export * from './allocate.js';
