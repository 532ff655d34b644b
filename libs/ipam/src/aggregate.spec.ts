import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { aggregate, rangeToPrefixes } from './aggregate.js';
import { formatPrefix, parseAddress, parsePrefixOrThrow as pfx } from './parse.js';
import { addressCount, isPrefix, lastAddress } from './prefix-math.js';
import { type Prefix } from './types.js';

const addr = (text: string) => {
  const r = parseAddress(text);
  if (!r.ok) throw new Error(text);
  return r.value;
};
const texts = (ps: readonly Prefix[]) => ps.map(formatPrefix);

// The brute-force model works in one /16 (45.91.0.0/16), over a bitmap of its 65,536 addresses.
const BASE = addr('45.91.0.0');
const SPACE = 65_536;

/**
 * The unique minimal CIDR cover of a set of addresses: the maximal blocks of the binary
 * tree of prefixes that the set fills completely, found by walking the tree from the /16.
 */
function minimalCover(covered: Uint8Array): Prefix[] {
  const sums = new Uint32Array(SPACE + 1);
  for (let i = 0; i < SPACE; i++) sums[i + 1] = sums[i]! + covered[i]!;
  const out: Prefix[] = [];
  const walk = (offset: number, length: number) => {
    const size = 2 ** (32 - length);
    const filled = sums[offset + size]! - sums[offset]!;
    if (filled === size) out.push({ first: BASE + offset, length });
    else if (filled > 0) {
      walk(offset, length + 1);
      walk(offset + size / 2, length + 1);
    }
  };
  walk(0, 16);
  return out;
}

const smallPrefix = fc.tuple(fc.integer({ min: 0, max: SPACE - 1 }), fc.integer({ min: 16, max: 32 })).map(
  ([off, length]): Prefix => ({ first: BASE + off - (off % 2 ** (32 - length)), length }),
);
// Mostly long prefixes, so that unions are ragged and merges are common.
const raggedPrefix = fc.oneof(
  { weight: 1, arbitrary: smallPrefix },
  { weight: 4, arbitrary: smallPrefix.map((p) => ({ first: p.first - (p.first % 2 ** (32 - Math.max(p.length, 26))), length: Math.max(p.length, 26) })) },
);

/**
 * What every minimal, sorted cover must satisfy, whatever the space: well-formed blocks in
 * address order, disjoint, and no two touching blocks of one size whose union is aligned
 * (they would be one block). Returns the first violation, for one cheap assertion.
 */
function canonicalViolation(ps: readonly Prefix[]): string | null {
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (!isPrefix(p)) return `block ${i} is not a prefix`;
    if (i === 0) continue;
    const prev = ps[i - 1]!;
    if (p.first <= lastAddress(prev)) return `block ${i} is not after block ${i - 1}`;
    if (prev.length === p.length && lastAddress(prev) + 1 === p.first && prev.first % (2 * addressCount(p)) === 0) {
      return `blocks ${i - 1} and ${i} are siblings`;
    }
  }
  return null;
}

