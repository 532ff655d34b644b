import { isAddress, lastAddress } from './prefix-math.js';
import { type Prefix } from './types.js';

/**
 * The minimal CIDR cover of the inclusive range first..last, in address order: greedily the
 * largest aligned block that starts at the cursor and stays inside the range. Each block is
 * maximal (its parent would start before `first` or end after `last`), which is what makes
 * the cover minimal; a range needs at most 62 blocks.
 */
export function rangeToPrefixes(first: number, last: number): Prefix[] {
  if (!isAddress(first) || !isAddress(last) || first > last) {
    throw new RangeError(`${String(first)}..${String(last)} is not a range of IPv4 addresses`);
  }
  const out: Prefix[] = [];
  let cursor = first;
  while (cursor <= last) {
    let length = 0;
    while (cursor % 2 ** (32 - length) !== 0 || cursor + 2 ** (32 - length) - 1 > last) length++;
    out.push({ first: cursor, length });
    cursor += 2 ** (32 - length);
  }
  return out;
}

/**
 * The minimal set of prefixes covering exactly the union of the given ones, in address
 * order: duplicates and contained prefixes vanish, siblings merge (10.0.0.0/24 + 10.0.1.0/24
 * -> 10.0.0.0/23), and adjacent non-siblings stay apart (10.0.1.0/24 + 10.0.2.0/24).
 */
export function aggregate(prefixes: readonly Prefix[]): Prefix[] {
  const ranges = prefixes.map((p) => [p.first, lastAddress(p)] as const).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [first, last] of ranges) {
    const top = merged[merged.length - 1];
    // Touching ranges (top ends at first - 1) merge too: the cover of the union may straddle them.
    if (top && first <= top[1] + 1) top[1] = Math.max(top[1], last);
    else merged.push([first, last]);
  }
  return merged.flatMap(([first, last]) => rangeToPrefixes(first, last));
}
