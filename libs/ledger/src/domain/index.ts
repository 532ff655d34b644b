export * from './checks.js';
export * from './accounts.js';
export * from './entry.js';
