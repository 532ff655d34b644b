import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type AsnErrorCode, checkAsn, MAX_ASN } from './asn.js';

const codeOf = (value: unknown): AsnErrorCode | 'ok' => {
  const r = checkAsn(value);
  return r.ok ? 'ok' : r.code;
};

describe('checkAsn: every boundary of every special-purpose range', () => {
  it.each<[number, AsnErrorCode | 'ok']>([
    [0, 'ASN.RESERVED'],
    [1, 'ok'],
    [23_455, 'ok'],
    [23_456, 'ASN.AS_TRANS'],
    [23_457, 'ok'],
    [64_495, 'ok'],
    [64_496, 'ASN.DOCUMENTATION'],
    [64_511, 'ASN.DOCUMENTATION'],
    [64_512, 'ASN.PRIVATE'],
    [65_000, 'ASN.PRIVATE'],
    [65_534, 'ASN.PRIVATE'],
    [65_535, 'ASN.RESERVED'],
    [65_536, 'ASN.DOCUMENTATION'],
    [65_551, 'ASN.DOCUMENTATION'],
    [65_552, 'ASN.RESERVED'],
    [131_071, 'ASN.RESERVED'],
    [131_072, 'ok'],
    [3_356, 'ok'],
    [199_999, 'ok'],
    [4_199_999_999, 'ok'],
    [4_200_000_000, 'ASN.PRIVATE'],
    [4_294_967_294, 'ASN.PRIVATE'],
    [4_294_967_295, 'ASN.RESERVED'],
    [4_294_967_296, 'ASN.OUT_OF_RANGE'],
    [-1, 'ASN.OUT_OF_RANGE'],
    [Number.MAX_SAFE_INTEGER, 'ASN.OUT_OF_RANGE'],
    [1e300, 'ASN.OUT_OF_RANGE'],
    [-(2 ** 40), 'ASN.OUT_OF_RANGE'],
  ])('AS%d: %s', (asn, code) => {
    expect(codeOf(asn)).toBe(code);
  });

  it('gives back the accepted number', () => {
    expect(checkAsn(3_356)).toEqual({ ok: true, value: 3_356 });
    expect(checkAsn(4_199_999_999)).toEqual({ ok: true, value: 4_199_999_999 });
  });

  it('treats -0 as AS0', () => {
    expect(checkAsn(-0)).toMatchObject({ ok: false, code: 'ASN.RESERVED', message: expect.stringMatching(/^AS0 is/) });
  });
});

describe('checkAsn: only JSON integers', () => {
  it.each<[string, unknown]>([
    ['a numeric string', '64500'],
    ['an AS-prefixed string', 'AS3356'],
    ['a fraction', 3356.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a bigint', 3356n],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { asn: 3356 }],
    ['an array', [3356]],
  ])('refuses %s', (_what, value) => {
    const r = checkAsn(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('ASN.NOT_INTEGER');
  });

  it('shows the refused value, shortened when long', () => {
    expect(checkAsn('AS3356')).toMatchObject({ message: expect.stringContaining('not "AS3356"') });
    expect(checkAsn(3356n)).toMatchObject({ message: expect.stringContaining('not 3356n') });
    const r = checkAsn('x'.repeat(500));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message.length).toBeLessThan(150);
  });
});

describe('checkAsn: messages name the number, what it is and the RFC', () => {
  it.each<[number, RegExp]>([
    [0, /^AS0 is reserved \(RFC 7607\)/],
    [23_456, /^AS23456 is AS_TRANS \(RFC 6793\)/],
    [64_496, /^AS64496 is reserved for documentation \(RFC 5398\)/],
    [65_551, /^AS65551 is reserved for documentation \(RFC 5398\)/],
    [64_512, /^AS64512 is private-use \(RFC 6996\): /],
    [4_200_000_000, /^AS4200000000 is private-use \(RFC 6996\): /],
    [65_535, /^AS65535 is reserved \(RFC 7300\)/],
    [4_294_967_295, /^AS4294967295 is reserved \(RFC 7300\)/],
    [100_000, /^AS100000 is reserved by IANA/],
  ])('AS%d', (asn, pattern) => {
    const r = checkAsn(asn);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(pattern);
      expect(r.message).toContain('public ASN');
    }
  });

  it('says the range for out-of-range numbers', () => {
    expect(checkAsn(MAX_ASN + 1)).toMatchObject({ message: `an ASN must be from 0 to 4294967295 (32 bits, RFC 6793), not 4294967296` });
  });
});

describe('checkAsn: agrees with a plain model of the special ranges', () => {
  const refused = (n: number) =>
    n === 0 || n === 23_456 || (n >= 64_496 && n <= 131_071) || n >= 4_200_000_000;

  it('accepts exactly the public 32-bit ASNs', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: MAX_ASN }), fc.integer({ min: 0, max: 200_000 })), (n) => {
        expect(checkAsn(n).ok).toBe(!refused(n));
      }),
    );
  });

  it('never accepts a non-integer', () => {
    fc.assert(
      fc.property(fc.double().filter((d) => !Number.isInteger(d)), (d) => {
        expect(codeOf(d)).toBe('ASN.NOT_INTEGER');
      }),
    );
  });
});
