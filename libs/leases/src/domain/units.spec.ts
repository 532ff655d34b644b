import { describe, expect, it } from '@jest/globals';
import { formatPrefix, lastAddress, parseAddress, parsePrefixOrThrow as pfx, type Prefix, split } from '@app/ipam';
import fc from 'fast-check';
import { type AddressRange, freeUnits, unitOfBlock } from './units.js';

const addr = (text: string) => {
  const r = parseAddress(text);
  if (!r.ok) throw new Error(text);
  return r.value;
};
const range = (first: string, last: string): AddressRange => ({ first: addr(first), last: addr(last) });
const of = (p: string): AddressRange => ({ first: pfx(p).first, last: lastAddress(pfx(p)) });
const texts = (ps: readonly Prefix[]) => ps.map(formatPrefix);

describe('freeUnits', () => {
  const BLOCK = pfx('45.91.20.0/22');

  it.each<[string, AddressRange[], number, string[]]>([
    ['nothing taken', [], 10, ['45.91.20.0/24', '45.91.21.0/24', '45.91.22.0/24', '45.91.23.0/24']],
    ['limit below the free count', [], 2, ['45.91.20.0/24', '45.91.21.0/24']],
    ['limit zero', [], 0, []],
    ['the first unit taken', [of('45.91.20.0/24')], 10, ['45.91.21.0/24', '45.91.22.0/24', '45.91.23.0/24']],
    ['one address of a unit takes the unit', [range('45.91.22.17', '45.91.22.17')], 10, ['45.91.20.0/24', '45.91.21.0/24', '45.91.23.0/24']],
    ['a range across two units', [range('45.91.20.255', '45.91.21.0')], 10, ['45.91.22.0/24', '45.91.23.0/24']],
    ['unsorted and overlapping', [of('45.91.23.0/24'), of('45.91.20.0/23'), range('45.91.20.5', '45.91.21.9')], 10, ['45.91.22.0/24']],
    ['a range reaching in from below', [range('45.91.0.0', '45.91.20.0')], 10, ['45.91.21.0/24', '45.91.22.0/24', '45.91.23.0/24']],
    ['a range reaching in from above', [range('45.91.23.255', '45.91.255.255')], 10, ['45.91.20.0/24', '45.91.21.0/24', '45.91.22.0/24']],
    ['ranges wholly outside', [of('45.91.19.0/24'), of('45.91.24.0/24'), of('8.8.8.0/24')], 1, ['45.91.20.0/24']],
    ['a range covering the block', [of('45.0.0.0/8')], 10, []],
    ['everything taken unit by unit', [of('45.91.21.0/24'), of('45.91.23.0/24'), of('45.91.20.0/24'), of('45.91.22.0/24')], 10, []],
    ['a taken range inside an earlier, larger one', [of('45.91.20.0/23'), of('45.91.20.0/24')], 10, ['45.91.22.0/24', '45.91.23.0/24']],
  ])('%s', (_what, taken, limit, expected) => {
    expect(texts(freeUnits(BLOCK, 24, taken, limit))).toEqual(expected);
  });

  it('does not modify the taken list', () => {
    const taken = [of('45.91.23.0/24'), of('45.91.20.0/24')];
    const copy = taken.map((r) => ({ ...r }));
    freeUnits(BLOCK, 24, taken, 10);
    expect(taken).toEqual(copy);
  });

  it('the unit is the block (unitLength = block length)', () => {
    expect(texts(freeUnits(BLOCK, 22, [], 5))).toEqual(['45.91.20.0/22']);
    expect(freeUnits(BLOCK, 22, [range('45.91.23.1', '45.91.23.1')], 5)).toEqual([]);
  });

  it('works at both ends of the address space', () => {
    expect(texts(freeUnits(pfx('0.0.0.0/0'), 1, [range('0.0.0.0', '0.0.0.0')], 5))).toEqual(['128.0.0.0/1']);
    expect(texts(freeUnits(pfx('255.255.255.0/24'), 32, [range('255.255.255.0', '255.255.255.253')], 5))).toEqual([
      '255.255.255.254/32', '255.255.255.255/32',
    ]);
  });

  it('finds a few units among 2^32 without enumerating them', () => {
    const started = performance.now();
    const units = freeUnits(pfx('0.0.0.0/0'), 32, [range('0.0.0.0', '255.255.255.250')], 3);
    expect(texts(units)).toEqual(['255.255.255.251/32', '255.255.255.252/32', '255.255.255.253/32']);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a /8 of /24 units with thousands of taken ranges', () => {
    const block = pfx('44.0.0.0/8');
    // Every unit except each 7th is taken, by 56,173 ranges given in reverse order.
    const taken: AddressRange[] = [];
    for (let i = 65_535; i >= 0; i--) if (i % 7 !== 0) taken.push({ first: block.first + i * 256 + 3, last: block.first + i * 256 + 3 });
    const all = freeUnits(block, 24, taken, 100_000);
    expect(all).toHaveLength(Math.ceil(65_536 / 7));
    expect(all.every((u, i) => u.first === block.first + i * 7 * 256 && u.length === 24)).toBe(true);
    expect(texts(freeUnits(block, 24, taken, 2))).toEqual(['44.0.0.0/24', '44.0.7.0/24']);
  });

  it('refuses malformed input', () => {
    expect(() => freeUnits(BLOCK, 21, [], 1)).toThrow(RangeError);
    expect(() => freeUnits(BLOCK, 33, [], 1)).toThrow(RangeError);
    expect(() => freeUnits(BLOCK, 24, [], -1)).toThrow(RangeError);
    expect(() => freeUnits(BLOCK, 24, [], 1.5)).toThrow(RangeError);
    expect(() => freeUnits({ first: addr('45.91.20.1'), length: 22 }, 24, [], 1)).toThrow(RangeError);
    expect(() => freeUnits(BLOCK, 24, [{ first: 10, last: 9 }], 1)).toThrow(/taken range 0/);
    expect(() => freeUnits(BLOCK, 24, [{ first: 0.5, last: 9 }], 1)).toThrow(RangeError);
  });

  describe('agrees with a brute-force model', () => {
    // Blocks inside 45.91.0.0/16 (so that ranges can reach outside them), small enough to split.
    const BASE = addr('45.91.0.0');
    const setup = fc
      .tuple(fc.integer({ min: 20, max: 30 }), fc.integer({ min: 0, max: 65_535 }), fc.integer({ min: 0, max: 8 }))
      .chain(([length, offset, extra]) => {
        const size = 2 ** (32 - length);
        const block: Prefix = { first: BASE + offset - (offset % size), length };
        const unitLength = Math.min(32, length + extra);
        const around = fc.integer({ min: Math.max(0, block.first - size), max: block.first + 2 * size - 1 });
        const takenRange = fc.tuple(around, fc.integer({ min: 0, max: size })).map(([first, len]): AddressRange => ({ first, last: first + len }));
        return fc.record({
          block: fc.constant(block),
          unitLength: fc.constant(unitLength),
          taken: fc.array(takenRange, { maxLength: 12 }),
          limit: fc.integer({ min: 0, max: 300 }),
        });
      });

    const model = (block: Prefix, unitLength: number, taken: readonly AddressRange[], limit: number) =>
      split(block, unitLength)
        .filter((u) => taken.every((r) => r.last < u.first || r.first > lastAddress(u)))
        .slice(0, limit);

    it('for any block, unit length, taken ranges and limit', () => {
      fc.assert(
        fc.property(setup, ({ block, unitLength, taken, limit }) => {
          expect(freeUnits(block, unitLength, taken, limit)).toEqual(model(block, unitLength, taken, limit));
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('unitOfBlock', () => {
  const BLOCK = pfx('45.91.20.0/22');

  it.each<[string, string, number, string | null, string]>([
    ['the first unit', '45.91.20.0/24', 24, null, ''],
    ['the last unit', '45.91.23.0/24', 24, null, ''],
    ['the whole block as unit', '45.91.20.0/22', 22, null, ''],
    ['a /25 of a /25 listing', '45.91.23.128/25', 25, null, ''],
    ['just below the block', '45.91.19.0/24', 24, 'LEASE.PREFIX_OUTSIDE_BLOCK', "45.91.19.0/24 is not inside this listing's block 45.91.20.0/22"],
    ['just above the block', '45.91.24.0/24', 24, 'LEASE.PREFIX_OUTSIDE_BLOCK', "45.91.24.0/24 is not inside this listing's block 45.91.20.0/22"],
    ['covering the block', '45.91.16.0/20', 24, 'LEASE.PREFIX_OUTSIDE_BLOCK', "45.91.16.0/20 is not inside this listing's block 45.91.20.0/22"],
    ['elsewhere', '8.8.8.0/24', 24, 'LEASE.PREFIX_OUTSIDE_BLOCK', "8.8.8.0/24 is not inside this listing's block 45.91.20.0/22"],
    ['too large a piece', '45.91.20.0/23', 24, 'LEASE.PREFIX_NOT_A_UNIT', 'this listing leases /24 units; 45.91.20.0/23 is a /23'],
    ['too small a piece', '45.91.21.128/25', 24, 'LEASE.PREFIX_NOT_A_UNIT', 'this listing leases /24 units; 45.91.21.128/25 is a /25'],
    ['the block itself, listed in /24s', '45.91.20.0/22', 24, 'LEASE.PREFIX_NOT_A_UNIT', 'this listing leases /24 units; 45.91.20.0/22 is a /22'],
  ])('%s: %s in /%d units', (_what, asked, unitLength, code, message) => {
    const r = unitOfBlock(BLOCK, unitLength, pfx(asked));
    if (code === null) expect(r).toEqual({ ok: true });
    else expect(r).toEqual({ ok: false, code, message });
  });

  it('accepts exactly the units freeUnits can give', () => {
    const units = freeUnits(BLOCK, 24, [], 100);
    for (const u of units) expect(unitOfBlock(BLOCK, 24, u)).toEqual({ ok: true });
  });
});
