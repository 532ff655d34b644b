import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '@app/platform';
import type { AddressRange } from './domain/units.js';

export type CommitmentKind = 'lease' | 'sale';

export interface CommitmentRequest {
  readonly blockId: string;
  /** Normalised CIDR text of the space. */
  readonly prefix: string;
  readonly kind: CommitmentKind;
  /** The lease (or transfer) the space is committed to. */
  readonly reference: string;
  /** The start of the commitment; it lasts until released. */
  readonly from: Date;
}

/**
 * The one table that says which addresses are promised to whom (space_commitments). Its
 * EXCLUDE constraint, not a read-then-write check, decides whether a commitment can be
 * made: tryCommit answers null when the space is already committed, whoever got there first.
 * Every method runs in the caller's transaction.
 */
@Injectable()
export class SpaceCommitments {
  constructor(private readonly tx: Transactions) {}

  /**
   * Serialises commitment writes within one block until the transaction ends. Not for
   * correctness (the constraint holds without it) but because concurrent inserts that
   * overlap can deadlock inside the exclusion check (each waits for the other's
   * uncommitted row); commitments never span blocks and blocks never overlap, so one lock
   * per block covers every pair that could conflict.
   */
  async lockBlock(blockId: string): Promise<void> {
    await this.em().query(`SELECT pg_advisory_xact_lock(hashtextextended('space-commitments:' || $1::text, 0))`, [blockId]);
  }

  /** The address ranges committed in a block at any time from `from` on. */
  async committedRanges(blockId: string, from: Date): Promise<AddressRange[]> {
    const rows: { lo: bigint; hi: bigint }[] = await this.em().query(
      `SELECT lower(addr) AS lo, upper(addr) AS hi FROM space_commitments
        WHERE block_id = $1 AND released_at IS NULL AND period && tstzrange($2, NULL)`,
      [blockId, from],
    );
    return rows.map((r) => ({ first: Number(r.lo), last: Number(r.hi) - 1 }));
  }

  /**
   * Commits the space from `from` on, or answers null when any of it is committed to
   * something else for an overlapping time. ON CONFLICT DO NOTHING covers exclusion
   * constraints too: the constraint decides, and the caller's transaction survives a
   * refusal (no savepoint needed) and may try other space.
   */
  async tryCommit(c: CommitmentRequest): Promise<string | null> {
    const rows: { id: string }[] = await this.em().query(
      `INSERT INTO space_commitments (block_id, prefix, period, kind, reference, created_at)
       VALUES ($1, $2::cidr, tstzrange($3, NULL, '[)'), $4, $5, $3)
       ON CONFLICT DO NOTHING RETURNING id`,
      [c.blockId, c.prefix, c.from, c.kind, c.reference],
    );
    return rows[0]?.id ?? null;
  }

  /**
   * Releases a commitment: its period closes at `at` and the space is free from then on.
   * Idempotent: answers false when it was already released.
   */
  async release(id: string, at: Date, reason: string): Promise<boolean> {
    const [, count]: [unknown[], number] = await this.em().query(
      `UPDATE space_commitments
          SET released_at = $2, release_reason = $3,
              period = tstzrange(lower(period), greatest($2::timestamptz, lower(period) + interval '1 millisecond'), '[)')
        WHERE id = $1 AND released_at IS NULL`,
      [id, at, reason],
    );
    return count > 0;
  }

  private em(): EntityManager {
    const em = this.tx.manager();
    if (!em.queryRunner?.isTransactionActive) throw new Error('SpaceCommitments must be used inside a transaction');
    return em;
  }
}
