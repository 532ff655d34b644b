import { toMoneyJson } from '@app/money';
import type { Rir } from '@app/registry';
import type { RiskPlacement, RiskSnapshot } from '@app/risk';
import type { LeaseStatus } from './domain/lifecycle.js';

/** A row of `leases` as the queries of this context select it (LEASE_COLUMNS). */
export interface LeaseRow {
  id: string;
  listing_id: string;
  block_id: string;
  lessor_org_id: string;
  holder_org_id: string;
  lessee_org_id: string;
  prefix: string;
  rir: Rir;
  lessee_asn: bigint;
  term_months: number;
  auto_renew: boolean;
  notice_days: number;
  price_minor: bigint;
  monthly_minor: bigint;
  currency: string;
  status: LeaseStatus;
  starts_at: Date;
  ends_at: Date;
  notice_deadline: Date;
  term_number: number;
  notice_given_at: Date | null;
  notice_given_by: 'lessee' | 'lessor' | 'platform' | null;
  end_reason: 'notice' | 'no_renewal' | 'terminated' | 'failed' | null;
  failure_reason: string | null;
  commitment_id: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
}

const LEASE_COLUMN_NAMES = [
  'id', 'listing_id', 'block_id', 'lessor_org_id', 'holder_org_id', 'lessee_org_id', 'prefix', 'rir', 'lessee_asn', 'term_months',
  'auto_renew', 'notice_days', 'price_minor', 'monthly_minor', 'currency', 'status', 'starts_at', 'ends_at', 'notice_deadline', 'term_number',
  'notice_given_at', 'notice_given_by', 'end_reason', 'failure_reason', 'commitment_id', 'version', 'created_at', 'updated_at', 'ended_at',
];

/** The select list for LeaseRow, optionally qualified by a table alias (the prefix as text). */
export function leaseColumns(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return LEASE_COLUMN_NAMES.map((c) => (c === 'prefix' ? `${a}prefix::text AS prefix` : a + c)).join(', ');
}
export const LEASE_COLUMNS = leaseColumns();

export interface LeaseEventRow {
  seq: number;
  event: string;
  from_status: LeaseStatus | null;
  to_status: LeaseStatus;
  actor: LeaseActorJson;
  at: Date;
  evidence: Record<string, unknown>;
  risks: RiskSnapshot;
}

export type LeaseActorJson =
  | { type: 'system' }
  | { type: 'platform_admin' }
  | { type: 'api_key'; orgId: string; role: string; keyId: string | null; party: 'lessee' | 'lessor' | 'platform' };

export interface RegistryChangeRow {
  id: string;
  lease_id: string;
  phase: 'provision' | 'deprovision';
  change: 'roa' | 'route' | 'assignment';
  rir: Rir;
  prefix: string;
  asn: bigint;
  status: 'pending' | 'applied' | 'failed';
  attempts: number;
  last_error: string | null;
  evidence: Record<string, unknown>;
  round: number;
  created_at: Date;
  updated_at: Date;
  applied_at: Date | null;
}

export const CHANGE_COLUMNS =
  'id, lease_id, phase, change, rir, prefix::text AS prefix, asn, status, attempts, last_error, evidence, round, created_at, updated_at, applied_at';

interface MoneyJson {
  amountMinor: number;
  currency: string;
}

/** What the API shows of a lease: a whitelist of fields, never the row. */
export interface LeaseView {
  id: string;
  status: LeaseStatus;
  prefix: string;
  rir: Rir;
  listingId: string;
  blockId: string;
  lessorOrgId: string;
  holderOrgId: string;
  lesseeOrgId: string;
  lesseeAsn: number;
  termMonths: number;
  autoRenew: boolean;
  noticeDays: number;
  price: { pricePerIpMonth: MoneyJson; monthly: MoneyJson };
  startsAt: string;
  endsAt: string;
  noticeDeadline: string;
  termNumber: number;
  notice: { givenAt: string; givenBy: 'lessee' | 'lessor' | 'platform' } | null;
  endReason: string | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

export interface LeaseEventView {
  seq: number;
  event: string;
  from: LeaseStatus | null;
  to: LeaseStatus;
  actor: LeaseActorJson;
  at: string;
  evidence: Record<string, unknown>;
  risks: readonly RiskPlacement[];
}

export interface RegistryChangeView {
  phase: 'provision' | 'deprovision';
  change: 'roa' | 'route' | 'assignment';
  status: 'pending' | 'applied' | 'failed';
  attempts: number;
  lastError: string | null;
  appliedAt: string | null;
}

/** GET /v1/leases/{id}: the lease, its history, its registry changes and its risks now. */
export interface LeaseDetail extends LeaseView {
  events: LeaseEventView[];
  registryChanges: RegistryChangeView[];
  risks: readonly RiskPlacement[];
  riskMatrixVersion: string;
}

export function toLeaseView(r: LeaseRow): LeaseView {
  return {
    id: r.id,
    status: r.status,
    prefix: r.prefix,
    rir: r.rir,
    listingId: r.listing_id,
    blockId: r.block_id,
    lessorOrgId: r.lessor_org_id,
    holderOrgId: r.holder_org_id,
    lesseeOrgId: r.lessee_org_id,
    lesseeAsn: Number(r.lessee_asn),
    termMonths: r.term_months,
    autoRenew: r.auto_renew,
    noticeDays: r.notice_days,
    price: {
      pricePerIpMonth: toMoneyJson({ amountMinor: r.price_minor, currency: r.currency }),
      monthly: toMoneyJson({ amountMinor: r.monthly_minor, currency: r.currency }),
    },
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    noticeDeadline: r.notice_deadline.toISOString(),
    termNumber: r.term_number,
    notice: r.notice_given_at ? { givenAt: r.notice_given_at.toISOString(), givenBy: r.notice_given_by! } : null,
    endReason: r.end_reason,
    failureReason: r.failure_reason,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    endedAt: r.ended_at?.toISOString() ?? null,
  };
}

export function toEventView(e: LeaseEventRow): LeaseEventView {
  return {
    seq: e.seq,
    event: e.event,
    from: e.from_status,
    to: e.to_status,
    actor: e.actor,
    at: e.at.toISOString(),
    evidence: e.evidence,
    risks: e.risks.risks,
  };
}

export function toChangeView(c: RegistryChangeRow): RegistryChangeView {
  return {
    phase: c.phase,
    change: c.change,
    status: c.status,
    attempts: c.attempts,
    lastError: c.last_error,
    appliedAt: c.applied_at?.toISOString() ?? null,
  };
}
