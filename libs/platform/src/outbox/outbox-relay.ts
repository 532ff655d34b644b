import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { isJobName, type QueueName } from '../queues/queue-names.js';
import { QueueRegistry } from '../queues/queue-registry.js';
import { PeriodicTask } from '../util/periodic-task.js';

interface OutboxRow {
  id: bigint;
  queue: QueueName;
  job_name: string;
  job_id: string | null;
  payload: unknown;
  delay_ms: number;
}

/**
 * Moves committed outbox rows to BullMQ. Several worker processes may relay at once:
 * `FOR UPDATE SKIP LOCKED` gives each row to one of them. A row is marked dispatched in the
 * same transaction that locked it, after BullMQ accepted the job; a crash in between
 * relays it again under the same job id, which BullMQ collapses.
 */
@Injectable()
export class OutboxRelay extends PeriodicTask {
  private readonly log = new Logger('outbox');
  private rounds = 0;

  constructor(
    private readonly db: DataSource,
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  /** Relays up to `limit` rows; returns how many. */
  async relayOnce(limit = 200): Promise<number> {
    return this.db.transaction(async (em) => {
      const rows: OutboxRow[] = await em.query(
        `SELECT id, queue, job_name, job_id, payload, delay_ms FROM outbox
          WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      const byQueue = new Map<QueueName, OutboxRow[]>();
      for (const row of rows) {
        if (!isJobName(row.job_name)) {
          // Left undispatched (and visible in the table) rather than dropped: a newer release may know it.
          this.log.error({ msg: 'outbox row names an unknown job', id: String(row.id), job: row.job_name });
          continue;
        }
        byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
      }
      const sent: bigint[] = [];
      for (const [queue, batch] of byQueue) {
        await this.queues.queue(queue).addBulk(
          batch.map((r) => ({
            name: r.job_name,
            data: r.payload,
            opts: { jobId: r.job_id ?? `outbox-${r.id}`, ...(r.delay_ms > 0 ? { delay: r.delay_ms } : {}) },
          })),
        );
        sent.push(...batch.map((r) => r.id));
      }
      if (sent.length) {
        await em.query('UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])', [sent.map(String)]);
      }
      return sent.length;
    });
  }

  protected async round(): Promise<number> {
    const n = await this.relayOnce();
    if (++this.rounds % 1000 === 0) {
      await this.db.query(`DELETE FROM outbox WHERE dispatched_at < now() - interval '7 days'`);
    }
    return n > 0 ? 0 : this.config.outboxPollMs; // more may be waiting
  }

  /** Redis or PostgreSQL away: the rows stay and are relayed once both answer again. */
  protected failed(err: Error): number {
    this.log.warn({ msg: 'outbox relay failed; will retry', err: err.message });
    return Math.max(this.config.outboxPollMs, 1000);
  }
}
