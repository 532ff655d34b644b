import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig, Outbox, type OutboxMessage, Transactions } from '@app/platform';
import { nextAttemptAt } from './domain/backoff.js';
import { matchesEvent } from './domain/event-patterns.js';
import { stopPendingDeliveries } from './webhook-endpoints.service.js';
import { type AttemptOutcome, WebhookSender } from './webhook-sender.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';

/** Data of job 'webhooks.deliver'. */
export interface DeliverJob {
  readonly deliveryId: string;
  /** The attempt this job makes (1-based). */
  readonly attempt: number;
}

/** The job of attempt `attempt`; `suffix` gives the reconciler's re-queues ids of their own. */
export function deliverJob(deliveryId: string, attempt: number, o: { delayMs?: number; suffix?: string } = {}): OutboxMessage<DeliverJob> {
  return {
    job: 'webhooks.deliver',
    data: { deliveryId, attempt },
    jobId: `delivery:${deliveryId}:${attempt}${o.suffix ?? ''}`,
    ...(o.delayMs ? { delayMs: o.delayMs } : {}),
  };
}

/** What a claimed attempt sends. */
interface Claim {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly endpointId: string;
  readonly url: string;
  readonly secret: string;
  readonly body: string;
}

interface ClaimRow {
  id: string;
  status: string;
  attempts: number;
  endpoint_id: string;
  url: string;
  secret: string;
  endpoint_status: string;
  endpoint_deleted: boolean;
  event_id: bigint;
  type: string;
  subject_type: string;
  subject_id: string;
  data: Record<string, unknown>;
  occurred_at: Date;
}

/**
 * While an attempt is in flight its delivery is due again only after the request surely
 * ended (the timeout) and this margin; the reconciler waits a minute more before re-queueing.
 */
const IN_FLIGHT_MARGIN_MS = 5_000;

/**
 * Deliveries of domain events to webhook endpoints. One delivery per endpoint and event;
 * each attempt is claimed (counted, its log row written) in a transaction before the request
 * is sent and its answer recorded in another, so that duplicate jobs send an attempt at most
 * once; a crash between the two leaves the delivery due again (the reconciler re-queues
 * it), so receivers may see a delivery twice and should drop duplicates by Webhook-Id.
 */
