import { z } from 'zod';
import { ProblemError } from '../errors/problem.js';

/**
 * Keyset pagination (API.md "Lists"): `limit` 1..500 (default 50) and an opaque `cursor`
 * holding the sort key of the last row served, so pages never repeat or skip rows.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});
export type PageQuery = z.output<typeof pageQuery>;

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * The cursor of lists ordered by (timestamp, uuid): the sort key of the last row served.
 * Year 0000 passes the ISO check but PostgreSQL refuses it, so it is refused here (a crafted
 * cursor must answer 422, never 500).
 */
export const timeIdCursor = z.tuple([z.iso.datetime().refine((v) => !v.startsWith('0000-')), z.uuid()]);

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor, checking each element against `shape`. */
export function decodeCursor<T extends readonly unknown[]>(cursor: string, shape: z.ZodType<T>): T {
  try {
    return shape.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ProblemError(422, 'PAGINATION.INVALID_CURSOR', 'Invalid cursor', 'Pass back the nextCursor of a previous page unchanged', [
      { field: 'query.cursor', code: 'PAGINATION.INVALID_CURSOR', message: 'is not a cursor this list issued' },
    ]);
  }
}

/** Builds a page from `limit + 1` fetched rows. */
export function toPage<R, T>(rows: R[], limit: number, key: (row: R) => readonly (string | number)[], map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const served = more ? rows.slice(0, limit) : rows;
  return { data: served.map(map), nextCursor: more ? encodeCursor(key(served[served.length - 1]!)) : null };
}
