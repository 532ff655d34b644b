import type { DeadlineKind, SubjectType } from './domain/deadline.js';

/**
 * Where each kind of deadline comes from: one SQL query per kind over the rows that own the
 * date, each a range scan on an index of that date (migration 1764400014000 and earlier).
 *
 * This is a read model across contexts (leases, inventory, escrow, transfers), like a
 * report: it only reads their tables, never writes them, and each query is kept next to the
 * others so that the indexes it needs can be checked in one place (bench/deadlines prints
 * the plans).
 */

/** Bind parameters, numbered as they are added. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}

export interface SourceWindow {
  /** Due dates after this (exclusive); null: no lower bound (every overdue deadline). */
  readonly from: Date | null;
  /** Due dates up to this (inclusive). */
  readonly to: Date;
  /** Only deadlines of this organisation; null: every organisation. */
  readonly orgId: string | null;
  /** The (sandbox) clock's now. */
  readonly now: Date;
  readonly escrowFundingWindowMs: number;
  readonly escrowRegistryProgressMs: number;
  /**
   * Only deadlines whose owning row changed after this (clock time): the scan's way to find
   * deadlines born inside a band since its last run. Only the kinds of INCREMENTAL_KINDS
   * honour it; the others are small enough to be read whole.
   */
  readonly changedSince?: Date | null;
}

/**
 * The kinds over tables that grow with the business (a million leases): the scan reads them
 * incrementally, by the dates that crossed a threshold since its last run and the rows that
 * changed since (an index on leases.updated_at), not whole bands. */
export const INCREMENTAL_KINDS: ReadonlySet<DeadlineKind> = new Set<DeadlineKind>(['lease.notice', 'lease.end', 'roa.expiry']);

/**
 * Each query answers the columns (deadline_id, kind, due_at, subject_type, subject_id,
 * org_ids, title). Deadlines that end when they pass (a lease that lapses at its notice
 * deadline, a mandate that expires) stay visible as overdue for LOOKBACK after, so that the
 * overdue notification is never lost to the job that acts on the date.
 */
export type DeadlineSource = (w: SourceWindow, p: Params) => string;

const LOOKBACK = `interval '30 days'`;

/** `col > from AND col <= to`, on the date expression `col` (which must be indexable as written). */
function range(col: string, w: SourceWindow, p: Params, shift = ''): string {
  const to = `${p.add(w.to, 'timestamptz')}${shift}`;
  return w.from === null ? `${col} <= ${to}` : `${col} > ${p.add(w.from, 'timestamptz')}${shift} AND ${col} <= ${to}`;
}

/** `AND col > changedSince`, when the window asks for changed rows only. */
function changed(col: string, w: SourceWindow, p: Params): string {
  return w.changedSince ? ` AND ${col} > ${p.add(w.changedSince, 'timestamptz')}` : '';
}

function org(w: SourceWindow, p: Params, orgs: string): string {
  return w.orgId === null ? 'true' : `${p.add(w.orgId, 'uuid')} = ANY(${orgs})`;
}

const LIVE_TRANSFER = `('proposed', 'agreed', 'policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'registry_approved', 'disputed')`;
const AWAITING_REGISTRY = `('funded', 'registry_submitted', 'registry_approved')`;

