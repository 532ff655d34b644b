export * from './domain/deadline.js';
export * from './domain/notification-mail.js';
export * from './deadline-sources.js';
export * from './deadlines.service.js';
export * from './notification-scan.js';
export * from './notifications.service.js';
export * from './rir-standing.service.js';
export * from './deadlines.module.js';

/** The TypeORM entities of this context (it reads and writes with SQL), for the data source. */
export const DEADLINES_ENTITIES: Function[] = [];
export * from './calendar/index.js';
export * from './webhooks/index.js';
