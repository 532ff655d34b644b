import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parsePrefixOrThrow } from '@app/ipam';
import { countFreeUnits } from './free-units.js';

const block = parsePrefixOrThrow('45.91.0.0/22');
const base = block.first;

describe('countFreeUnits', () => {
  it('counts every unit free when nothing is taken', () => {
    expect(countFreeUnits(block, 24, [])).toBe(4);
    expect(countFreeUnits(block, 22, [])).toBe(1);
  });

  it('takes the whole unit a range touches, once however many ranges touch it', () => {
    const quarter = { first: base + 256, last: base + 256 + 63 };
    expect(countFreeUnits(block, 24, [quarter])).toBe(3);
    expect(countFreeUnits(block, 24, [quarter, { first: base + 400, last: base + 401 }])).toBe(3);
    expect(countFreeUnits(block, 23, [quarter])).toBe(1);
  });

  it('clips ranges that reach outside the block and ignores ranges beside it', () => {
    expect(countFreeUnits(block, 24, [{ first: base - 1000, last: base }])).toBe(3);
    expect(countFreeUnits(block, 24, [{ first: base + 1024, last: base + 5000 }])).toBe(4);
    expect(countFreeUnits(block, 24, [{ first: 0, last: 2 ** 32 - 1 }])).toBe(0);
  });

  it('agrees with counting unit by unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 22, max: 26 }),
        fc.array(fc.tuple(fc.integer({ min: -300, max: 1300 }), fc.integer({ min: 0, max: 400 })), { maxLength: 8 }),
        (unitLength, raw) => {
          const taken = raw.map(([start, len]) => ({ first: base + start, last: base + start + len }));
          const size = 2 ** (32 - unitLength);
          let free = 0;
          for (let u = base; u < base + 1024; u += size) {
            if (!taken.some((r) => r.first <= u + size - 1 && r.last >= u)) free++;
          }
          expect(countFreeUnits(block, unitLength, taken)).toBe(free);
        },
      ),
    );
  });
});
