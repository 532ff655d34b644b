import type { Rir } from '@app/registry';
import type { ListingKind } from '../domain/listing.js';
import type { ListingView } from '../listing-row.js';

/**
 * What a search selects. Only active listings come back, so status, ended_at and end_reason
 * are not read. Timestamps arrive as PostgreSQL's text and bigint as a number (see
 * SEARCH_TYPES): a page of 50 listings is rendered without building a Date or a BigInt.
 */
export const SEARCH_COLUMNS =
  'id, block_id, lister_org_id, holder_org_id, listed_as, mandate_id, mandate_expires_at, kind, prefix, rir, country, ' +
  'price_minor, currency, unit_prefix_length, min_term_months, units_total, units_free, created_at, updated_at';

export interface SearchRow {
  id: string;
  block_id: string;
  lister_org_id: string;
  holder_org_id: string;
  listed_as: 'holder' | 'broker';
  mandate_id: string | null;
  mandate_expires_at: string | null;
  kind: ListingKind;
  prefix: string;
  rir: Rir;
  country: string | null;
  /** At most 10^15 (a CHECK), so a JavaScript number holds it exactly. */
  price_minor: number;
  currency: string;
  unit_prefix_length: number;
  min_term_months: number | null;
  units_total: number;
  units_free: number;
  created_at: string;
  updated_at: string;
}

const INT8 = 20;
const INT2 = 21;
const INT4 = 23;
const asNumber = (v: string) => Number(v);
const asText = (v: string) => v;

/** pg type parsers for the search query (pg's `types` option); other types stay text (uuid, cidr, text). */
export const SEARCH_TYPES = {
  getTypeParser(oid: number): (value: string) => unknown {
    return oid === INT8 || oid === INT2 || oid === INT4 ? asNumber : asText;
  },
};

// PostgreSQL's text form of a timestamptz under TimeZone UTC: '2026-05-01 12:34:56.78+00'.
const PG_UTC = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamptz as PostgreSQL writes it, to ISO 8601 UTC with milliseconds (as Date's
 * toISOString writes it). The UTC form is rewritten as text; any other (a session in
 * another time zone, a year past 9999) goes through Date.
 */
export function pgTimestampToIso(text: string): string {
  const m = PG_UTC.exec(text);
  if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  const normalised = text.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
  const date = new Date(normalised);
  if (Number.isNaN(date.getTime())) throw new Error(`unreadable timestamptz ${text}`);
  return date.toISOString();
}

/** The same view as toListingView gives for an active listing. */
export function toSearchView(r: SearchRow): ListingView {
  const price = { amountMinor: r.price_minor, currency: r.currency };
  const createdAt = pgTimestampToIso(r.created_at);
  return {
    id: r.id,
    status: 'active',
    kind: r.kind,
    blockId: r.block_id,
    prefix: r.prefix,
    rir: r.rir,
    country: r.country,
    listerOrgId: r.lister_org_id,
    holderOrgId: r.holder_org_id,
    listedAs: r.listed_as,
    mandate: r.mandate_id ? { id: r.mandate_id, expiresAt: pgTimestampToIso(r.mandate_expires_at!) } : null,
    ...(r.kind === 'lease'
      ? { lease: { pricePerIpMonth: price, unitPrefixLength: r.unit_prefix_length, minTermMonths: r.min_term_months! } }
      : { sale: { askPerIp: price } }),
    unitPrefixLength: r.unit_prefix_length,
    unitsTotal: r.units_total,
    unitsFree: r.units_free,
    createdAt,
    updatedAt: r.updated_at === r.created_at ? createdAt : pgTimestampToIso(r.updated_at),
    endedAt: null,
    endReason: null,
  };
}
