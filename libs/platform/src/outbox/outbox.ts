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
    return (await this.addAll([message], em))[0]!;
  }

  /** Several messages in one statement (same guarantees as add). */
  async addAll(messages: readonly OutboxMessage[], em?: EntityManager): Promise<bigint[]> {
    if (messages.length === 0) return [];
    const manager = em ?? this.tx.manager();
    if (!manager.queryRunner?.isTransactionActive) {
      // Outside a transaction the rows would commit on their own: a bug, not a runtime condition.
      throw new Error('Outbox.add must run inside a transaction');
    }
    const rows: { id: bigint }[] = await manager.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::integer[]) RETURNING id`,
      [
        messages.map((m) => JOBS[m.job]),
        messages.map((m) => m.job),
        messages.map((m) => m.jobId ?? null),
        messages.map((m) => JSON.stringify(m.data)),
        messages.map((m) => m.delayMs ?? 0),
      ],
    );
    return rows.map((r) => r.id);
  }
}
