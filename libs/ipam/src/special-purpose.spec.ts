import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatPrefix, parsePrefix, parsePrefixOrThrow, parsePublicPrefix } from './parse.js';
import { SPECIAL_PURPOSE, specialPurposeOverlap } from './special-purpose.js';

// The registry's entries as [first, last] intervals, computed here without the library.
function interval(text: string): [number, number] {
  const [address, length] = text.split('/') as [string, string];
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  const first = ((a * 256 + b) * 256 + c) * 256 + d;
  return [first, first + 2 ** (32 - Number(length)) - 1];
}
const INTERVALS = SPECIAL_PURPOSE.map((e) => ({ entry: e, range: interval(e.prefix) }));
const ANY_LENGTH = { minLength: 0, maxLength: 32 };

function refusal(text: string, o = ANY_LENGTH) {
  const r = parsePublicPrefix(text, o);
  return r.ok ? null : r.error;
}

describe('the special-purpose registry', () => {
  it('holds every block the issue names, spelled canonically, in address order', () => {
    const required = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24',
      '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4', '255.255.255.255/32'];
    const listed = SPECIAL_PURPOSE.map((e) => e.prefix);
    expect(listed).toEqual(expect.arrayContaining(required));
    for (const e of SPECIAL_PURPOSE) {
      const r = parsePrefix(e.prefix);
      expect(r.ok && formatPrefix(r.value)).toBe(e.prefix);
      expect(e.name).not.toBe('');
      expect(e.rfc).toMatch(/^RFC \d+/);
    }
    // Disjoint but for the one nesting the IANA registry itself has: broadcast inside 240/4.
    for (let i = 1; i < INTERVALS.length; i++) {
      const [prev, cur] = [INTERVALS[i - 1]!, INTERVALS[i]!];
      if (cur.entry.prefix === '255.255.255.255/32') expect(cur.range[1]).toBeLessThanOrEqual(prev.range[1]);
      else expect(cur.range[0]).toBeGreaterThan(prev.range[1]);
    }
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(SPECIAL_PURPOSE)).toBe(true);
    expect(SPECIAL_PURPOSE.every((e) => Object.isFrozen(e))).toBe(true);
  });

  describe.each(SPECIAL_PURPOSE.map((e) => [e.prefix, e] as const))('%s', (text, entry) => {
    const [first, last] = interval(text);
    const length = Number(text.split('/')[1]);
    const at = (n: number, len: number) => formatPrefix({ first: n - (n % 2 ** (32 - len)), length: len });

    it('is refused when equal, naming the entry', () => {
      expect(refusal(text)).toMatchObject({ code: 'CIDR.SPECIAL_PURPOSE', specialPurpose: entry, message: expect.stringContaining(text) });
      expect(specialPurposeOverlap({ first, length })).toBe(entry);
    });

    it('is refused for a block inside it', () => {
      expect(refusal(at(first, 32))).toMatchObject({ code: 'CIDR.SPECIAL_PURPOSE', specialPurpose: entry });
      expect(refusal(at(Math.floor((first + last) / 2), 32))).toMatchObject({ code: 'CIDR.SPECIAL_PURPOSE', specialPurpose: entry });
      expect(refusal(at(last, Math.min(32, length + 1)))).toMatchObject({ code: 'CIDR.SPECIAL_PURPOSE', specialPurpose: entry });
    });

    it('is refused for a block covering it', () => {
      const parent = at(first, Math.max(0, length - 1));
      expect(refusal(parent)?.code).toBe('CIDR.SPECIAL_PURPOSE');
      expect(refusal(at(first, Math.min(length, 8)))?.code).toBe('CIDR.SPECIAL_PURPOSE');
      expect(refusal('0.0.0.0/0')?.code).toBe('CIDR.SPECIAL_PURPOSE');
    });
  });

  it.each([
    ['192.0.0.0/8', '192.0.0.0/24'],
    ['0.0.0.0/0', '0.0.0.0/8'],
    ['128.0.0.0/1', '169.254.0.0/16'],
    ['198.0.0.0/8', '198.18.0.0/15'],
    ['224.0.0.0/3', '224.0.0.0/4'],
    ['100.0.0.0/9', '100.64.0.0/10'],
    ['240.0.0.0/4', '240.0.0.0/4'],
    ['255.255.255.254/31', '240.0.0.0/4'],
    ['255.255.255.255/32', '255.255.255.255/32'],
  ])('refuses %s, naming %s', (text, name) => {
    expect(refusal(text)?.specialPurpose?.prefix).toBe(name);
  });

  // Hand-picked neighbours, each touching an entry from outside. 240.0.0.0/4 and
  // 255.255.255.255/32 have none: multicast lies below the one, 240/4 around the other.
  it.each([
    '1.0.0.0/8', '1.0.0.0/32', '9.0.0.0/8', '9.255.255.255/32', '11.0.0.0/8', '11.0.0.0/32',
    '100.0.0.0/10', '100.63.255.255/32', '100.128.0.0/10', '100.128.0.0/32',
    '126.0.0.0/8', '126.255.255.255/32', '128.0.0.0/8', '128.0.0.0/32',
    '169.253.0.0/16', '169.253.255.255/32', '169.255.0.0/16', '169.255.0.0/32',
    '172.0.0.0/12', '172.15.255.255/32', '172.32.0.0/12', '172.32.0.0/32',
    '191.255.255.0/24', '191.255.255.255/32', '192.0.1.0/24', '192.0.1.255/32', '192.0.3.0/24', '192.0.3.0/32',
    '192.31.195.0/24', '192.31.197.0/24', '192.52.192.0/24', '192.52.194.0/24',
    '192.88.98.0/24', '192.88.98.255/32', '192.88.100.0/24', '192.88.100.0/32',
    '192.167.0.0/16', '192.167.255.255/32', '192.169.0.0/16', '192.169.0.0/32',
    '192.175.47.0/24', '192.175.49.0/24',
    '198.16.0.0/15', '198.17.255.255/32', '198.20.0.0/15', '198.20.0.0/32',
    '198.51.99.0/24', '198.51.99.255/32', '198.51.101.0/24', '198.51.101.0/32',
    '203.0.112.0/24', '203.0.112.255/32', '203.0.114.0/24', '203.0.114.0/32',
    '223.0.0.0/8', '223.255.255.255/32',
  ])('accepts the adjacent-but-outside %s', (text) => {
    expect(refusal(text)).toBeNull();
    expect(specialPurposeOverlap(parsePrefixOrThrow(text))).toBeNull();
  });

  it('refuses a prefix exactly when it overlaps an entry, against an interval model', () => {
    const nearAnEntry = fc
      .tuple(fc.constantFrom(...INTERVALS), fc.boolean(), fc.integer({ min: -(2 ** 20), max: 2 ** 20 }))
      .map(([{ range }, atEnd, delta]) => Math.min(2 ** 32 - 1, Math.max(0, (atEnd ? range[1] : range[0]) + delta)));
    const address = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), nearAnEntry);
    fc.assert(
      fc.property(address, fc.integer({ min: 0, max: 32 }), (a, length) => {
        const size = 2 ** (32 - length);
        const first = a - (a % size);
        const last = first + size - 1;
        const inside = INTERVALS.filter(({ range }) => range[0] <= first && last <= range[1]);
        const hit = inside.length > 0 ? inside[inside.length - 1] : INTERVALS.find(({ range }) => range[0] <= last && first <= range[1]);
        const text = formatPrefix({ first, length });
        expect(refusal(text)?.specialPurpose ?? null).toBe(hit?.entry ?? null);
        expect(specialPurposeOverlap({ first, length })).toBe(hit?.entry ?? null);
      }),
      { numRuns: 5000 },
    );
  });
});
