export * from './types.js';
export * from './prefix-math.js';
export * from './parse.js';
export * from './special-purpose.js';
export * from './aggregate.js';
