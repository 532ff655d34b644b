export * from './rir-policy.js';
export * from './stages.js';
export * from './risk-matrix.js';
