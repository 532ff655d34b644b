import { Injectable } from '@nestjs/common';
import { type Actor, AuditLog, canSeeOrg, isPlatformAdmin } from '@app/identity';
import { Clock, Outbox, ProblemError, Problems, Transactions } from '@app/platform';
import type { EntityManager } from 'typeorm';

export interface MandateView {
  id: string;
  blockId: string;
  brokerOrgId: string;
  grantedByOrgId: string;
  expiresAt: string;
  status: 'active' | 'expired' | 'revoked';
  revokedAt: string | null;
  createdAt: string;
}

interface MandateRow {
  id: string;
  block_id: string;
  broker_org_id: string;
  granted_by_org_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
}

/** Longest letter of authority we accept: brokers' agreements run a year or two. */
const MAX_MANDATE_MS = 5 * 365 * 24 * 3600 * 1000;

/**
 * Brokers' mandates (letters of authority) over a block. When one ends, by revocation or
 * expiry, the listings context is told through the outbox and withdraws the broker's
 * listings; search already hides them from the moment of expiry.
 */
@Injectable()
export class MandatesService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly audit: AuditLog,
  ) {}

  async grant(actor: Actor, blockId: string, brokerOrgId: string, expiresAt: Date, requestId?: string): Promise<MandateView> {
    return this.tx.tx(async (em) => {
      const block = await this.holderBlock(em, actor, blockId);
      const now = await this.clock.now();
      if (brokerOrgId === block.holder_org_id) {
        throw fieldProblem('MANDATE.SELF', 'brokerOrgId', 'is the holder itself: a holder lists its own blocks without a mandate');
      }
      if (expiresAt.getTime() <= now.getTime()) throw fieldProblem('MANDATE.EXPIRY_IN_PAST', 'expiresAt', 'must be in the future');
      if (expiresAt.getTime() - now.getTime() > MAX_MANDATE_MS) throw fieldProblem('MANDATE.EXPIRY_TOO_FAR', 'expiresAt', 'must be within 5 years');
      const [broker] = await em.query(`SELECT 1 FROM organisations WHERE id = $1 AND kind = 'member'`, [brokerOrgId]);
      if (!broker) throw fieldProblem('MANDATE.BROKER_NOT_FOUND', 'brokerOrgId', 'is not an organisation on the platform');
      // A lapsed mandate not yet ended by the scan must not block a new grant.
      await this.endWhere(em, 'm.block_id = $2 AND m.broker_org_id = $3 AND m.expires_at <= $1', [now, blockId, brokerOrgId]);
      const [live] = await em.query('SELECT 1 FROM mandates WHERE block_id = $1 AND broker_org_id = $2 AND ended_at IS NULL', [blockId, brokerOrgId]);
      if (live) throw new ProblemError(409, 'MANDATE.EXISTS', 'Mandate exists', 'This broker already holds a live mandate on the block: revoke it first to change it');
      const [row]: MandateRow[] = await em.query(
        `INSERT INTO mandates (block_id, broker_org_id, granted_by_org_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [blockId, brokerOrgId, block.holder_org_id, expiresAt, now],
      );
      await this.audit.record(actor, {
        action: 'mandate.granted',
        orgId: block.holder_org_id,
        subject: { type: 'mandate', id: row!.id },
        details: { blockId, brokerOrgId, expiresAt: expiresAt.toISOString() },
        requestId,
      });
      return toView(row!, now);
    });
  }

  async revoke(actor: Actor, blockId: string, mandateId: string, requestId?: string): Promise<void> {
    await this.tx.tx(async (em) => {
      const block = await this.holderBlock(em, actor, blockId);
      const [row]: MandateRow[] = await em.query('SELECT * FROM mandates WHERE id = $1 AND block_id = $2 FOR UPDATE', [mandateId, blockId]);
      if (!row) throw Problems.notFound('The mandate', 'MANDATE.NOT_FOUND');
      if (row.ended_at) return; // revoked or expired already: nothing more to end
      const now = await this.clock.now();
      await em.query('UPDATE mandates SET revoked_at = $2 WHERE id = $1', [mandateId, now]);
      await this.endWhere(em, 'm.id = $2', [now, mandateId]);
      await this.audit.record(actor, { action: 'mandate.revoked', orgId: block.holder_org_id, subject: { type: 'mandate', id: mandateId }, requestId });
    });
  }

  /** The block's mandates (holder, platform), or the caller's own on it (broker); 404 for anyone else. */
  async listForBlock(actor: Actor, blockId: string): Promise<MandateView[]> {
    const now = await this.clock.now();
    const em = this.tx.manager();
    const [block]: { holder_org_id: string }[] = await em.query('SELECT holder_org_id FROM blocks WHERE id = $1 AND removed_at IS NULL', [blockId]);
    if (!block) throw Problems.notFound('The block', 'BLOCK.NOT_FOUND');
    const all = canSeeOrg(actor, block.holder_org_id);
    const rows: MandateRow[] = await em.query(
      `SELECT * FROM mandates WHERE block_id = $1 AND ($2::uuid IS NULL OR broker_org_id = $2) ORDER BY created_at, id`,
      [blockId, all ? null : actor.orgId],
    );
    if (!all && rows.length === 0) throw Problems.notFound('The block', 'BLOCK.NOT_FOUND');
    return rows.map((r) => toView(r, now));
  }

  /** Mandates granted to the caller's organisation as a broker. */
  async listAsBroker(actor: Actor): Promise<MandateView[]> {
    const now = await this.clock.now();
    const rows: MandateRow[] = await this.tx.manager().query(
      'SELECT * FROM mandates WHERE broker_org_id = $1 ORDER BY created_at DESC, id DESC LIMIT 500',
      [actor.orgId],
    );
    return rows.map((r) => toView(r, now));
  }

  /**
   * Ends every mandate whose expiry has passed by the clock (scheduled; safe with several
   * workers: rows are claimed with SKIP LOCKED and ended once).
   */
  async endExpired(): Promise<number> {
    return this.tx.tx(async (em) => this.endWhere(em, 'm.expires_at <= $1', [await this.clock.now()], 500));
  }

  /** Marks matching live mandates ended and tells the listings context, in one transaction. */
  private async endWhere(em: EntityManager, where: string, params: unknown[], limit = 100): Promise<number> {
    const [ended]: [MandateRow[], number] = await em.query(
      `UPDATE mandates SET ended_at = $1 WHERE id IN (
         SELECT m.id FROM mandates m WHERE m.ended_at IS NULL AND ${where} ORDER BY m.expires_at LIMIT ${Number(limit)} FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      params,
    );
    for (const m of ended) {
      await this.outbox.add(
        { job: 'listings.mandate-ended', data: { mandateId: m.id, blockId: m.block_id, brokerOrgId: m.broker_org_id }, jobId: `mandate:${m.id}:ended` },
        em,
      );
    }
    return ended.length;
  }

  private async holderBlock(em: EntityManager, actor: Actor, blockId: string): Promise<{ holder_org_id: string }> {
    const [block]: { holder_org_id: string }[] = await em.query(
      'SELECT holder_org_id FROM blocks WHERE id = $1 AND removed_at IS NULL FOR UPDATE',
      [blockId],
    );
    if (block && (block.holder_org_id === actor.orgId || isPlatformAdmin(actor))) return block;
    // Mandates are the holder's to give; the platform's other roles may look but not act.
    if (block && actor.isPlatform) throw Problems.forbidden('Only the holder grants and revokes mandates');
    throw Problems.notFound('The block', 'BLOCK.NOT_FOUND');
  }
}

function toView(r: MandateRow, now: Date): MandateView {
  const status = r.revoked_at ? 'revoked' : r.ended_at || r.expires_at.getTime() <= now.getTime() ? 'expired' : 'active';
  return {
    id: r.id,
    blockId: r.block_id,
    brokerOrgId: r.broker_org_id,
    grantedByOrgId: r.granted_by_org_id,
    expiresAt: r.expires_at.toISOString(),
    status,
    revokedAt: r.revoked_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
}

function fieldProblem(code: string, field: string, message: string): ProblemError {
  return new ProblemError(422, code, 'Invalid mandate', `${field} ${message}`, [{ field: `body.${field}`, code, message }]);
}
