export * from './escrow-state.js';
export * from './release-split.js';
export * from './inputs.js';
export * from './statement-plan.js';
