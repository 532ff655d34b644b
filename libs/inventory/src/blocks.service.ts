import { Injectable } from '@nestjs/common';
import { type Actor, AuditLog, canSeeOrg, orgScope } from '@app/identity';
import { parsePublicPrefix } from '@app/ipam';
import { Clock, Outbox, type Page, type PageQuery, ProblemError, Problems, Transactions, decodeCursor, sqlState, toPage, timeIdCursor } from '@app/platform';
import type { Rir } from '@app/registry';
import { BLOCK_COLUMNS, type BlockRow, blockColumns, toBlockView } from './block-row.js';
import type { BlockView, ListingAuthority } from './domain/block.js';

export interface BlockDetail extends BlockView {
  /** What the last verification saw (RDAP answer and the match), for anyone who may see the block. */
  evidence: Record<string, unknown> | null;
}

const BLOCKS_BY_SLASH8_LOCK = 7243010;

/** Address blocks an organisation holds: registration, reading, verification requests. */
@Injectable()
export class BlocksService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly audit: AuditLog,
  ) {}

  async register(actor: Actor, prefixText: string, rir: Rir, requestId?: string): Promise<BlockDetail> {
    const parsed = parsePublicPrefix(prefixText);
    if (!parsed.ok) {
      const e = parsed.error;
      throw new ProblemError(422, e.code, 'Invalid prefix', e.message, [{ field: 'body.prefix', code: e.code, message: e.message }], {
        ...(e.suggestion ? { suggestion: e.suggestion } : {}),
        ...(e.specialPurpose ? { specialPurpose: e.specialPurpose } : {}),
      });
    }
    return this.tx.tx(async (em) => {
      const now = await this.clock.now();
      // Two overlapping blocks always share their /8 (blocks are /8 or longer), so one lock per
      // /8 serialises exactly the registrations that could conflict. Without it, concurrent
      // overlapping inserts wait on each other inside the EXCLUDE check and PostgreSQL breaks
      // the cycle with a deadlock error after a second. The constraint stays the guarantee.
      await em.query('SELECT pg_advisory_xact_lock($1, $2)', [BLOCKS_BY_SLASH8_LOCK, parsed.value.first >>> 24]);
      let rows: BlockRow[];
      try {
        rows = await em.query(
          `INSERT INTO blocks (holder_org_id, prefix, rir, created_at) VALUES ($1, $2::cidr, $3, $4) RETURNING ${BLOCK_COLUMNS}`,
          [actor.orgId, prefixText, rir, now],
        );
      } catch (err) {
        if (sqlState(err) === '23P01') {
          // Which block it overlaps is not said: it may belong to another organisation.
          throw new ProblemError(409, 'BLOCK.OVERLAPS', 'Block overlaps', `${prefixText} overlaps address space already registered here`);
        }
        throw err;
      }
      const row = rows[0]!;
      await this.audit.record(actor, { action: 'block.registered', orgId: actor.orgId, subject: { type: 'block', id: row.id }, details: { prefix: row.prefix, rir }, requestId });
      return { ...toBlockView(row), evidence: null };
    });
  }

  /** The holder, a broker with a live mandate on it, or the platform; 404 for anyone else. */
  async get(actor: Actor, id: string): Promise<BlockDetail> {
    const row = await this.visibleRow(actor, id);
    return { ...toBlockView(row), evidence: row.evidence };
  }

  /** The blocks the actor's organisation holds (all of them for the platform), oldest first. */
  async list(actor: Actor, page: PageQuery): Promise<Page<BlockView>> {
    const after = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const rows: BlockRow[] = await this.tx.manager().query(
      `SELECT ${BLOCK_COLUMNS} FROM blocks
        WHERE removed_at IS NULL AND ($1::uuid IS NULL OR holder_org_id = $1)
          AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
        ORDER BY created_at, id LIMIT $4`,
      [orgScope(actor), after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, (r) => [r.created_at.toISOString(), r.id], toBlockView);
  }

  /** Starts (or restarts) verification: the worker checks the registry's RDAP record. */
  async requestVerification(actor: Actor, id: string, requestId?: string): Promise<BlockView> {
    return this.tx.tx(async (em) => {
      const [row]: BlockRow[] = await em.query(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE id = $1 AND removed_at IS NULL FOR UPDATE`, [id]);
      if (!row || !canSeeOrg(actor, row.holder_org_id)) throw Problems.notFound('The block', 'BLOCK.NOT_FOUND');
      if (row.status === 'verifying') return toBlockView(row); // already under way: one job is enough
      const [[updated]]: [BlockRow[], number] = await em.query(
        `UPDATE blocks SET status = 'verifying', verify_round = verify_round + 1, failure_reason = NULL
          WHERE id = $1 RETURNING ${BLOCK_COLUMNS}`,
        [id],
      );
      await this.outbox.add({
        job: 'inventory.verify-block',
        data: { blockId: id, round: updated!.verify_round },
        jobId: `block:${id}:${updated!.verify_round}`,
      });
      await this.audit.record(actor, { action: 'block.verification_requested', orgId: row.holder_org_id, subject: { type: 'block', id }, requestId });
      return toBlockView(updated!);
    });
  }

  /**
   * May the actor list this block, and on whose authority? The holder may; so may a broker
   * with a live mandate. Anyone else learns nothing (404); an unverified block cannot be listed.
   */
  async listingAuthority(actor: Actor, blockId: string): Promise<ListingAuthority> {
    const now = await this.clock.now();
    const rows: (BlockRow & { mandate_id: string | null; mandate_expires_at: Date | null })[] = await this.tx.manager().query(
      `SELECT ${blockColumns('b')}, m.id AS mandate_id, m.expires_at AS mandate_expires_at
         FROM blocks b
         LEFT JOIN mandates m ON m.block_id = b.id AND m.broker_org_id = $2 AND m.ended_at IS NULL AND m.expires_at > $3
        WHERE b.id = $1 AND b.removed_at IS NULL`,
      [blockId, actor.orgId, now],
    );
    const row = rows[0];
    const as = row?.holder_org_id === actor.orgId ? 'holder' : row?.mandate_id ? 'broker' : null;
    if (!row || !as) throw Problems.notFound('The block', 'BLOCK.NOT_FOUND');
    if (as === 'broker') {
      // Hold the mandate for the rest of the caller's transaction: a revocation running at the
      // same time waits for the listing to commit (and its withdrawal job then finds it), or
      // wins first and we see it ended. (FOR SHARE cannot sit on the outer join above.)
      const [live] = await this.tx
        .manager()
        .query('SELECT 1 FROM mandates WHERE id = $1 AND ended_at IS NULL FOR SHARE', [row.mandate_id]);
      if (!live) throw Problems.notFound('The block', 'BLOCK.NOT_FOUND');
    }
    if (row.status !== 'verified') {
      throw new ProblemError(422, 'BLOCK.NOT_VERIFIED', 'Block not verified', 'Only blocks whose holdership the registry confirmed can be listed: POST /v1/blocks/{id}/verify');
    }
    return {
      block: toBlockView(row),
      as,
      mandate: as === 'broker' ? { id: row.mandate_id!, expiresAt: row.mandate_expires_at! } : null,
    };
  }

  /**
   * The holder's standing at its RIR for a block, as far as the platform knows: lapsed (the
   * last check failed, or the RIR fees are paid only until a date that has passed), verified
   * (the registry's record named a confirmed handle of the holder) or unverified (never
   * checked, or a check under way). For risk placement.
   */
  async standing(blockId: string): Promise<{ standing: 'verified' | 'unverified' | 'lapsed'; rirPaidUntil: Date | null }> {
    const [row]: { status: BlockRow['status']; rir_paid_until: Date | null }[] = await this.tx
      .manager()
      .query('SELECT status, rir_paid_until FROM blocks WHERE id = $1', [blockId]);
    const paidUntil = row?.rir_paid_until ?? null;
    const unpaid = paidUntil !== null && paidUntil.getTime() <= (await this.clock.now()).getTime();
    const standing = row?.status === 'verification_failed' || unpaid ? 'lapsed' : row?.status === 'verified' ? 'verified' : 'unverified';
    return { standing, rirPaidUntil: paidUntil };
  }

  /**
   * Records until when the holder's RIR fees for the block are paid (the holder, or the
   * platform, from the RIR's invoice or account page). Must run inside the caller's
   * transaction; answers the block before and after.
   */
  async setRirPaidUntil(actor: Actor, id: string, paidUntil: Date): Promise<{ before: BlockView; after: BlockView }> {
    const em = this.tx.manager();
    if (!em.queryRunner?.isTransactionActive) throw new Error('setRirPaidUntil must run inside a transaction');
    const [row]: BlockRow[] = await em.query(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE id = $1 AND removed_at IS NULL FOR UPDATE`, [id]);
    if (!row || !canSeeOrg(actor, row.holder_org_id)) throw Problems.notFound('The block', 'BLOCK.NOT_FOUND');
    const [[updated]]: [BlockRow[], number] = await em.query(`UPDATE blocks SET rir_paid_until = $2 WHERE id = $1 RETURNING ${BLOCK_COLUMNS}`, [id, paidUntil]);
    await this.audit.record(actor, {
      action: 'block.rir_standing_set',
      orgId: row.holder_org_id,
      subject: { type: 'block', id },
      details: { paidUntil: paidUntil.toISOString(), previous: row.rir_paid_until?.toISOString() ?? null },
    });
    return { before: toBlockView(row), after: toBlockView(updated!) };
  }

  private async visibleRow(actor: Actor, id: string): Promise<BlockRow> {
    const now = await this.clock.now();
    const [row]: BlockRow[] = await this.tx.manager().query(
      `SELECT ${BLOCK_COLUMNS} FROM blocks b
        WHERE id = $1 AND removed_at IS NULL
          AND ($2::uuid IS NULL OR holder_org_id = $2 OR EXISTS (
                SELECT 1 FROM mandates m WHERE m.block_id = b.id AND m.broker_org_id = $2 AND m.ended_at IS NULL AND m.expires_at > $3))`,
      [id, orgScope(actor), now],
    );
    if (!row) throw Problems.notFound('The block', 'BLOCK.NOT_FOUND');
    return row;
  }
}
