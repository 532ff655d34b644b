import { Injectable } from '@nestjs/common';
import { type Actor } from '@app/identity';
import { BlocksService } from '@app/inventory';
import { Clock, DomainEvents, ProblemError, Transactions } from '@app/platform';
import type { RiskSnapshot } from '@app/risk';
import { type LeaseAction, type LeaseStatus, leaseTransition } from './domain/lifecycle.js';
import { leaseRisks } from './domain/risks.js';
import { LEASE_COLUMNS, type LeaseActorJson, type LeaseRow } from './lease-row.js';

/** Columns a transition may change besides the status. */
export interface LeasePatch {
  ends_at?: Date;
  notice_deadline?: Date;
  term_number?: number;
  notice_given_at?: Date;
  notice_given_by?: 'lessee' | 'lessor' | 'platform';
  end_reason?: 'notice' | 'no_renewal' | 'terminated' | 'failed';
  failure_reason?: string;
  ended_at?: Date;
}

const PATCHABLE = new Set<keyof LeasePatch>([
  'ends_at',
  'notice_deadline',
  'term_number',
  'notice_given_at',
  'notice_given_by',
  'end_reason',
  'failure_reason',
  'ended_at',
]);

/** Which side of a lease an actor is on (null: neither, and not the platform). */
export function partyOf(actor: Actor, lease: Pick<LeaseRow, 'lessee_org_id' | 'lessor_org_id' | 'holder_org_id'>): 'lessee' | 'lessor' | 'platform' | null {
  if (actor.orgId === lease.lessee_org_id) return 'lessee';
  if (actor.orgId === lease.lessor_org_id || actor.orgId === lease.holder_org_id) return 'lessor';
  return actor.isPlatform ? 'platform' : null;
}

export function actorJson(actor: Actor | 'system', lease: Pick<LeaseRow, 'lessee_org_id' | 'lessor_org_id' | 'holder_org_id'>): LeaseActorJson {
  if (actor === 'system') return { type: 'system' };
  if (actor.kind === 'platform_admin_token') return { type: 'platform_admin' };
  return { type: 'api_key', orgId: actor.orgId, role: actor.role, keyId: actor.keyId, party: partyOf(actor, lease) ?? 'platform' };
}

/**
 * Every change of a lease goes through here: the pure transition table decides, the row
 * changes, and an event (actor, time, evidence, the risk placement it leaves) is appended,
 * all in the caller's transaction. The lease row must be locked (FOR UPDATE) by the caller.
 */
