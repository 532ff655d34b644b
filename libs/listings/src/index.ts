export * from './domain/listing.js';
export * from './domain/terms.js';
export * from './domain/free-units.js';
export * from './domain/transitions.js';
export * from './listing-row.js';
export * from './search/search-query.js';
export * from './search/search-row.js';
export * from './search/listing-search.service.js';
export * from './listings.service.js';
export * from './listings.module.js';

/** The TypeORM entities of this context (it reads and writes with SQL), for the data source. */
export const LISTINGS_ENTITIES: Function[] = [];
