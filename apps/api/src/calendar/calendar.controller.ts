import { Controller, Delete, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, OwnAuthentication, Roles } from '@app/identity';
import { ValidQuery } from '@app/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEADLINE_KIND_NAMES } from '@app/deadlines';
import { CalendarFeedTokens, DeadlinesCalendar } from '@app/deadlines';
import { type CalendarFeedQuery, calendarFeedQuery } from './calendar.dto.js';
import { CalendarFeedAuthGuard } from './feed-auth.guard.js';

export const CALENDAR_FEED_PATH = '/v1/deadlines.ics';

/** The deadlines as an iCalendar feed (API.md "Deadlines and notifications") and its feed token. */
@ApiTags('deadlines')
@Controller('v1')
export class CalendarController {
  constructor(
    private readonly calendar: DeadlinesCalendar,
    private readonly tokens: CalendarFeedTokens,
  ) {}

  @Get('deadlines.ics')
  @OwnAuthentication()
  @UseGuards(CalendarFeedAuthGuard)
  @ApiQuery({ name: 'within', required: false, description: 'Only deadlines due within this ISO 8601 duration (P30D); overdue ones too' })
  @ApiQuery({ name: 'kind', required: false, enum: DEADLINE_KIND_NAMES })
  @ApiQuery({ name: 'token', required: false, description: "The organisation's calendar feed token, for calendar apps that cannot send the Authorization header" })
  @ApiProduces('text/calendar')
  @ApiOkResponse({ description: 'RFC 5545 iCalendar: one VEVENT per deadline, its UID stable across fetches', schema: { type: 'string' } })
  @ApiOperation({ summary: 'The deadlines of GET /v1/deadlines as an iCalendar feed (bearer header or ?token=)' })
  async feed(@CurrentActor() actor: Actor, @ValidQuery(calendarFeedQuery) q: CalendarFeedQuery, @Res({ passthrough: true }) reply: FastifyReply) {
    const ics = await this.calendar.render(actor, { within: q.within, kind: q.kind });
    // The feed holds an organisation's deadlines, and its URL may hold a secret: keep it out of shared caches.
    void reply.header('content-type', 'text/calendar; charset=utf-8').header('cache-control', 'private, no-store');
    return ics;
  }

  @Post('calendar-feed-token')
  @HttpCode(201)
  @Roles('admin', 'ops')
  @ApiCreatedResponse({ description: '`{ token, url }`: the token is shown once; the url is the feed with ?token=' })
  @ApiOperation({ summary: "A new calendar feed token for your organisation (org admin or ops); the previous one stops working" })
  async issue(@CurrentActor() actor: Actor, @Req() req: FastifyRequest) {
    const issued = await this.tokens.issue(actor, req.id);
    return { token: issued.token, url: feedUrl(req, issued.token) };
  }

  @Delete('calendar-feed-token')
  @HttpCode(204)
  @Roles('admin', 'ops')
  @ApiOperation({ summary: "Revoke your organisation's calendar feed token (org admin or ops); its URL answers 401 from then on" })
  async revoke(@CurrentActor() actor: Actor, @Req() req: FastifyRequest): Promise<void> {
    await this.tokens.revoke(actor, req.id);
  }
}

/**
 * The feed's URL as the caller reached this API (its Host header): there is no configured
 * public URL. Relative when the Host header cannot make one.
 */
function feedUrl(req: FastifyRequest, token: string): string {
  const path = `${CALENDAR_FEED_PATH}?token=${encodeURIComponent(token)}`;
  try {
    return new URL(path, `${req.protocol}://${req.host}`).toString();
  } catch {
    return path;
  }
}