describe('aggregate', () => {
  it.each([
    ['nothing', [], []],
    ['one prefix', ['45.91.20.0/24'], ['45.91.20.0/24']],
    ['siblings', ['45.91.21.0/24', '45.91.20.0/24'], ['45.91.20.0/23']],
    ['four /24s', ['45.91.23.0/24', '45.91.21.0/24', '45.91.22.0/24', '45.91.20.0/24'], ['45.91.20.0/22']],
    ['adjacent non-siblings', ['45.91.21.0/24', '45.91.22.0/24'], ['45.91.21.0/24', '45.91.22.0/24']],
    ['three of four /24s', ['45.91.20.0/24', '45.91.21.0/24', '45.91.22.0/24'], ['45.91.20.0/23', '45.91.22.0/24']],
    ['a duplicate', ['45.91.20.0/24', '45.91.20.0/24'], ['45.91.20.0/24']],
    ['a prefix inside another', ['45.91.20.0/22', '45.91.21.128/25'], ['45.91.20.0/22']],
    ['disjoint, out of order', ['8.8.8.0/24', '1.1.1.0/24'], ['1.1.1.0/24', '8.8.8.0/24']],
    ['the two halves of the space', ['128.0.0.0/1', '0.0.0.0/1'], ['0.0.0.0/0']],
    ['the last address and its neighbour', ['255.255.255.255/32', '255.255.255.254/32'], ['255.255.255.254/31']],
    ['the whole space and anything', ['0.0.0.0/0', '45.91.20.0/24'], ['0.0.0.0/0']],
  ])('%s', (_what, input, expected) => {
    expect(texts(aggregate(input.map(pfx)))).toEqual(expected);
  });

  it('does not modify its input', () => {
    const input = Object.freeze(['45.91.21.0/24', '45.91.20.0/24'].map((t) => Object.freeze(pfx(t))));
    aggregate(input);
    expect(texts(input)).toEqual(['45.91.21.0/24', '45.91.20.0/24']);
  });

  it('covers exactly the union and is minimal, against a brute-force bitmap', () => {
    fc.assert(
      fc.property(fc.array(raggedPrefix, { maxLength: 40 }), (ps) => {
        const covered = new Uint8Array(SPACE);
        for (const p of ps) covered.fill(1, p.first - BASE, p.first - BASE + addressCount(p));
        const result = aggregate(ps);
        expect(result).toEqual(minimalCover(covered));
        expect(canonicalViolation(result)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('is sorted, canonical, idempotent and independent of input order over the whole space', () => {
    const anyPrefix = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 })).map(
      ([a, length]): Prefix => ({ first: a - (a % 2 ** (32 - length)), length }),
    );
    fc.assert(
      fc.property(fc.array(anyPrefix, { maxLength: 20 }), fc.integer(), (ps, seed) => {
        const result = aggregate(ps);
        expect(canonicalViolation(result)).toBeNull();
        expect(aggregate(result)).toEqual(result);
        const shuffled = [...ps].sort((a, b) => ((a.first ^ seed) >>> 0) - ((b.first ^ seed) >>> 0));
        expect(aggregate(shuffled)).toEqual(result);
        // Every input address is covered: each input lies inside one result block.
        for (const p of ps) expect(result.some((r) => r.first <= p.first && lastAddress(p) <= lastAddress(r))).toBe(true);
        // Nothing beyond the inputs is covered: the address count matches the union's.
        const union = [...ps].sort((a, b) => a.first - b.first).reduce<[number, number][]>((acc, p) => {
          const top = acc[acc.length - 1];
          if (top && p.first <= top[1] + 1) top[1] = Math.max(top[1], lastAddress(p));
          else acc.push([p.first, lastAddress(p)]);
          return acc;
        }, []);
        const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
        expect(total(result.map(addressCount))).toBe(total(union.map(([f, l]) => l - f + 1)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('rangeToPrefixes', () => {
  it.each([
    ['45.91.20.0', '45.91.23.255', ['45.91.20.0/22']],
    ['45.91.20.0', '45.91.20.0', ['45.91.20.0/32']],
    ['45.91.20.1', '45.91.20.6', ['45.91.20.1/32', '45.91.20.2/31', '45.91.20.4/31', '45.91.20.6/32']],
    ['45.91.21.0', '45.91.24.255', ['45.91.21.0/24', '45.91.22.0/23', '45.91.24.0/24']],
    ['0.0.0.0', '255.255.255.255', ['0.0.0.0/0']],
    ['128.0.0.0', '255.255.255.255', ['128.0.0.0/1']],
    ['255.255.255.255', '255.255.255.255', ['255.255.255.255/32']],
  ])('%s - %s', (first, last, expected) => {
    expect(texts(rangeToPrefixes(addr(first), addr(last)))).toEqual(expected);
  });

  it('needs 62 blocks for the worst range, 0.0.0.1 - 255.255.255.254', () => {
    const blocks = rangeToPrefixes(1, 2 ** 32 - 2);
    expect(blocks).toHaveLength(62);
    expect(texts([blocks[0]!, blocks[61]!])).toEqual(['0.0.0.1/32', '255.255.255.254/32']);
  });

  it.each([
    [2, 1],
    [-1, 5],
    [0, 2 ** 32],
    [0.5, 1],
    [Number.NaN, 1],
  ])('refuses %d - %d', (first, last) => {
    expect(() => rangeToPrefixes(first, last)).toThrow(RangeError);
  });

  it('covers exactly the range and is minimal, against a brute-force bitmap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SPACE - 1 }), fc.integer({ min: 0, max: SPACE - 1 }), (x, y) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        const covered = new Uint8Array(SPACE);
        covered.fill(1, lo, hi + 1);
        expect(rangeToPrefixes(BASE + lo, BASE + hi)).toEqual(minimalCover(covered));
      }),
      { numRuns: 300 },
    );
  });

  it('tiles any range with maximal aligned blocks over the whole space', () => {
    const address = fc.integer({ min: 0, max: 2 ** 32 - 1 });
    fc.assert(
      fc.property(address, address, (x, y) => {
        const [first, last] = x <= y ? [x, y] : [y, x];
        const blocks = rangeToPrefixes(first, last);
        expect(blocks.length).toBeLessThanOrEqual(62);
        expect(blocks[0]!.first).toBe(first);
        expect(lastAddress(blocks[blocks.length - 1]!)).toBe(last);
        // Touching, and maximal: each block's parent would reach outside the range.
        const bad = blocks.findIndex((b, i) => {
          if (i > 0 && b.first !== lastAddress(blocks[i - 1]!) + 1) return true;
          if (b.length === 0) return false;
          const size = 2 * addressCount(b);
          const parentFirst = b.first - (b.first % size);
          return parentFirst >= first && parentFirst + size - 1 <= last;
        });
        expect(bad).toBe(-1);
        expect(canonicalViolation(blocks)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });
});
