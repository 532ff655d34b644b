import type { Rir } from '@app/registry';
import type { BlockStatus, BlockView } from './domain/block.js';

/** A row of `blocks` as queries return it. */
export interface BlockRow {
  id: string;
  holder_org_id: string;
  prefix: string;
  rir: Rir;
  status: BlockStatus;
  country: string | null;
  registered_at: Date | null;
  verified_at: Date | null;
  evidence: Record<string, unknown> | null;
  failure_reason: string | null;
  verify_round: number;
  rir_paid_until: Date | null;
  created_at: Date;
}

/** The select list for BlockRow, optionally qualified by a table alias. */
export function blockColumns(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return ['id', 'holder_org_id', 'prefix::text AS prefix', 'rir', 'status', 'country', 'registered_at', 'verified_at', 'evidence', 'failure_reason', 'verify_round', 'rir_paid_until', 'created_at']
    .map((c) => a + c)
    .join(', ');
}
export const BLOCK_COLUMNS = blockColumns();

export function toBlockView(r: BlockRow): BlockView {
  return {
    id: r.id,
    prefix: r.prefix,
    rir: r.rir,
    holderOrgId: r.holder_org_id,
    status: r.status,
    country: r.country,
    registeredAt: r.registered_at?.toISOString() ?? null,
    verifiedAt: r.verified_at?.toISOString() ?? null,
    failureReason: r.failure_reason,
    rirPaidUntil: r.rir_paid_until?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
}
