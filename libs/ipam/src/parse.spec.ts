import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatAddress, formatPrefix, parseAddress, parsePrefix, parsePrefixOrThrow, parsePublicPrefix } from './parse.js';

describe('parseAddress', () => {
  it.each([
    ['0.0.0.0', 0],
    ['1.2.3.4', 0x01020304],
    ['45.91.20.7', 45 * 2 ** 24 + 91 * 2 ** 16 + 20 * 256 + 7],
    ['128.0.0.0', 2 ** 31],
    ['255.255.255.255', 2 ** 32 - 1],
  ])('reads %s as %d', (text, n) => {
    expect(parseAddress(text)).toEqual({ ok: true, value: n });
    expect(formatAddress(n)).toBe(text);
  });

  it.each([
    ['', 'CIDR.MALFORMED'],
    ['1.2.3', 'CIDR.MALFORMED'],
    ['1.2.3.4.5', 'CIDR.MALFORMED'],
    ['1.2.3.', 'CIDR.MALFORMED'],
    ['.1.2.3', 'CIDR.MALFORMED'],
    ['1..2.3', 'CIDR.MALFORMED'],
    ['01.2.3.4', 'CIDR.MALFORMED'],
    ['1.2.3.00', 'CIDR.MALFORMED'],
    ['256.0.0.0', 'CIDR.MALFORMED'],
    ['1.2.3.1000', 'CIDR.MALFORMED'],
    ['1.2.3.4/32', 'CIDR.MALFORMED'],
    ['0x7f.0.0.1', 'CIDR.MALFORMED'],
    ['2130706433', 'CIDR.MALFORMED'],
    [' 1.2.3.4', 'CIDR.MALFORMED'],
    ['1.2.3.4\n', 'CIDR.MALFORMED'],
    ['::1', 'CIDR.IPV6_UNSUPPORTED'],
    ['::ffff:1.2.3.4', 'CIDR.IPV6_UNSUPPORTED'],
    [null, 'CIDR.MALFORMED'],
    [16909060, 'CIDR.MALFORMED'],
  ])('refuses %j with %s', (text, code) => {
    const r = parseAddress(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe(code);
  });
});

describe('parsePrefix', () => {
  it.each([
    ['0.0.0.0/0', 0, 0],
    ['10.0.0.0/8', 10 * 2 ** 24, 8],
    ['45.91.20.0/22', 45 * 2 ** 24 + 91 * 2 ** 16 + 20 * 256, 22],
    ['128.0.0.0/1', 2 ** 31, 1],
    ['255.255.255.255/32', 2 ** 32 - 1, 32],
    ['1.2.3.4/32', 0x01020304, 32],
  ])('reads %s', (text, first, length) => {
    expect(parsePrefix(text)).toEqual({ ok: true, value: { first, length } });
    expect(formatPrefix({ first, length })).toBe(text);
  });

  it.each([
    ['empty', '', 'empty'],
    ['three octets', '1.2.3/24', 'expected 4 octets'],
    ['five octets', '1.2.3.4.5/32', 'expected 4 octets'],
    ['no length', '1.2.3.0', 'no /length'],
    ['empty length', '1.2.3.0/', 'prefix length'],
    ['no address', '/24', 'expected 4 octets'],
    ['two slashes', '1.2.3.0/24/24', "more than one '/'"],
    ['length 33', '1.2.3.4/33', 'prefix length'],
    ['length 100', '1.2.3.0/100', 'prefix length'],
    ['negative length', '1.2.3.4/-1', 'prefix length'],
    ['signed length', '1.2.3.0/+8', 'prefix length'],
    ['leading zero in length', '1.2.3.0/024', 'prefix length'],
    ['length 00', '0.0.0.0/00', 'prefix length'],
    ['fractional length', '1.2.3.0/24.0', 'prefix length'],
    ['octet above 255', '256.0.0.0/8', 'above 255'],
    ['leading zero in an octet', '010.0.0.0/8', 'leading zero'],
    ['leading zeros in the last octet', '10.0.0.000/24', 'leading zero'],
    ['leading space', ' 10.0.0.0/8', 'whitespace'],
    ['trailing space', '10.0.0.0/8 ', 'whitespace'],
    ['space before the slash', '10.0.0.0 /8', 'whitespace'],
    ['space after the slash', '10.0.0.0/ 8', 'whitespace'],
    ['tab', '10.0.0.0/\t8', 'whitespace'],
    ['no-break space', '10.0.0.0/8\u00a0', 'whitespace'],
    ['zero-width space', '10.0.0.0/\u200b8', 'prefix length'],
    ['Arabic-Indic digits', '\u0661\u0660.0.0.0/8', 'ASCII digits'],
    ['Arabic-Indic digits in the length', '10.0.0.0/\u0668', 'prefix length'],
    ['fullwidth digits', '\uff11\uff10.0.0.0/8', 'ASCII digits'],
    ['superscript digits', '10.0.0.0/\u00b9\u2076', 'prefix length'],
    ['hexadecimal', '0xa.0.0.0/8', 'ASCII digits'],
    ['letters', 'ten.0.0.0/8', 'ASCII digits'],
    ['a backslash', '10.0.0.0\\8', 'no /length'],
  ])('refuses %s (%j) as CIDR.MALFORMED', (_what, text, reason) => {
    const r = parsePrefix(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('CIDR.MALFORMED');
    expect(!r.ok && r.error.message).toContain(reason);
  });

  it.each([null, undefined, 24, 0, true, {}, [], ['10.0.0.0/8'], { first: 0, length: 8 }])('refuses the non-string %j without throwing', (input) => {
    const r = parsePrefix(input);
    expect(r).toEqual({ ok: false, error: { code: 'CIDR.MALFORMED', message: 'prefix must be a string' } });
    expect(parsePublicPrefix(input).ok).toBe(false);
  });

  it.each(['::/0', '2001:db8::/32', '::ffff:10.0.0.0/104', 'fe80::1', '2001:db8::'])('refuses IPv6 %s with its own code', (text) => {
    const r = parsePrefix(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code: 'CIDR.IPV6_UNSUPPORTED', message: expect.stringContaining('IPv6') });
  });

  it.each([
    ['45.91.23.0/22', '45.91.20.0/22'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['1.2.3.4/0', '0.0.0.0/0'],
    ['255.255.255.255/1', '128.0.0.0/1'],
    ['192.0.2.1/24', '192.0.2.0/24'],
    ['203.0.113.129/25', '203.0.113.128/25'],
    ['8.8.8.9/31', '8.8.8.8/31'],
  ])('refuses %s, whose host bits are set, suggesting %s', (text, suggestion) => {
    const r = parsePrefix(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code: 'CIDR.NOT_NETWORK_ADDRESS', suggestion, message: expect.stringContaining(suggestion) });
  });

  it('keeps messages short and printable whatever the input', () => {
    const r = parsePrefix(`${'9'.repeat(10_000)}\u0000/8`);
    expect(!r.ok && r.error.message.length).toBeLessThan(200);
    expect(!r.ok && r.error.message).not.toContain('\u0000');
  });

  it('parsePrefixOrThrow reads constants and throws on a bad one', () => {
    expect(parsePrefixOrThrow('10.0.0.0/8')).toEqual({ first: 10 * 2 ** 24, length: 8 });
    expect(() => parsePrefixOrThrow('10.0.0.1/8')).toThrow('CIDR.NOT_NETWORK_ADDRESS');
  });
});

describe('parsePublicPrefix length bounds', () => {
  it.each([
    ['44.0.0.0/7', {}, 'CIDR.TOO_SHORT'],
    ['45.91.20.0/25', {}, 'CIDR.TOO_LONG'],
    ['45.91.20.0/22', { minLength: 23 }, 'CIDR.TOO_SHORT'],
    ['45.91.20.0/22', { maxLength: 21 }, 'CIDR.TOO_LONG'],
  ])('refuses %s with %j as %s', (text, o, code) => {
    const r = parsePublicPrefix(text, o);
    expect(!r.ok && r.error.code).toBe(code);
  });

  it.each([
    ['45.0.0.0/8', {}],
    ['45.91.20.0/24', {}],
    ['45.91.20.7/32', { maxLength: 32 }],
    ['64.0.0.0/3', { minLength: 0 }],
  ])('accepts %s with %j', (text, o) => {
    expect(parsePublicPrefix(text, o)).toEqual(parsePrefix(text));
    expect(parsePublicPrefix(text, o).ok).toBe(true);
  });

  it('passes parse errors through unchanged', () => {
    expect(parsePublicPrefix('45.91.23.0/22')).toEqual(parsePrefix('45.91.23.0/22'));
  });

  it.each([{ minLength: 25, maxLength: 24 }, { minLength: -1 }, { maxLength: 33 }, { minLength: 8.5 }])('throws on the programming error %j', (o) => {
    expect(() => parsePublicPrefix('45.0.0.0/8', o)).toThrow(RangeError);
  });
});

// An oracle written independently of the parser: an octet is canonical when it is the
// decimal spelling of a number 0..255, and a length when it is the spelling of 0..32.
const canonical = (s: string, max: number) => /^[0-9]+$/.test(s) && String(Number(s)) === s && Number(s) <= max;

const octetText = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.integer({ min: 0, max: 999 }).map(String),
  fc.constantFrom('', '00', '01', '007', '-1', '+1', ' 1', '1 ', '\u0661', '\uff11', 'a', '1e2', '0x1'),
);
const lengthText = fc.oneof(
  fc.integer({ min: 0, max: 32 }).map(String),
  fc.constantFrom('', '00', '08', '33', '-0', '+8', '8 ', '\u0668', '8.0'),
);

