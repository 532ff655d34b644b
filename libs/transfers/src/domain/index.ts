export * from './rir-policy.js';
