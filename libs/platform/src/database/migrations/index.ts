import { Foundation1764300000000 } from './1764300000000-foundation.js';

/** Every migration, oldest first. Listed by hand so that the same list serves tsc output and Jest. */
export const MIGRATIONS = [Foundation1764300000000];
