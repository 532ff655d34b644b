import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { allocate } from './allocate.js';
import { type Money } from './money.js';

const usd = (n: bigint): Money => ({ amountMinor: n, currency: 'USD' });
const amounts = (parts: Money[]) => parts.map((p) => p.amountMinor);

/** Basis points: n integers >= 0 summing to 10,000, cut from random points on 0..10000. */
const shares = fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 0, maxLength: 9 }).map((cuts) => {
  const points = [0, ...cuts.sort((a, b) => a - b), 10_000];
  return points.slice(1).map((p, i) => p - points[i]!);
});
const total = fc.oneof(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: -200n, max: 200n }));

describe('allocate', () => {
  it.each([
    ['thirds of a dollar', 100n, [3333, 3333, 3334], [33n, 33n, 34n]],
    ['a tie goes to the earlier share', 1n, [5000, 5000], [1n, 0n]],
    ['two cents over three equal-ish shares', 2n, [3334, 3333, 3333], [1n, 1n, 0n]],
    ['seller, broker, platform', 1_000_000n, [9250, 500, 250], [925_000n, 50_000n, 25_000n]],
    ['the largest remainder wins over order', 10n, [1500, 1550, 6950], [1n, 2n, 7n]],
    ['a zero share gets nothing', 7n, [0, 10_000, 0], [0n, 7n, 0n]],
    ['one share takes all', 123n, [10_000], [123n]],
    ['zero splits into zeros', 0n, [2500, 7500], [0n, 0n]],
    ['a negative total mirrors the positive split', -100n, [3333, 3333, 3334], [-33n, -33n, -34n]],
    ['a tie in a reversal goes to the earlier share too', -1n, [5000, 5000], [-1n, 0n]],
  ])('%s', (_what, amountMinor, bps, expected) => {
    const parts = allocate(usd(amountMinor), bps);
    expect(amounts(parts)).toEqual(expected);
    expect(parts.every((p) => p.currency === 'USD')).toBe(true);
  });

  it.each([
    ['no shares', []],
    ['a sum below 10000', [5000, 4999]],
    ['a sum above 10000', [5000, 5001]],
    ['a negative share', [10_001, -1]],
    ['a fractional share', [5000.5, 4999.5]],
    ['NaN', [Number.NaN, 10_000]],
    ['Infinity', [Number.POSITIVE_INFINITY]],
  ])('refuses %s', (_what, bps) => {
    expect(() => allocate(usd(100n), bps)).toThrow(RangeError);
  });

  it('never makes or loses a minor unit, keeps each part within one unit of its exact share, and ranks parts as the shares', () => {
    fc.assert(
      fc.property(total, shares, (amountMinor, bps) => {
        const parts = amounts(allocate(usd(amountMinor), bps));
        expect(parts).toHaveLength(bps.length);
        expect(parts.reduce((s, p) => s + p, 0n)).toBe(amountMinor);
        bps.forEach((bp, i) => {
          // |part - total * bp / 10000| < 1, in integers.
          const error = parts[i]! * 10_000n - amountMinor * BigInt(bp);
          expect(error > -10_000n && error < 10_000n).toBe(true);
          const j = (i + 1) % bps.length;
          const abs = (n: bigint) => (n < 0n ? -n : n);
          if (bp > bps[j]!) expect(abs(parts[i]!) >= abs(parts[j]!)).toBe(true);
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('is deterministic and does not touch its input', () => {
    fc.assert(
      fc.property(total, shares, (amountMinor, bps) => {
        const frozen = Object.freeze([...bps]);
        const t = Object.freeze(usd(amountMinor));
        expect(allocate(t, frozen)).toEqual(allocate(t, frozen));
        expect(frozen).toEqual(bps);
      }),
      { numRuns: 500 },
    );
  });

  it('matches a brute-force largest-remainder model', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1000n }), shares, (amountMinor, bps) => {
        // Hand out the units one at a time, each to the share furthest below its exact part
        // (earliest on ties), measured in 1/10000ths of a unit.
        const model = bps.map(() => 0n);
        for (let k = 0n; k < amountMinor; k++) {
          let best = -1;
          let bestGap = 0n;
          bps.forEach((bp, i) => {
            const gap = amountMinor * BigInt(bp) - model[i]! * 10_000n;
            if (best === -1 || gap > bestGap) [best, bestGap] = [i, gap];
          });
          model[best]! += 1n;
        }
        expect(amounts(allocate(usd(amountMinor), bps))).toEqual(model);
      }),
      { numRuns: 500 },
    );
  });
});