@Injectable()
export class WebhookDeliveries {
  constructor(
    private readonly tx: Transactions,
    private readonly outbox: Outbox,
    private readonly sender: WebhookSender,
    private readonly guard: WebhookUrlGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Makes one delivery per enabled endpoint of the event's organisations that subscribes to
   * its type and existed when it was recorded, and queues their first attempts. Once per
   * event: later calls (duplicate jobs, the reconciler) find it fanned out.
   */
  async fanOut(eventId: string | bigint): Promise<number> {
    return this.tx.tx(async (em) => {
      const [event]: { id: bigint; type: string; org_ids: string[]; created_at: Date; fanned_out_at: Date | null }[] = await em.query(
        `SELECT id, type, org_ids, created_at, fanned_out_at FROM domain_events WHERE id = $1 FOR UPDATE`,
        [eventId.toString()],
      );
      if (!event || event.fanned_out_at) return 0;
      const endpoints: { id: string; events: string[] }[] = await em.query(
        `SELECT id, events FROM webhook_endpoints
          WHERE org_id = ANY($1::uuid[]) AND status = 'enabled' AND deleted_at IS NULL AND created_at <= $2`,
        [event.org_ids, event.created_at],
      );
      const subscribed = endpoints.filter((e) => matchesEvent(e.events, event.type)).map((e) => e.id);
      const created: { id: string }[] = subscribed.length
        ? await em.query(
            `INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at)
             SELECT endpoint_id, $2, now() FROM unnest($1::uuid[]) AS endpoint_id
             ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id`,
            [subscribed, event.id],
          )
        : [];
      await this.outbox.addAll(created.map((d) => deliverJob(d.id, 1)), em);
      await em.query(`UPDATE domain_events SET fanned_out_at = now() WHERE id = $1`, [event.id]);
      return created.length;
    });
  }

  /** Makes attempt `job.attempt` of a delivery, once; a stale or duplicate job does nothing. */
  async deliver(job: DeliverJob): Promise<string> {
    const claimed = await this.claim(job);
    if (typeof claimed === 'string') return claimed;
    const refused = await this.guard.refusal(claimed.url);
    const outcome: AttemptOutcome = refused
      ? { statusCode: null, error: `not sent: ${refused.reason}`, durationMs: 0, ok: false }
      : await this.sender.post({ url: claimed.url, secret: claimed.secret, deliveryId: claimed.deliveryId, body: claimed.body });
    return this.record(claimed, outcome);
  }

  private claim(job: DeliverJob): Promise<Claim | string> {
    return this.tx.tx(async (em) => {
      const [row]: ClaimRow[] = await em.query(
        `SELECT d.id, d.status, d.attempts, e.id AS endpoint_id, e.url, e.secret, e.status AS endpoint_status,
                e.deleted_at IS NOT NULL AS endpoint_deleted,
                ev.id AS event_id, ev.type, ev.subject_type, ev.subject_id, ev.data, ev.occurred_at
           FROM webhook_deliveries d
           JOIN webhook_endpoints e ON e.id = d.endpoint_id
           JOIN domain_events ev ON ev.id = d.event_id
          WHERE d.id = $1 FOR UPDATE OF d`,
        [job.deliveryId],
      );
      if (!row) return 'unknown delivery';
      if (row.status !== 'pending') return `already ${row.status}`;
      if (row.attempts !== job.attempt - 1) return `stale: the delivery has made ${row.attempts} attempts`;
      if (row.endpoint_deleted || row.endpoint_status !== 'enabled') {
        await em.query(
          `UPDATE webhook_deliveries SET status = 'failed', finished_at = now(), next_attempt_at = NULL, last_error = $2 WHERE id = $1`,
          [row.id, row.endpoint_deleted ? 'the endpoint was deleted' : 'the endpoint is disabled'],
        );
        return 'stopped: the endpoint is gone or disabled';
      }
      // An earlier attempt still without an answer was cut short by a crash: say so in the log.
      await em.query(
        `UPDATE webhook_delivery_attempts SET error = 'no answer recorded: the worker stopped during the attempt'
          WHERE delivery_id = $1 AND duration_ms IS NULL AND error IS NULL`,
        [row.id],
      );
      await em.query(`INSERT INTO webhook_delivery_attempts (delivery_id, attempt) VALUES ($1, $2)`, [row.id, job.attempt]);
      await em.query(
        `UPDATE webhook_deliveries SET attempts = $2, next_attempt_at = now() + $3 * interval '1 millisecond' WHERE id = $1`,
        [row.id, job.attempt, this.config.webhooks.timeoutMs + IN_FLIGHT_MARGIN_MS],
      );
      const body = JSON.stringify({
        id: row.event_id.toString(),
        type: row.type,
        occurredAt: row.occurred_at.toISOString(),
        subject: { type: row.subject_type, id: row.subject_id },
        data: row.data,
      });
      return { deliveryId: row.id, attempt: job.attempt, endpointId: row.endpoint_id, url: row.url, secret: row.secret, body };
    });
  }

  /**
   * Records the answer; on failure schedules the next attempt (or fails the delivery past the
   * retry window) and counts the endpoint's failures in a row, disabling it at the threshold.
   * Locks the endpoint before the delivery, as deleting and disabling do.
   */
  private record(c: Claim, outcome: AttemptOutcome): Promise<string> {
    return this.tx.tx(async (em) => {
      const [endpoint]: { status: string; deleted: boolean }[] = await em.query(
        `SELECT status, deleted_at IS NOT NULL AS deleted FROM webhook_endpoints WHERE id = $1 FOR UPDATE`,
        [c.endpointId],
      );
      const [d]: { status: string; attempts: number; created_at: Date; now: Date }[] = await em.query(
        `SELECT status, attempts, created_at, now() AS now FROM webhook_deliveries WHERE id = $1 FOR UPDATE`,
        [c.deliveryId],
      );
      await em.query(`UPDATE webhook_delivery_attempts SET status_code = $3, error = $4, duration_ms = $5 WHERE delivery_id = $1 AND attempt = $2`, [
        c.deliveryId,
        c.attempt,
        outcome.statusCode,
        outcome.error,
        outcome.durationMs,
      ]);
      const last = [c.deliveryId, outcome.statusCode, outcome.error] as const;
      if (!d || d.status !== 'pending' || d.attempts !== c.attempt) return `answer ${outcome.statusCode ?? outcome.error} recorded; the delivery moved on`;
      if (outcome.ok) {
        await em.query(
          `UPDATE webhook_deliveries SET status = 'delivered', finished_at = now(), next_attempt_at = NULL, last_status_code = $2, last_error = $3 WHERE id = $1`,
          last,
        );
        await em.query(`UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures <> 0`, [c.endpointId]);
        return 'delivered';
      }
      if (await this.countFailure(em, c, endpoint, outcome)) return 'failed; the endpoint is now disabled';
      const next = nextAttemptAt(c.attempt, d.created_at, d.now, { baseMs: this.config.webhooks.retryBaseMs, retryForMs: this.config.webhooks.retryForMs });
      if (!next) {
        await em.query(
          `UPDATE webhook_deliveries SET status = 'failed', finished_at = now(), next_attempt_at = NULL, last_status_code = $2, last_error = $3 WHERE id = $1`,
          last,
        );
        return 'failed for good: past the retry window';
      }
      await em.query(`UPDATE webhook_deliveries SET next_attempt_at = $4, last_status_code = $2, last_error = $3 WHERE id = $1`, [...last, next]);
      await this.outbox.add(deliverJob(c.deliveryId, c.attempt + 1, { delayMs: next.getTime() - d.now.getTime() }), em);
      return `failed; attempt ${c.attempt + 1} at ${next.toISOString()}`;
    });
  }

  /** Counts a failed attempt against its endpoint; true when that disabled it (its pending deliveries, this one included, stop). */
  private async countFailure(em: EntityManager, c: Claim, endpoint: { status: string; deleted: boolean } | undefined, outcome: AttemptOutcome): Promise<boolean> {
    const [[counted]]: [{ consecutive_failures: number }[], number] = await em.query(
      `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 RETURNING consecutive_failures`,
      [c.endpointId],
    );
    const failures = counted!.consecutive_failures;
    if (!endpoint || endpoint.deleted || endpoint.status !== 'enabled' || failures < this.config.webhooks.disableAfterFailures) return false;
    const lastAnswer = outcome.error ?? `HTTP ${outcome.statusCode}`;
    const reason = `${failures} failed attempts in a row; the last: ${lastAnswer}`.slice(0, 1000);
    await em.query(`UPDATE webhook_endpoints SET status = 'disabled', disabled_at = now(), disabled_reason = $2 WHERE id = $1`, [c.endpointId, reason]);
    await em.query(`UPDATE webhook_deliveries SET last_status_code = $2 WHERE id = $1`, [c.deliveryId, outcome.statusCode]);
    await stopPendingDeliveries(em, c.endpointId, 'the endpoint was disabled after repeated failures');
    return true;
  }
}
