import type { Rir } from '@app/registry';
import type { ListingKind } from '../domain/listing.js';
import { SEARCH_COLUMNS } from './search-row.js';

/** Search filters (API.md "Address space"); every one is optional, all that are given must hold. */
export interface ListingFilter {
  readonly kind?: ListingKind;
  readonly rir?: Rir;
  readonly country?: string;
  /** Units of this length or longer (smaller): unit_prefix_length >= value. */
  readonly minUnitPrefixLength?: number;
  /** Lease: price per IP-month; sale: ask per IP. Only with `currency`. */
  readonly maxPricePerIpMinor?: bigint;
  readonly currency?: string;
  /** Units free now (a sale listing is one unit). */
  readonly minFreeUnits?: number;
}

/** The sort key of the last row served: (created_at, id), newest first. */
export interface SearchAfter {
  readonly createdAt: string;
  readonly id: string;
}

export interface SqlQuery {
  /** The statement's shape (which filters, whether after a cursor): one text per shape. */
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

/**
 * The one SQL statement a search page runs (the API, and the benchmark's baseline).
 *
 * Only active listings under a live authority: a broker's listing whose mandate has expired
 * is hidden from `now` on, before the mandate-ended job withdraws it. Filters that are not
 * given are left out of the text (never `$n IS NULL OR ...`), so that the planner sees the
 * real predicates and can pick the index that fits them. Rows come newest first by
 * (created_at, id), and the page after a cursor starts strictly below it: a row inserted
 * between two page requests is newer than every cursor, so no page repeats or skips a row.
 * Fetches `limit + 1` rows; the extra one says whether there is a next page. `name` is the
 * same for every query of one shape, so that each connection parses that text once (a
 * prepared statement; PostgreSQL still plans per call while custom plans are cheaper).
 */
export function searchQuery(filter: ListingFilter, now: Date, after: SearchAfter | null, limit: number): SqlQuery {
  const values: unknown[] = [];
  const param = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  const shape: string[] = [];
  const where = [`status = 'active'`, `(mandate_expires_at IS NULL OR mandate_expires_at > ${param(now.toISOString())}::timestamptz)`];
  const add = (name: string, predicate: (p: typeof param) => string) => {
    shape.push(name);
    where.push(predicate(param));
  };
  if (filter.kind !== undefined) add('kind', (p) => `kind = ${p(filter.kind)}`);
  if (filter.rir !== undefined) add('rir', (p) => `rir = ${p(filter.rir)}`);
  if (filter.country !== undefined) add('country', (p) => `country = ${p(filter.country)}`);
  if (filter.currency !== undefined) add('currency', (p) => `currency = ${p(filter.currency)}`);
  if (filter.maxPricePerIpMinor !== undefined) add('maxPrice', (p) => `price_minor <= ${p(filter.maxPricePerIpMinor!.toString())}::bigint`);
  if (filter.minUnitPrefixLength !== undefined) add('minUnit', (p) => `unit_prefix_length >= ${p(filter.minUnitPrefixLength)}::smallint`);
  if (filter.minFreeUnits !== undefined) add('minFree', (p) => `units_free >= ${p(filter.minFreeUnits)}::integer`);
  if (after) add('after', (p) => `(created_at, id) < (${p(after.createdAt)}::timestamptz, ${p(after.id)}::uuid)`);
  return {
    name: `listings.search:${shape.join(',')}`,
    text: `SELECT ${SEARCH_COLUMNS} FROM listings WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${param(limit + 1)}`,
    values,
  };
}
