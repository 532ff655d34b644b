import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Outbox, Transactions } from '@app/platform';
import { WebhookDeliveries, deliverJob } from './webhook-deliveries.service.js';

/** How long work may be late before the reconciler takes it for lost (its job is normally just about to run). */
export const RECONCILE_GRACE_MS = 60_000;
const BATCH = 500;

/**
 * Job 'webhooks.reconcile' (scheduled): the safety net for lost jobs (Redis emptied, a
 * worker killed mid-attempt). Events recorded a while ago and never fanned out are fanned
 * out; pending deliveries whose attempt is overdue are queued again.
 */
@Injectable()
export class WebhookReconciler {
  constructor(
    private readonly tx: Transactions,
    private readonly outbox: Outbox,
    private readonly deliveries: WebhookDeliveries,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async reconcile(): Promise<{ fannedOut: number; requeued: number }> {
    const em = this.tx.manager();
    const events: { id: bigint }[] = await em.query(
      `SELECT id FROM domain_events WHERE fanned_out_at IS NULL AND created_at < now() - $1 * interval '1 millisecond' ORDER BY created_at LIMIT $2`,
      [RECONCILE_GRACE_MS, BATCH],
    );
    for (const e of events) await this.deliveries.fanOut(e.id);
    const due: { id: string; attempts: number }[] = await em.query(
      `SELECT id, attempts FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at < now() - $1 * interval '1 millisecond' ORDER BY next_attempt_at LIMIT $2`,
      [RECONCILE_GRACE_MS, BATCH],
    );
    if (due.length) {
      // A job id of its own per round: a job of an earlier round that failed for good (kept
      // by BullMQ under its id) must not swallow this one.
      const round = Math.floor(Date.now() / this.config.webhooks.reconcileIntervalMs);
      await this.tx.tx((tem) => this.outbox.addAll(due.map((d) => deliverJob(d.id, d.attempts + 1, { suffix: `-r${round}` })), tem));
    }
    return { fannedOut: events.length, requeued: due.length };
  }
}