export const DEADLINE_SOURCES: Readonly<Record<DeadlineKind, DeadlineSource>> = {
  // Open while no notice is given; a lease without auto-renew that lapses at the deadline
  // keeps it (overdue) while it ends. An auto-renewing lease's deadline is met by renewing.
  'lease.notice': (w, p) => `
    SELECT 'lease.notice:' || l.id || ':' || l.term_number AS deadline_id, l.notice_deadline AS due_at, l.id AS subject_id,
           ARRAY[l.lessee_org_id, l.lessor_org_id] AS org_ids,
           'Notice deadline of lease ' || host(l.prefix) || '/' || masklen(l.prefix) || ', term ' || l.term_number ||
             CASE WHEN l.auto_renew THEN ': it renews unless notice is given' ELSE ': it does not renew' END AS title
      FROM leases l
     WHERE ${range('l.notice_deadline', w, p)} AND l.notice_given_at IS NULL
       AND l.status IN ('active', 'suspended', 'ending') AND (l.status <> 'ending' OR l.end_reason = 'no_renewal')${changed('l.updated_at', w, p)}
       AND ${org(w, p, 'ARRAY[l.lessee_org_id, l.lessor_org_id]')}`,

  // The end of a lease that will not renew; an ended one stays listed (overdue) for LOOKBACK.
  'lease.end': (w, p) => `
    SELECT 'lease.end:' || l.id || ':' || l.term_number AS deadline_id, l.ends_at AS due_at, l.id AS subject_id,
           ARRAY[l.lessee_org_id, l.lessor_org_id] AS org_ids,
           'Lease ' || host(l.prefix) || '/' || masklen(l.prefix) || ' ends: the lessee must have renumbered and withdrawn its routes' AS title
      FROM leases l
     WHERE ${range('l.ends_at', w, p)} AND l.status IN ('active', 'suspended', 'ending', 'deprovisioning', 'ended')
       AND (l.status IN ('ending', 'deprovisioning')
            OR (l.status IN ('active', 'suspended') AND (NOT l.auto_renew OR l.notice_given_at IS NOT NULL))
            OR (l.status = 'ended' AND l.end_reason IN ('notice', 'no_renewal') AND l.ends_at > ${p.add(w.now, 'timestamptz')} - ${LOOKBACK}))${changed('l.updated_at', w, p)}
       AND ${org(w, p, 'ARRAY[l.lessee_org_id, l.lessor_org_id]')}`,

  'rir.fees_due': (w, p) => rirStanding('rir.fees_due', '', 'RIR fees for', 'are paid until this date', w, p),
  'rir.services_stop': (w, p) => rirStanding('rir.services_stop', `interval '120 days'`, 'The RIR stops services for', '(fees unpaid 120 days)', w, p),
  'rir.revocation': (w, p) => rirStanding('rir.revocation', `interval '180 days'`, 'The RIR revokes', '(fees unpaid 180 days)', w, p),

  // The ROA the registry made for a lease, while the lease is live and it is not removed.
  'roa.expiry': (w, p) => `
    SELECT 'roa.expiry:' || l.id || ':' || to_char(c.expires_at AT TIME ZONE 'UTC', 'YYYYMMDD') AS deadline_id, c.expires_at AS due_at, l.id AS subject_id,
           ARRAY[l.lessee_org_id, l.lessor_org_id] AS org_ids,
           'ROA for ' || host(c.prefix) || '/' || masklen(c.prefix) || ' and AS' || c.asn || ' expires at the registry' AS title
      FROM lease_registry_changes c JOIN leases l ON l.id = c.lease_id
     WHERE ${range('c.expires_at', w, p)} AND c.change = 'roa' AND c.phase = 'provision' AND c.status = 'applied'
       AND l.status IN ('active', 'suspended', 'ending')${changed('l.updated_at', w, p)}
       AND ${org(w, p, 'ARRAY[l.lessee_org_id, l.lessor_org_id]')}`,

  'escrow.funding': (w, p) => `
    SELECT 'escrow.funding:' || e.deal_id AS deadline_id, e.created_at + ${p.add(w.escrowFundingWindowMs, 'bigint')} * interval '1 millisecond' AS due_at,
           e.deal_id AS subject_id, array_remove(ARRAY[e.buyer_org_id, e.seller_org_id, e.broker_org_id], NULL) AS org_ids,
           'Escrow ' || e.funding_reference || ' still awaits the buyer''s funds' AS title
      FROM escrows e
     WHERE ${range('e.created_at', w, p, ` - ${p.add(w.escrowFundingWindowMs, 'bigint')} * interval '1 millisecond'`)} AND e.status = 'awaiting_funds'
       AND ${org(w, p, 'ARRAY[e.buyer_org_id, e.seller_org_id, e.broker_org_id]')}`,

  // Funded, and the registry has not completed the transfer (a dispute does not stop this clock).
  'escrow.registry_progress': (w, p) => `
    SELECT 'escrow.registry_progress:' || t.id AS deadline_id, f.at + ${p.add(w.escrowRegistryProgressMs, 'bigint')} * interval '1 millisecond' AS due_at,
           t.id AS subject_id, array_remove(ARRAY[t.buyer_org_id, t.seller_org_id, t.broker_org_id], NULL) AS org_ids,
           'Funded escrow of transfer ' || host(t.prefix) || '/' || masklen(t.prefix) || ' has no registry progress' AS title
      FROM transfers t JOIN transfer_events f ON f.transfer_id = t.id AND f.stage = 'funded' AND f.wait IS NULL
     WHERE (t.stage IN ${AWAITING_REGISTRY} OR (t.stage = 'disputed' AND t.frozen_stage IN ${AWAITING_REGISTRY}))
       AND ${range('f.at', w, p, ` - ${p.add(w.escrowRegistryProgressMs, 'bigint')} * interval '1 millisecond'`)}
       AND ${org(w, p, 'ARRAY[t.buyer_org_id, t.seller_org_id, t.broker_org_id]')}`,

  'transfer.stage_sla': (w, p) => `
    SELECT 'transfer.stage_sla:' || t.id || ':' || t.stage || ':' || to_char(t.stage_entered_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSMS') AS deadline_id,
           t.due_at, t.id AS subject_id, array_remove(ARRAY[t.buyer_org_id, t.seller_org_id, t.broker_org_id], NULL) AS org_ids,
           'Transfer ' || host(t.prefix) || '/' || masklen(t.prefix) || ': stage ' || t.stage || ' is due' AS title
      FROM transfers t
     WHERE ${range('t.due_at', w, p)} AND t.stage IN ${LIVE_TRANSFER}
       AND ${org(w, p, 'ARRAY[t.buyer_org_id, t.seller_org_id, t.broker_org_id]')}`,

  // A live mandate, or one that ended by expiring (not revoked), for LOOKBACK after.
  'mandate.expiry': (w, p) => `
    SELECT 'mandate.expiry:' || m.id AS deadline_id, m.expires_at AS due_at, m.id AS subject_id,
           ARRAY[m.broker_org_id, m.granted_by_org_id] AS org_ids,
           'Mandate of a broker on block ' || host(b.prefix) || '/' || masklen(b.prefix) || ' expires' AS title
      FROM mandates m JOIN blocks b ON b.id = m.block_id
     WHERE ${range('m.expires_at', w, p)} AND m.revoked_at IS NULL
       AND (m.ended_at IS NULL OR (m.ended_at >= m.expires_at AND m.expires_at > ${p.add(w.now, 'timestamptz')} - ${LOOKBACK}))
       AND ${org(w, p, 'ARRAY[m.broker_org_id, m.granted_by_org_id]')}`,

  // The buyer's pre-approval, while its transfer has not reached the registry's decision.
  'pre_approval.expiry': (w, p) => `
    SELECT 'pre_approval.expiry:' || d.id AS deadline_id, d.expires_at AS due_at, d.id AS subject_id,
           array_remove(ARRAY[t.buyer_org_id, t.broker_org_id], NULL) AS org_ids,
           d.rir || ' pre-approval of the buyer of ' || host(t.prefix) || '/' || masklen(t.prefix) || ' expires' AS title
      FROM transfer_documents d JOIN transfers t ON t.id = d.transfer_id
     WHERE ${range('d.expires_at', w, p)} AND d.kind = 'pre_approval'
       AND t.stage IN ('proposed', 'agreed', 'policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'disputed')
       AND ${org(w, p, 'ARRAY[t.buyer_org_id, t.broker_org_id]')}`,
};

