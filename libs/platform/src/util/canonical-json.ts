import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, so that two equal values always produce the
 * same text (and the same hash) whatever order their keys were written in. bigint is
 * written as a decimal string; undefined properties are dropped, as JSON.stringify does.
 * Throws a RangeError for values nested deeper than CANONICAL_JSON_MAX_DEPTH: a client's
 * body of a few KB of brackets would otherwise overflow the stack at an unpredictable depth.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, 0);
}

export const CANONICAL_JSON_MAX_DEPTH = 256;

function canonical(value: unknown, depth: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object' && depth >= CANONICAL_JSON_MAX_DEPTH) {
    throw new RangeError(`canonicalJson: value nested deeper than ${CANONICAL_JSON_MAX_DEPTH} levels`);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, depth + 1)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, depth + 1)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
