import { toMoneyJson } from '@app/money';
import type { Rir } from '@app/registry';
import type { ListingKind, ListingStatus } from './domain/listing.js';

/** A row of `listings` as the queries of this context select it (LISTING_COLUMNS). */
export interface ListingRow {
  id: string;
  block_id: string;
  lister_org_id: string;
  holder_org_id: string;
  listed_as: 'holder' | 'broker';
  mandate_id: string | null;
  mandate_expires_at: Date | null;
  kind: ListingKind;
  status: ListingStatus;
  prefix: string;
  rir: Rir;
  country: string | null;
  price_minor: bigint;
  currency: string;
  unit_prefix_length: number;
  min_term_months: number | null;
  units_total: number;
  units_free: number;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
}

export const LISTING_COLUMNS =
  'id, block_id, lister_org_id, holder_org_id, listed_as, mandate_id, mandate_expires_at, kind, status, prefix, rir, country, ' +
  'price_minor, currency, unit_prefix_length, min_term_months, units_total, units_free, created_at, updated_at, ended_at, end_reason';

export interface MoneyView {
  amountMinor: number;
  currency: string;
}

/** What the API shows of a listing: a whitelist of fields, never the row. */
export interface ListingView {
  id: string;
  status: ListingStatus;
  kind: ListingKind;
  blockId: string;
  prefix: string;
  rir: Rir;
  country: string | null;
  listerOrgId: string;
  holderOrgId: string;
  /** Whether the lister holds the block or lists it as a broker under a mandate. */
  listedAs: 'holder' | 'broker';
  mandate: { id: string; expiresAt: string } | null;
  /** Only on lease listings. */
  lease?: { pricePerIpMonth: MoneyView; unitPrefixLength: number; minTermMonths: number };
  /** Only on sale listings. */
  sale?: { askPerIp: MoneyView };
  /** A lease listing's units; a sale listing is one unit, the whole block. */
  unitPrefixLength: number;
  unitsTotal: number;
  /** Units not committed to anyone now. */
  unitsFree: number;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

export function toListingView(r: ListingRow): ListingView {
  const price = toMoneyJson({ amountMinor: r.price_minor, currency: r.currency });
  return {
    id: r.id,
    status: r.status,
    kind: r.kind,
    blockId: r.block_id,
    prefix: r.prefix,
    rir: r.rir,
    country: r.country,
    listerOrgId: r.lister_org_id,
    holderOrgId: r.holder_org_id,
    listedAs: r.listed_as,
    mandate: r.mandate_id ? { id: r.mandate_id, expiresAt: r.mandate_expires_at!.toISOString() } : null,
    ...(r.kind === 'lease'
      ? { lease: { pricePerIpMonth: price, unitPrefixLength: r.unit_prefix_length, minTermMonths: r.min_term_months! } }
      : { sale: { askPerIp: price } }),
    unitPrefixLength: r.unit_prefix_length,
    unitsTotal: r.units_total,
    unitsFree: r.units_free,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    endedAt: r.ended_at?.toISOString() ?? null,
    endReason: r.end_reason,
  };
}
