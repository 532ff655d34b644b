import { contains, formatPrefix, isPrefix, type Prefix, unitCount } from '@app/ipam';

/** Addresses `first` to `last`, inclusive, as unsigned 32-bit integers in JS numbers. */
export interface AddressRange {
  readonly first: number;
  readonly last: number;
}

function checkRange(r: AddressRange, i: number): void {
  if (!Number.isInteger(r.first) || !Number.isInteger(r.last) || r.first > r.last) {
    throw new RangeError(`taken range ${i} must be integers with first <= last, not ${String(r.first)}..${String(r.last)}`);
  }
}

/**
 * The lowest `limit` free units of a block in address order: the aligned /unitLength
 * prefixes inside `block` that overlap no taken range (a range touching part of a unit takes
 * the whole unit). `taken` may be unsorted, overlap itself and reach outside the block.
 *
 * O(n log n + limit) for n taken ranges: the ranges are sorted and swept, and only the gaps
 * between them are turned into units, so the 65,536 /24s of a /8 (or the 2^32 /32s of a /0)
 * are never enumerated to find a few. RangeError on a malformed block, unit length or limit.
 */
export function freeUnits(block: Prefix, unitLength: number, taken: readonly AddressRange[], limit: number): Prefix[] {
  if (!isPrefix(block)) throw new RangeError('block must be a well-formed prefix');
  const total = unitCount(block, unitLength); // RangeError unless block.length <= unitLength <= 32
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, not ${String(limit)}`);
  taken.forEach(checkRange);

  const size = 2 ** (32 - unitLength);
  const blockLast = block.first + total * size - 1;
  // Each range as the inclusive span of unit indexes it touches, clipped to the block.
  const spans: [number, number][] = [];
  for (const r of taken) {
    if (r.last < block.first || r.first > blockLast) continue;
    spans.push([
      Math.floor((Math.max(r.first, block.first) - block.first) / size),
      Math.floor((Math.min(r.last, blockLast) - block.first) / size),
    ]);
  }
  spans.sort((a, b) => a[0] - b[0]);

  const out: Prefix[] = [];
  let next = 0; // the lowest unit index not yet known to be taken or emitted
  const emitUpTo = (end: number) => {
    // units next..end-1 are free
    for (; next < end && out.length < limit; next++) out.push({ first: block.first + next * size, length: unitLength });
  };
  for (const [lo, hi] of spans) {
    if (out.length >= limit) return out;
    emitUpTo(lo);
    next = Math.max(next, hi + 1);
  }
  emitUpTo(total);
  return out;
}

export type UnitOfBlockResult =
  | { ok: true }
  | { ok: false; code: 'LEASE.PREFIX_OUTSIDE_BLOCK' | 'LEASE.PREFIX_NOT_A_UNIT'; message: string };

/** Whether a prefix a lessee asked for is one of the listing's units: inside the block, and exactly /unitLength. */
export function unitOfBlock(block: Prefix, unitLength: number, asked: Prefix): UnitOfBlockResult {
  if (!contains(block, asked)) {
    return {
      ok: false,
      code: 'LEASE.PREFIX_OUTSIDE_BLOCK',
      message: `${formatPrefix(asked)} is not inside this listing's block ${formatPrefix(block)}`,
    };
  }
  if (asked.length !== unitLength) {
    return {
      ok: false,
      code: 'LEASE.PREFIX_NOT_A_UNIT',
      message: `this listing leases /${unitLength} units; ${formatPrefix(asked)} is a /${asked.length}`,
    };
  }
  return { ok: true };
}
