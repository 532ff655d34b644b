import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Outbox } from '../outbox/outbox.js';

/** Something that happened which organisations may subscribe to (outgoing webhooks). */
export interface DomainEvent {
  /** Dotted, lower case: 'lease.renewed', 'transfer.stage_changed', 'escrow.funded', 'deadline.threshold_crossed'. */
  readonly type: string;
  /** The organisations that may hear of it (their webhook endpoints get it). */
  readonly orgIds: readonly string[];
  readonly subject: { readonly type: string; readonly id: string };
  readonly data: Record<string, unknown>;
  /** The (sandbox) clock's time of the change. */
  readonly occurredAt: Date;
}

export const DOMAIN_EVENT_TYPE = /^[a-z_]+\.[a-z_.]+$/;

/**
 * Records domain events in the transaction of the change that causes them, with an outbox
 * job that fans each out to the subscribed webhook endpoints: an event exists if and only if
 * its change committed, and reaches the endpoints even if Redis loses the job (the webhook
 * reconciler fans out events whose fanned_out_at is still NULL). An event none of whose
 * organisations has an enabled endpoint is recorded as fanned out already, with no job.
 */
@Injectable()
export class DomainEvents {
  constructor(private readonly outbox: Outbox) {}

  async publish(em: EntityManager, event: DomainEvent): Promise<bigint> {
    if (!DOMAIN_EVENT_TYPE.test(event.type)) throw new Error(`bad domain event type ${event.type}`);
    const orgIds = [...new Set(event.orgIds)];
    // Most events concern organisations without endpoints: those are born fanned out, and
    // only the others cost a job.
    const [row]: { id: bigint; listened: boolean }[] = await em.query(
      `WITH listened AS (SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE org_id = ANY($2::uuid[]) AND deleted_at IS NULL AND status = 'enabled') AS yes)
       INSERT INTO domain_events (type, org_ids, subject_type, subject_id, data, occurred_at, fanned_out_at)
       SELECT $1, $2, $3, $4, $5, $6, CASE WHEN listened.yes THEN NULL ELSE now() END FROM listened
       RETURNING id, fanned_out_at IS NULL AS listened`,
      [event.type, orgIds, event.subject.type, event.subject.id, JSON.stringify(event.data), event.occurredAt],
    );
    const id = row!.id;
    if (row!.listened) await this.outbox.add({ job: 'webhooks.fan-out', data: { eventId: id.toString() }, jobId: `event:${id}:fan-out` }, em);
    return id;
  }
}