describe('parsing properties', () => {
  it('formats and re-reads every address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        expect(parseAddress(formatAddress(n))).toEqual({ ok: true, value: n });
      }),
      { numRuns: 2000 },
    );
  });

  it('formats and re-reads every prefix, and suggests exactly the masked network', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }), (address, length) => {
        const size = 2 ** (32 - length);
        const first = address - (address % size);
        const text = `${formatAddress(address)}/${length}`;
        const r = parsePrefix(text);
        if (first === address) {
          expect(r).toEqual({ ok: true, value: { first, length } });
          expect(formatPrefix({ first, length })).toBe(text);
        } else {
          expect(!r.ok && r.error.suggestion).toBe(formatPrefix({ first, length }));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly the canonical spellings and then formats them back unchanged', () => {
    fc.assert(
      fc.property(fc.array(octetText, { minLength: 3, maxLength: 5 }), lengthText, (octets, len) => {
        const text = `${octets.join('.')}/${len}`;
        const r = parsePrefix(text);
        const wellFormed = octets.length === 4 && octets.every((o) => canonical(o, 255)) && canonical(len, 32);
        if (!wellFormed) {
          expect(r.ok ? 'accepted' : r.error.code).toBe('CIDR.MALFORMED');
        } else if (r.ok) {
          expect(formatPrefix(r.value)).toBe(text);
        } else {
          expect(r.error.code).toBe('CIDR.NOT_NETWORK_ADDRESS');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary strings, and anything it accepts is canonical', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 24 })), (text) => {
        const r = parsePrefix(text);
        if (r.ok) expect(formatPrefix(r.value)).toBe(text);
        else expect(r.error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
