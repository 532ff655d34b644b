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

// Serialises appends so that the chain stays linear across processes; held to commit.
const AUDIT_LOCK = 7243002;
const COLUMNS = 'seq, at, actor_type, actor_id, org_id, action, subject_type, subject_id, details, request_id, prev_hash, hash';

/** Who did what, when: appended in the caller's transaction, never changed. */
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
    await em.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
    const [last]: { seq: bigint; hash: string }[] = await em.query('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    const who = actor === 'system' ? { type: 'system', id: 'worker' } : auditActor(actor);
    const content = {
      seq: (last?.seq ?? 0n) + 1n,
      at: await this.clock.now(),
      actorType: who.type,
      actorId: who.id,
      orgId: entry.orgId,
      action: entry.action,
      subjectType: entry.subject.type,
      subjectId: entry.subject.id,
      details: entry.details ?? {},
      requestId: entry.requestId ?? null,
    };
    const prevHash = last?.hash ?? GENESIS_HASH;
    await em.query(`INSERT INTO audit_log (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
      content.seq.toString(),
      content.at,
      content.actorType,
      content.actorId,
      content.orgId,
      content.action,
      content.subjectType,
      content.subjectId,
      JSON.stringify(content.details),
      content.requestId,
      prevHash,
      auditHash(prevHash, content),
    ]);
  }

  /** Newest first; an organisation's admin sees its own rows, the platform sees all. */
  async list(actor: Actor, page: PageQuery): Promise<Page<AuditView>> {
    const before = page.cursor ? BigInt(decodeCursor(page.cursor, z.tuple([z.string().regex(/^\d{1,18}$/)]))[0]) : null;
    const rows: DbRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM audit_log
        WHERE ($1::uuid IS NULL OR org_id = $1) AND ($2::bigint IS NULL OR seq < $2)
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
