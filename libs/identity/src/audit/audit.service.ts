import { Injectable } from '@nestjs/common';
import { Clock, type Page, type PageQuery, Transactions, decodeCursor, toPage } from '@app/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { type Actor, auditActor, orgScope } from '../domain/roles.js';
import { type AuditRow, type ChainVerdict, ChainVerifier, GENESIS_HASH, auditHash } from './audit-chain.js';

export interface AuditEntry {
  readonly action: string;
  readonly orgId: string | null;
  readonly subject: { readonly type: string; readonly id: string };
  readonly details?: Record<string, unknown>;
  readonly requestId?: string | null;
}

export interface AuditView {
  seq: string;
  at: string;
  actor: { type: string; id: string };
  orgId: string | null;
  action: string;
  subject: { type: string; id: string };
  details: Record<string, unknown>;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

interface DbRow {
  seq: bigint;
  at: Date;
  actor_type: string;
  actor_id: string;
  org_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string;
  details: Record<string, unknown>;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

// Serialises sealing (giving rows their place in the chain) across processes; held briefly.
const AUDIT_LOCK = 7243002;
const COLUMNS = 'seq, at, actor_type, actor_id, org_id, action, subject_type, subject_id, details, request_id, prev_hash, hash';
const CONTENT_COLUMNS = 'at, actor_type, actor_id, org_id, action, subject_type, subject_id, details, request_id';
const SEAL_BATCH = 1000;

/**
 * Who did what, when: appended in the caller's transaction, never changed. A row is written
 * without a place in the hash chain and sealed (given its seq and hashes) shortly after, by
 * the worker's sealer or by the next read; writers never wait for one another.
 */
@Injectable()
export class AuditLog {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly db: DataSource,
  ) {}

  /** Appends inside the ambient transaction (the audited change and its row commit together). */
  async record(actor: Actor | 'system', entry: AuditEntry): Promise<void> {
    const em = this.tx.manager();
    if (!em.queryRunner?.isTransactionActive) throw new Error('AuditLog.record must run inside a transaction');
    const who = actor === 'system' ? { type: 'system', id: 'worker' } : auditActor(actor);
    await em.query(`INSERT INTO audit_log (${CONTENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      await this.clock.now(),
      who.type,
      who.id,
      entry.orgId,
      entry.action,
      entry.subject.type,
      entry.subject.id,
      JSON.stringify(entry.details ?? {}),
      entry.requestId ?? null,
    ]);
  }

  /**
   * Chains every committed unsealed row, in id order, after the current head: each gets the
   * next seq, the head's hash as prev_hash, and its own hash. Returns how many it sealed.
   * Safe from any number of processes (one advisory lock, held for a batch).
   */
  async seal(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.db.transaction(async (em) => {
        await em.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
        const pending: (Omit<DbRow, 'seq' | 'prev_hash' | 'hash'> & { id: bigint })[] = await em.query(
          `SELECT id, ${CONTENT_COLUMNS} FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT ${SEAL_BATCH}`,
        );
        if (pending.length === 0) return 0;
        const [head]: { seq: bigint; hash: string }[] = await em.query('SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1');
        let seq = head?.seq ?? 0n;
        let prev = head?.hash ?? GENESIS_HASH;
        const ids: string[] = [];
        const seqs: string[] = [];
        const prevs: string[] = [];
        const hashes: string[] = [];
        for (const r of pending) {
          seq += 1n;
          const hash = auditHash(prev, toChainRow({ ...r, seq, prev_hash: prev, hash: '' }));
          ids.push(r.id.toString());
          seqs.push(seq.toString());
          prevs.push(prev);
          hashes.push(hash);
          prev = hash;
        }
        await em.query(
          `UPDATE audit_log a SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS s (id, seq, prev_hash, hash)
            WHERE a.id = s.id`,
          [ids, seqs, prevs, hashes],
        );
        return pending.length;
      });
      total += n;
      if (n < SEAL_BATCH) return total;
    }
  }

  /** Newest first; an organisation's admin sees its own rows, the platform sees all. */
  async list(actor: Actor, page: PageQuery): Promise<Page<AuditView>> {
    await this.seal();
    const before = page.cursor ? BigInt(decodeCursor(page.cursor, z.tuple([z.string().regex(/^\d{1,18}$/)]))[0]) : null;
    const rows: DbRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM audit_log
        WHERE seq IS NOT NULL AND ($1::uuid IS NULL OR org_id = $1) AND ($2::bigint IS NULL OR seq < $2)
        ORDER BY seq DESC LIMIT $3`,
      [orgScope(actor), before?.toString() ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, (r) => [r.seq.toString()], toView);
  }

  /** Recomputes the whole chain, in batches, from the first row. */
  async verify(anchor: { seq: bigint; hash: string } | null = null, batch = 1000): Promise<ChainVerdict> {
    const verifier = new ChainVerifier(anchor);
    let after = 0n;
    for (;;) {
      const rows: DbRow[] = await this.db.query(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [
        after.toString(),
        batch,
      ]);
      verifier.feed(rows.map(toChainRow));
      if (rows.length < batch) break;
      after = rows[rows.length - 1]!.seq;
    }
    return verifier.verdict();
  }

  /** Verifies against the head the last successful check saw, and records the result. */
  async verifyAndRecord(): Promise<ChainVerdict> {
    await this.seal();
    // The head of the last clean check: rows up to it must still be there, unchanged.
    const anchorRows: { seq: bigint; hash: string }[] = await this.db.query(
      `SELECT head_seq AS seq, head_hash AS hash FROM audit_chain_checks
        WHERE ok AND head_seq IS NOT NULL ORDER BY id DESC LIMIT 1`,
    );
    const verdict = await this.verify(anchorRows[0] ?? null);
    await this.db.query(
      `INSERT INTO audit_chain_checks (ok, rows_checked, first_bad_seq, reason, head_seq, head_hash)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        verdict.ok,
        verdict.rowsChecked,
        verdict.firstBadSeq?.toString() ?? null,
        verdict.reason,
        verdict.head?.seq.toString() ?? null,
        verdict.head?.hash ?? null,
      ],
    );
    return verdict;
  }
}

function toChainRow(r: DbRow): AuditRow {
  return {
    seq: r.seq,
    at: r.at,
    actorType: r.actor_type,
    actorId: r.actor_id,
    orgId: r.org_id,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    details: r.details,
    requestId: r.request_id,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function toView(r: DbRow): AuditView {
  return {
    seq: r.seq.toString(),
    at: r.at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id },
    orgId: r.org_id,
    action: r.action,
    subject: { type: r.subject_type, id: r.subject_id },
    details: r.details,
    requestId: r.request_id,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
