import { Controller, Get, Put } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DEFAULT_WITHIN_MS, type Deadline, type DeadlineKind, DeadlinesService, NotificationsService, RirStanding } from '@app/deadlines';
import { type Actor, CurrentActor, Roles } from '@app/identity';
import { ApiIdParam, ApiJsonBody, IdParam, ValidBody, ValidQuery } from '@app/platform';
import type { z } from 'zod';
import { deadlinesQuery, notificationsQuery, rirStandingBody, settingsBody, settingsQuery } from './deadlines.dto.js';

function deadlineView(d: Deadline, actor: Actor) {
  return {
    id: d.id,
    kind: d.kind,
    dueAt: d.dueAt.toISOString(),
    subject: d.subject,
    status: d.status,
    title: d.title,
    // The organisations concerned: the platform sees them all, an organisation its own part.
    orgIds: actor.isPlatform ? d.orgIds : d.orgIds.filter((o) => o === actor.orgId),
  };
}

/** Deadlines, notifications and who gets them (API.md "Deadlines and notifications"). */
@ApiTags('deadlines')
@Controller('v1')
export class DeadlinesController {
  constructor(
    private readonly deadlines: DeadlinesService,
    private readonly notifications: NotificationsService,
    private readonly standing: RirStanding,
  ) {}

  @Get('deadlines')
  @ApiQuery({ name: 'within', required: false, description: 'ISO 8601 duration ahead of now (default P90D); overdue deadlines are always included' })
  @ApiQuery({ name: 'kind', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({
    summary: "Your organisation's deadlines (the platform: all), soonest first, overdue ones marked",
    description:
      'Kinds: lease.notice, lease.end, rir.fees_due, rir.services_stop, rir.revocation, roa.expiry, escrow.funding, escrow.registry_progress, transfer.stage_sla, mandate.expiry, pre_approval.expiry. Every time follows the sandbox clock when it travels.',
  })
  async list(@CurrentActor() actor: Actor, @ValidQuery(deadlinesQuery) q: z.output<typeof deadlinesQuery>) {
    const page = await this.deadlines.page(actor, {
      withinMs: q.within ?? DEFAULT_WITHIN_MS,
      limit: q.limit,
      ...(q.kind ? { kind: q.kind as DeadlineKind } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return { data: page.data.map((d) => deadlineView(d, actor)), nextCursor: page.nextCursor, now: page.now.toISOString() };
  }

  @Get('notifications')
  @ApiQuery({ name: 'kind', required: false })
  @ApiQuery({ name: 'deadlineId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({ summary: 'What was notified to your organisation (the platform: all), newest first: one per deadline and threshold (P30D, P7D, P1D, overdue)' })
  notificationsList(@CurrentActor() actor: Actor, @ValidQuery(notificationsQuery) q: z.output<typeof notificationsQuery>) {
    return this.notifications.list(actor, {
      limit: q.limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
      ...(q.kind ? { kind: q.kind as DeadlineKind } : {}),
      ...(q.deadlineId ? { deadlineId: q.deadlineId } : {}),
    });
  }

  @Get('notification-settings')
  @ApiQuery({ name: 'orgId', required: false, description: 'platform only: another organisation' })
  @ApiOperation({ summary: "The organisation's ops contacts: who receives deadline e-mails" })
  settings(@CurrentActor() actor: Actor, @ValidQuery(settingsQuery) q: z.output<typeof settingsQuery>) {
    return this.notifications.settings(actor, q.orgId ?? actor.orgId);
  }

  @Put('notification-settings')
  @Roles('admin', 'ops')
  @ApiQuery({ name: 'orgId', required: false, description: 'platform only: another organisation' })
  @ApiJsonBody(settingsBody)
  @ApiOperation({ summary: "Replaces the organisation's ops contacts (up to 20 e-mail addresses)" })
  setSettings(@CurrentActor() actor: Actor, @ValidQuery(settingsQuery) q: z.output<typeof settingsQuery>, @ValidBody(settingsBody) body: z.output<typeof settingsBody>) {
    return this.notifications.setSettings(actor, q.orgId ?? actor.orgId, body.opsEmails);
  }

  @Put('blocks/:id/rir-standing')
  @Roles('admin', 'trader', 'ops')
  @ApiIdParam()
  @ApiJsonBody(rirStandingBody)
  @ApiOperation({
    summary: "Records until when the holder's RIR fees for the block are paid (the holder, or the platform)",
    description:
      "Past that date the lessees' continuity risk is open; ARIN stops services 120 days past due and revokes at 180: each date is a deadline (rir.fees_due, rir.services_stop, rir.revocation) notified to the holder and the block's lessees.",
  })
  setRirStanding(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(rirStandingBody) body: z.output<typeof rirStandingBody>) {
    return this.standing.set(actor, id, body.paidUntil);
  }
}
