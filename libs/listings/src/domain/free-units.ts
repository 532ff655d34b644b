import type { Prefix } from '@app/ipam';

/** Inclusive range of addresses (unsigned 32-bit integers). */
export interface TakenRange {
  readonly first: number;
  readonly last: number;
}

/**
 * How many units of `unitLength` inside `block` no taken range touches. Taken ranges may
 * be unsorted, overlap one another and reach outside the block; a range that touches part
 * of a unit takes the whole unit. O(n log n) in the ranges, whatever the number of units.
 */
export function countFreeUnits(block: Prefix, unitLength: number, taken: readonly TakenRange[]): number {
  const unitSize = 2 ** (32 - unitLength);
  const blockLast = block.first + 2 ** (32 - block.length) - 1;
  const total = 2 ** (unitLength - block.length);
  // Each range as the span of unit indexes it touches, clipped to the block.
  const spans = taken
    .filter((r) => r.last >= block.first && r.first <= blockLast)
    .map((r) => [
      Math.floor((Math.max(r.first, block.first) - block.first) / unitSize),
      Math.floor((Math.min(r.last, blockLast) - block.first) / unitSize),
    ])
    .sort((a, b) => a[0]! - b[0]!);
  let used = 0;
  let end = -1; // the last unit index counted so far
  for (const [lo, hi] of spans as [number, number][]) {
    if (hi <= end) continue;
    used += hi - Math.max(lo, end + 1) + 1;
    end = hi;
  }
  return total - used;
}