/** A block's RIR paid-until date, shifted: its holder and the lessees of its live leases see it. */
function rirStanding(kind: DeadlineKind, shift: string, before: string, after: string, w: SourceWindow, p: Params): string {
  const due = shift ? `b.rir_paid_until + ${shift}` : 'b.rir_paid_until';
  const lessees = `ARRAY(SELECT DISTINCT l.lessee_org_id FROM leases l WHERE l.block_id = b.id AND l.status IN ('provisioning', 'active', 'suspended', 'ending'))`;
  return `
    SELECT '${kind}:' || b.id || ':' || to_char(b.rir_paid_until AT TIME ZONE 'UTC', 'YYYYMMDD') AS deadline_id, ${due} AS due_at, b.id AS subject_id,
           ARRAY[b.holder_org_id] || ${lessees} AS org_ids,
           '${before} ' || host(b.prefix) || '/' || masklen(b.prefix) || ' (' || b.rir || ') ${after}' AS title
      FROM blocks b
     WHERE ${range('b.rir_paid_until', w, p, shift ? ` - ${shift}` : '')} AND b.removed_at IS NULL
       AND ${w.orgId === null ? 'true' : `(b.holder_org_id = ${p.add(w.orgId, 'uuid')} OR ${p.add(w.orgId, 'uuid')} = ANY(${lessees}))`}`;
}

export const SUBJECT_TYPES: Readonly<Record<DeadlineKind, SubjectType>> = {
  'lease.notice': 'lease',
  'lease.end': 'lease',
  'rir.fees_due': 'block',
  'rir.services_stop': 'block',
  'rir.revocation': 'block',
  'roa.expiry': 'lease',
  'escrow.funding': 'escrow',
  'escrow.registry_progress': 'escrow',
  'transfer.stage_sla': 'transfer',
  'mandate.expiry': 'mandate',
  'pre_approval.expiry': 'transfer_document',
};
