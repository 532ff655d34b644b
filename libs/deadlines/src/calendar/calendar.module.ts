import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { DeadlinesModule } from '../deadlines.module.js';
import { DeadlinesCalendar } from './deadlines-calendar.service.js';
import { CalendarFeedTokens } from './feed-tokens.service.js';

/** The deadlines as an iCalendar feed, and the feed tokens calendar apps read it with. */
@Module({
  imports: [IdentityModule, DeadlinesModule],
  providers: [CalendarFeedTokens, DeadlinesCalendar],
  exports: [CalendarFeedTokens, DeadlinesCalendar],
})
export class CalendarModule {}
