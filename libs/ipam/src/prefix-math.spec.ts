import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatAddress, formatPrefix, parseAddress, parsePrefixOrThrow as pfx } from './parse.js';
import {
  addressCount, comparePrefixes, contains, containsAddress, isPrefix, lastAddress, netmask, overlaps, split, unitAt, unitCount,
} from './prefix-math.js';
import { type Prefix } from './types.js';

const addr = (text: string) => {
  const r = parseAddress(text);
  if (!r.ok) throw new Error(text);
  return r.value;
};

/** Any well-formed prefix, all lengths equally likely. */
const anyPrefix = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 })).map(
  ([a, length]): Prefix => ({ first: a - (a % 2 ** (32 - length)), length }),
);

describe('sizes and bounds', () => {
  it.each([
    ['0.0.0.0/0', 4_294_967_296, '255.255.255.255'],
    ['128.0.0.0/1', 2_147_483_648, '255.255.255.255'],
    ['10.0.0.0/8', 16_777_216, '10.255.255.255'],
    ['45.91.20.0/22', 1024, '45.91.23.255'],
    ['45.91.20.0/24', 256, '45.91.20.255'],
    ['45.91.20.6/31', 2, '45.91.20.7'],
    ['255.255.255.255/32', 1, '255.255.255.255'],
  ])('%s holds %d addresses, the last %s', (text, count, last) => {
    expect(addressCount(pfx(text))).toBe(count);
    expect(formatAddress(lastAddress(pfx(text)))).toBe(last);
  });

  it.each([
    [0, 0],
    [1, 0x80000000],
    [8, 0xff000000],
    [22, 0xfffffc00],
    [31, 0xfffffffe],
    [32, 0xffffffff],
  ])('netmask /%d is %d', (length, mask) => {
    expect(netmask(length)).toBe(mask);
  });

  it.each([
    [{ first: 0, length: 0 }, true],
    [{ first: 0xffffffff, length: 32 }, true],
    [{ first: 0x0a000000, length: 8 }, true],
    [{ first: 0x0a000001, length: 8 }, false],
    [{ first: -1, length: 32 }, false],
    [{ first: 2 ** 32, length: 32 }, false],
    [{ first: 0, length: 33 }, false],
    [{ first: 0, length: 8.5 }, false],
    [{ first: 0.5, length: 32 }, false],
    [{ first: '0', length: 0 }, false],
    [null, false],
    ['10.0.0.0/8', false],
  ])('isPrefix(%j) is %s', (p, expected) => {
    expect(isPrefix(p)).toBe(expected);
  });
});

describe('contains and overlaps', () => {
  it.each([
    ['equal', '45.91.20.0/22', '45.91.20.0/22', true, true, true],
    ['inside', '45.91.20.0/22', '45.91.23.0/24', true, false, true],
    ['covering', '45.91.0.0/16', '45.0.0.0/8', false, true, true],
    ['adjacent after', '45.91.20.0/22', '45.91.24.0/22', false, false, false],
    ['adjacent before', '45.91.20.0/22', '45.91.19.0/24', false, false, false],
    ['disjoint', '45.91.20.0/22', '8.8.8.0/24', false, false, false],
    ['the whole space', '0.0.0.0/0', '255.255.255.255/32', true, false, true],
    ['top half and last address', '128.0.0.0/1', '255.255.255.255/32', true, false, true],
    ['bottom half and top half', '0.0.0.0/1', '128.0.0.0/1', false, false, false],
  ])('%s: %s vs %s', (_what, a, b, aContainsB, bContainsA, overlap) => {
    expect(contains(pfx(a), pfx(b))).toBe(aContainsB);
    expect(contains(pfx(b), pfx(a))).toBe(bContainsA);
    expect(overlaps(pfx(a), pfx(b))).toBe(overlap);
    expect(overlaps(pfx(b), pfx(a))).toBe(overlap);
  });

  it.each([
    ['45.91.20.0/22', '45.91.20.0', true],
    ['45.91.20.0/22', '45.91.23.255', true],
    ['45.91.20.0/22', '45.91.19.255', false],
    ['45.91.20.0/22', '45.91.24.0', false],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['128.0.0.0/1', '127.255.255.255', false],
  ])('%s contains %s: %s', (p, a, expected) => {
    expect(containsAddress(pfx(p), addr(a))).toBe(expected);
  });

  it('agree with interval logic over the whole space', () => {
    fc.assert(
      fc.property(anyPrefix, anyPrefix, fc.integer({ min: 0, max: 2 ** 32 - 1 }), (a, b, x) => {
        const [af, al] = [BigInt(a.first), BigInt(a.first) + (1n << BigInt(32 - a.length)) - 1n];
        const [bf, bl] = [BigInt(b.first), BigInt(b.first) + (1n << BigInt(32 - b.length)) - 1n];
        expect(contains(a, b)).toBe(af <= bf && bl <= al);
        expect(overlaps(a, b)).toBe(af <= bl && bf <= al);
        expect(containsAddress(a, x)).toBe(af <= BigInt(x) && BigInt(x) <= al);
        // CIDR blocks never partly overlap.
        expect(overlaps(a, b)).toBe(contains(a, b) || contains(b, a));
      }),
      { numRuns: 3000 },
    );
  });

  it('agree with address sets in a small space', () => {
    const small = fc.tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 22, max: 32 })).map(
      ([off, length]): Prefix => {
        const a = 0x2d5b0000 + off;
        return { first: a - (a % 2 ** (32 - length)), length };
      },
    );
    const set = (p: Prefix) => new Set(Array.from({ length: addressCount(p) }, (_, i) => p.first + i));
    fc.assert(
      fc.property(small, small, (a, b) => {
        const [sa, sb] = [set(a), set(b)];
        expect(contains(a, b)).toBe([...sb].every((x) => sa.has(x)));
        expect(overlaps(a, b)).toBe([...sb].some((x) => sa.has(x)));
      }),
      { numRuns: 1000 },
    );
  });

  it('comparePrefixes orders by address, then covering before covered', () => {
    const sorted = ['45.91.20.0/24', '45.91.20.0/22', '8.8.8.0/24', '0.0.0.0/0', '255.255.255.255/32'].map(pfx).sort(comparePrefixes);
    expect(sorted.map(formatPrefix)).toEqual(['0.0.0.0/0', '8.8.8.0/24', '45.91.20.0/22', '45.91.20.0/24', '255.255.255.255/32']);
  });
});

