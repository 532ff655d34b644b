import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Prefix } from '@app/ipam';
import type { ListingTerms } from './listing.js';
import { checkTerms, pricePerIp, unitPrefixLength, unitsTotal } from './terms.js';

const usd = (n: bigint) => ({ amountMinor: n, currency: 'USD' });
const lease = (unit: number): ListingTerms => ({ kind: 'lease', lease: { pricePerIpMonth: usd(50n), unitPrefixLength: unit, minTermMonths: 12 } });
const sale: ListingTerms = { kind: 'sale', sale: { askPerIp: usd(4000n) } };
const block = (length: number): Prefix => ({ first: 0x2d000000, length });

describe('listing terms', () => {
  it.each([
    [22, 22, true],
    [22, 23, true],
    [22, 24, true],
    [22, 21, false],
    [22, 25, false],
    [24, 24, true],
    [24, 23, false],
    [8, 8, true],
    [8, 24, true],
  ])('a /%i block with /%i units: accepted %s', (blockLength, unit, accepted) => {
    const problem = checkTerms(block(blockLength), lease(unit));
    if (accepted) expect(problem).toBeNull();
    else expect(problem).toEqual({ field: 'lease.unitPrefixLength', code: 'LISTING.UNIT_PREFIX_LENGTH_OUT_OF_RANGE', message: expect.stringContaining(`from ${blockLength}`) });
  });

  it('refuses a unit length that is not a whole number', () => {
    expect(checkTerms(block(22), lease(23.5))?.code).toBe('LISTING.UNIT_PREFIX_LENGTH_OUT_OF_RANGE');
  });

  it('accepts any sale of a /8../24 block: it sells as one unit, the whole block', () => {
    for (let length = 8; length <= 24; length++) {
      expect(checkTerms(block(length), sale)).toBeNull();
      expect(unitPrefixLength(block(length), sale)).toBe(length);
      expect(unitsTotal(block(length), sale)).toBe(1);
    }
  });

  it('counts 2^(unit - block) lease units, for every accepted pair', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 24 }), fc.integer({ min: 0, max: 16 }), (blockLength, extra) => {
        const unit = Math.min(24, blockLength + extra);
        expect(checkTerms(block(blockLength), lease(unit))).toBeNull();
        expect(unitsTotal(block(blockLength), lease(unit))).toBe(2 ** (unit - blockLength));
        expect(unitPrefixLength(block(blockLength), lease(unit))).toBe(unit);
      }),
    );
  });

  it('compares the lease price per IP-month and the sale ask per IP', () => {
    expect(pricePerIp(lease(24))).toEqual(usd(50n));
    expect(pricePerIp(sale)).toEqual(usd(4000n));
  });
});