@Injectable()
export class LeaseHistory {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly blocks: BlocksService,
    private readonly events: DomainEvents,
  ) {}

  /** Applies `action`; a transition the table does not allow is a 409 LEASE.INVALID_TRANSITION. */
  async apply(
    lease: LeaseRow,
    action: LeaseAction,
    actor: Actor | 'system',
    opts: { event?: string; evidence?: Record<string, unknown>; patch?: LeasePatch } = {},
  ): Promise<LeaseRow> {
    const next = leaseTransition(lease.status, action);
    if (!next.ok) throw new ProblemError(409, next.code, 'Invalid lease transition', next.message, undefined, { status: lease.status });
    return this.record(lease, next.to, opts.event ?? action, actor, opts.evidence ?? {}, opts.patch ?? {});
  }

  /** An event that changes no status (a registry change applied, the unit released after a failure...). */
  async note(lease: LeaseRow, event: string, actor: Actor | 'system', evidence: Record<string, unknown> = {}): Promise<LeaseRow> {
    return this.record(lease, lease.status, event, actor, evidence, {});
  }

  /** The first event of a lease, written by the insert that created it. */
  async created(lease: LeaseRow, actor: Actor, evidence: Record<string, unknown>): Promise<void> {
    // A new lease has made no registry change yet: nothing to read for its placement.
    const risks = await this.placement(lease, { roa: false, route: false, assignment: false });
    await this.insertEvent(lease, 1, 'created', null, actorJson(actor, lease), evidence, risks);
  }

  /** The lease's risk placement now (the registry state read from its changes). */
  async risks(lease: LeaseRow): Promise<RiskSnapshot> {
    const rows: { change: 'roa' | 'route' | 'assignment'; provisioned: boolean }[] = await this.tx.manager().query(
      `SELECT change,
              bool_or(phase = 'provision' AND status = 'applied') AND NOT bool_or(phase = 'deprovision' AND status = 'applied') AS provisioned
         FROM lease_registry_changes WHERE lease_id = $1 GROUP BY change`,
      [lease.id],
    );
    const inPlace = (c: string) => rows.some((r) => r.change === c && r.provisioned);
    return this.placement(lease, { roa: inPlace('roa'), route: inPlace('route'), assignment: inPlace('assignment') });
  }

  private async placement(lease: LeaseRow, registry: { roa: boolean; route: boolean; assignment: boolean }): Promise<RiskSnapshot> {
    const standing = await this.blocks.standing(lease.block_id);
    return leaseRisks({
      status: lease.status,
      autoRenew: lease.auto_renew,
      noticeGiven: lease.notice_given_at !== null,
      monthlyMinor: lease.monthly_minor,
      currency: lease.currency,
      now: await this.clock.now(),
      endsAt: lease.ends_at,
      noticeDeadline: lease.notice_deadline,
      registry,
      lessorStanding: standing.standing,
      rirPaidUntil: standing.rirPaidUntil,
    });
  }

  private async record(
    lease: LeaseRow,
    to: LeaseStatus,
    event: string,
    actor: Actor | 'system',
    evidence: Record<string, unknown>,
    patch: LeasePatch,
  ): Promise<LeaseRow> {
    const em = this.tx.manager();
    const now = await this.clock.now();
    const sets = ['status = $2', 'version = version + 1', 'updated_at = $3'];
    const params: unknown[] = [lease.id, to, now];
    for (const [key, value] of Object.entries(patch) as [keyof LeasePatch, unknown][]) {
      if (!PATCHABLE.has(key) || value === undefined) continue;
      params.push(value);
      sets.push(`${key} = $${params.length}`);
    }
    const [[updated]]: [LeaseRow[], number] = await em.query(
      `UPDATE leases SET ${sets.join(', ')} WHERE id = $1 AND version = ${lease.version} RETURNING ${LEASE_COLUMNS}`,
      params,
    );
    // The caller holds the row lock, so the version cannot have moved; if it did, that is a bug.
    if (!updated) throw new Error(`lease ${lease.id} changed under a transition (version ${lease.version})`);
    await this.insertEvent(updated, updated.version, event, lease.status, actorJson(actor, lease), evidence, await this.risks(updated));
    return updated;
  }

  private async insertEvent(
    lease: LeaseRow,
    seq: number,
    event: string,
    from: LeaseStatus | null,
    actor: LeaseActorJson,
    evidence: Record<string, unknown>,
    risks: RiskSnapshot,
  ): Promise<void> {
    await this.tx.manager().query(
      `INSERT INTO lease_events (lease_id, seq, event, from_status, to_status, actor, at, evidence, risks)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [lease.id, seq, event, from, lease.status, JSON.stringify(actor), lease.updated_at, JSON.stringify(evidence), JSON.stringify(risks)],
    );
    // Outgoing webhooks: 'lease.<event>' to both sides, in the same transaction.
    await this.events.publish(this.tx.manager(), {
      type: `lease.${event.toLowerCase().replace(/[^a-z_]+/g, '_')}`,
      orgIds: [lease.lessee_org_id, lease.lessor_org_id, lease.holder_org_id],
      subject: { type: 'lease', id: lease.id },
      data: { leaseId: lease.id, event, fromStatus: from, status: lease.status, prefix: lease.prefix, evidence },
      occurredAt: lease.updated_at,
    });
  }

  /**
   * The holder's standing for a block changed (its RIR fees lapsed or were paid): every live
   * lease of the block gets an event with the risk placement that follows, so the lessees'
   * continuity risk moves in their history. Runs in the caller's transaction; answers the
   * leases noted, with their lessees.
   */
  async noteBlockStanding(blockId: string, event: string, evidence: Record<string, unknown>): Promise<{ leaseId: string; lesseeOrgId: string }[]> {
    const rows: LeaseRow[] = await this.tx
      .manager()
      .query(`SELECT ${LEASE_COLUMNS} FROM leases WHERE block_id = $1 AND status IN ('provisioning', 'active', 'suspended', 'ending') ORDER BY id FOR UPDATE`, [blockId]);
    for (const lease of rows) await this.note(lease, event, 'system', evidence);
    return rows.map((l) => ({ leaseId: l.id, lesseeOrgId: l.lessee_org_id }));
  }
}
