import { Injectable } from '@nestjs/common';
import { type Actor, IdentityService } from '@app/identity';
import { Clock } from '@app/platform';
import type { DeadlineKind } from '../domain/deadline.js';
import { DeadlinesService } from '../deadlines.service.js';
import { renderCalendar } from './icalendar.js';

export interface CalendarQuery {
  /** Only deadlines due within this many ms (overdue ones included), as GET /v1/deadlines. */
  readonly within?: number;
  readonly kind?: DeadlineKind;
}

/** GET /v1/deadlines.ics: the same deadlines as GET /v1/deadlines, as one iCalendar document. */
@Injectable()
export class DeadlinesCalendar {
  constructor(
    private readonly deadlines: DeadlinesService,
    private readonly identity: IdentityService,
    private readonly clock: Clock,
  ) {}

  async render(actor: Actor, q: CalendarQuery): Promise<string> {
    const [deadlines, name, now] = await Promise.all([
      this.deadlines.list(actor, { within: q.within, kind: q.kind }),
      this.calendarName(actor),
      this.clock.now(),
    ]);
    return renderCalendar(deadlines, { name, now });
  }

  private async calendarName(actor: Actor): Promise<string> {
    if (actor.isPlatform) return 'IPv4 market deadlines (all organisations)';
    const org = await this.identity.organisationName(actor.orgId);
    return org ? `IPv4 market deadlines: ${org}` : 'IPv4 market deadlines';
  }
}
