import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { CalendarModule } from '@app/deadlines';
import { CalendarController } from './calendar.controller.js';
import { CalendarFeedAuthGuard } from './feed-auth.guard.js';

/** The HTTP face of the deadlines calendar feed. */
@Module({
  imports: [IdentityModule, CalendarModule],
  controllers: [CalendarController],
  providers: [CalendarFeedAuthGuard],
})
export class CalendarApiModule {}
