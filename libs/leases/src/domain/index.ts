export * from './asn.js';
export * from './lease-terms.js';
export * from './lifecycle.js';
export * from './units.js';
export * from './risks.js';
export * from './billing.js';
