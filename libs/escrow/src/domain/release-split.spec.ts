import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { releaseSplit } from './release-split.js';

const usd = (amountMinor: bigint) => ({ amountMinor, currency: 'USD' });

describe('releaseSplit', () => {
  it.each([
    ['a broker and the platform', 1_000_000n, 500, 250, [925_000n, 50_000n, 25_000n]],
    ['no broker', 1_000_000n, 0, 300, [970_000n, 0n, 30_000n]],
    ['no fees at all', 999n, 0, 0, [999n, 0n, 0n]],
    ['an odd price: the units left go by largest remainder', 1_000_001n, 500, 250, [925_001n, 50_000n, 25_000n]],
    ['a price of one unit goes to the seller', 1n, 500, 250, [1n, 0n, 0n]],
    ['thirds', 100n, 3333, 3333, [34n, 33n, 33n]],
  ])('%s', (_what, total, brokerFeeBps, platformFeeBps, [seller, broker, platform]) => {
    const split = releaseSplit(usd(total), { brokerFeeBps, platformFeeBps });
    expect(split).toEqual({ seller: usd(seller!), broker: usd(broker!), platform: usd(platform!) });
  });

  it('sums exactly to the price, each share within one unit of its exact part', () => {
    const fees = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 9999 })).filter(([b, p]) => b + p < 10_000);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), fees, (total, [brokerFeeBps, platformFeeBps]) => {
        const s = releaseSplit(usd(total), { brokerFeeBps, platformFeeBps });
        expect(s.seller.amountMinor + s.broker.amountMinor + s.platform.amountMinor).toBe(total);
        const within = (part: bigint, bps: number) => {
          const error = part * 10_000n - total * BigInt(bps);
          return error > -10_000n && error < 10_000n;
        };
        expect(within(s.broker.amountMinor, brokerFeeBps)).toBe(true);
        expect(within(s.platform.amountMinor, platformFeeBps)).toBe(true);
        expect(within(s.seller.amountMinor, 10_000 - brokerFeeBps - platformFeeBps)).toBe(true);
        expect([s.seller, s.broker, s.platform].every((m) => m.currency === 'USD' && m.amountMinor >= 0n)).toBe(true);
      }),
    );
  });
});
