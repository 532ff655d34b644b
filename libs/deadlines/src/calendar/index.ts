export { type CalendarOptions, eventUid, renderCalendar } from './icalendar.js';
export { CalendarFeedTokens, FEED_TOKEN_PREFIX, type IssuedFeedToken, looksLikeFeedToken } from './feed-tokens.service.js';
export { type CalendarQuery, DeadlinesCalendar } from './deadlines-calendar.service.js';
export { CalendarModule } from './calendar.module.js';