describe('units', () => {
  it('splits a /22 into its four /24s in address order', () => {
    expect(split(pfx('45.91.20.0/22'), 24).map(formatPrefix)).toEqual(['45.91.20.0/24', '45.91.21.0/24', '45.91.22.0/24', '45.91.23.0/24']);
    expect(split(pfx('45.91.20.0/24'), 24)).toEqual([pfx('45.91.20.0/24')]);
    expect(unitCount(pfx('45.91.20.0/22'), 24)).toBe(4);
  });

  it('splits up to 65,536 units and refuses more', () => {
    const units = split(pfx('10.0.0.0/8'), 24);
    expect(units).toHaveLength(65_536);
    expect(formatPrefix(units[65_535]!)).toBe('10.255.255.0/24');
    expect(formatPrefix(split(pfx('0.0.0.0/0'), 16)[65_535]!)).toBe('255.255.0.0/16');
    expect(() => split(pfx('10.0.0.0/7'), 24)).toThrow(RangeError);
    expect(() => split(pfx('0.0.0.0/0'), 32)).toThrow(RangeError);
  });

  it('counts and indexes units of the whole space without splitting it', () => {
    expect(unitCount(pfx('0.0.0.0/0'), 32)).toBe(2 ** 32);
    expect(unitAt(pfx('0.0.0.0/0'), 32, 2 ** 32 - 1)).toEqual(pfx('255.255.255.255/32'));
    expect(formatPrefix(unitAt(pfx('128.0.0.0/1'), 24, 2 ** 23 - 1))).toBe('255.255.255.0/24');
    expect(formatPrefix(unitAt(pfx('45.91.20.0/22'), 24, 2))).toBe('45.91.22.0/24');
  });

  it.each([
    ['shorter than the prefix', 21],
    ['longer than /32', 33],
    ['negative', -1],
    ['fractional', 23.5],
    ['not a number', Number.NaN],
  ])('refuses a unit length %s', (_what, unitLength) => {
    const p = pfx('45.91.20.0/22');
    expect(() => unitCount(p, unitLength)).toThrow(RangeError);
    expect(() => split(p, unitLength)).toThrow(RangeError);
    expect(() => unitAt(p, unitLength, 0)).toThrow(RangeError);
  });

  it.each([-1, 4, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses unit index %d of a /22 in /24s', (index) => {
    expect(() => unitAt(pfx('45.91.20.0/22'), 24, index)).toThrow(RangeError);
  });

  it('split covers exactly the prefix with disjoint units, and unitAt agrees with it', () => {
    const splittable = fc.tuple(anyPrefix, fc.integer({ min: 0, max: 10 })).filter(([p, extra]) => p.length + extra <= 32);
    fc.assert(
      fc.property(splittable, fc.nat(), ([p, extra], pick) => {
        const unitLength = p.length + extra;
        const units = split(p, unitLength);
        expect(units).toHaveLength(unitCount(p, unitLength));
        expect(units[0]!.first).toBe(p.first);
        expect(lastAddress(units[units.length - 1]!)).toBe(lastAddress(p));
        // Well-formed units of the asked size, inside p, each starting right after the one
        // before: together that is an exact cover with no gap and no overlap.
        const bad = units.findIndex(
          (u, i) => !isPrefix(u) || u.length !== unitLength || !contains(p, u) || (i > 0 && u.first !== lastAddress(units[i - 1]!) + 1),
        );
        expect(bad).toBe(-1);
        const i = pick % units.length;
        expect(unitAt(p, unitLength, i)).toEqual(units[i]);
      }),
      { numRuns: 1000 },
    );
  });

  it('unitAt finds the unit holding any address, even in splits too large to list', () => {
    fc.assert(
      fc.property(anyPrefix, fc.integer({ min: 0, max: 32 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (p, u, frac) => {
        fc.pre(u >= p.length);
        const index = Math.floor(frac * unitCount(p, u));
        const unit = unitAt(p, u, index);
        expect(isPrefix(unit)).toBe(true);
        expect(contains(p, unit)).toBe(true);
        expect(unit.first).toBe(p.first + index * addressCount(unit));
      }),
      { numRuns: 2000 },
    );
  });
});
