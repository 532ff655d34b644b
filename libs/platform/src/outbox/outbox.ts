import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JOBS, type JobName } from '../queues/queue-names.js';
import { Transactions } from '../database/transactions.js';

export interface OutboxMessage<T = unknown> {
  readonly job: JobName;
  readonly data: T;
  /** Deterministic BullMQ job id (duplicates collapse); defaults to 'outbox-<row id>'. */
  readonly jobId?: string;
  readonly delayMs?: number;
}

/**
 * Writes work for the worker into the outbox table inside the caller's transaction, so
 * that a job exists if and only if the change that caused it committed. The worker's
 * relay moves rows to BullMQ.
 */
@Injectable()
export class Outbox {
  constructor(private readonly tx: Transactions) {}

  async add(message: OutboxMessage, em?: EntityManager): Promise<bigint> {
    const manager = em ?? this.tx.manager();
    if (!manager.queryRunner?.isTransactionActive) {
      // Outside a transaction the row would commit on its own: a bug, not a runtime condition.
      throw new Error('Outbox.add must run inside a transaction');
    }
    const rows: { id: bigint }[] = await manager.query(
      'INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [JOBS[message.job], message.job, message.jobId ?? null, JSON.stringify(message.data), message.delayMs ?? 0],
    );
    return rows[0]!.id;
  }
}
