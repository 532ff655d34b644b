import { LEASE_STATUSES, MAX_LEASE_TERM_MONTHS, MAX_NOTICE_DAYS, MIN_NOTICE_DAYS, checkAsn } from '@app/leases';
import { coded, pageQuery } from '@app/platform';
import { z } from 'zod';

/** The notice period when none is given: 30 days, or 7 for a one-month term (30 would not fit in it). */
export const defaultNoticeDays = (termMonths: number): number => (termMonths >= 2 ? 30 : 7);

const asn = z.unknown().transform((value, ctx) => {
  const checked = checkAsn(value);
  if (checked.ok) return checked.value;
  coded(ctx, checked.code, checked.message);
  return z.NEVER;
});

export const createLeaseBody = z
  .strictObject({
    listingId: z.uuid(),
    lesseeAsn: asn.meta({ description: 'The lessee’s origin AS (a public, assignable 16- or 32-bit ASN)', example: 213415 }),
    termMonths: z.number().int().min(1).max(MAX_LEASE_TERM_MONTHS).meta({ description: 'At least the listing’s minimum term' }),
    autoRenew: z.boolean().default(true),
    noticeDays: z.number().int().min(MIN_NOTICE_DAYS).max(MAX_NOTICE_DAYS).optional().meta({ description: 'Default 30 (7 for a one-month term)' }),
    prefix: z.string().max(50).optional().meta({ description: 'A unit of the listing’s block; without it the lowest free unit is taken', example: '45.91.20.0/24' }),
  })
  .transform((b) => ({ ...b, listingId: b.listingId.toLowerCase(), noticeDays: b.noticeDays ?? defaultNoticeDays(b.termMonths) }));
export type CreateLeaseBody = z.output<typeof createLeaseBody>;

export const leaseReasonBody = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
export const optionalReasonBody = z.strictObject({ reason: z.string().trim().min(1).max(1000).optional() }).optional();

export const listLeasesQuery = z
  .strictObject({
    status: z.enum(LEASE_STATUSES).optional(),
    as: z.enum(['lessee', 'lessor']).optional(),
    limit: pageQuery.shape.limit,
    cursor: pageQuery.shape.cursor,
  })
  .transform(({ limit, cursor, ...filter }) => ({ filter, page: { limit, cursor } }));
