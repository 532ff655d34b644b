import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseSignatureHeader, sign, signatureHeader, verify } from './signature.js';

const SECRET = 'whsec_test-secret';

describe('webhook signatures', () => {
  it('is the hex HMAC-SHA256 of "<t>.<body>" keyed by the secret', () => {
    const body = '{"id":"1","type":"lease.renewed"}';
    const expected = createHmac('sha256', SECRET).update(`1700000000.${body}`).digest('hex');
    expect(sign(SECRET, 1700000000, body)).toBe(expected);
    expect(signatureHeader(SECRET, 1700000000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('signs the raw bytes: a string and its UTF-8 buffer sign alike', () => {
    const body = '{"note":"Zürich – 東京"}';
    expect(sign(SECRET, 5, Buffer.from(body, 'utf8'))).toBe(sign(SECRET, 5, body));
  });

  it('verifies what it signed, within the tolerance', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -300, max: 300 }), (body, t, skew) => {
        expect(verify(SECRET, signatureHeader(SECRET, t, body), body, { now: t + skew })).toBe(true);
      }),
    );
  });

  it.each([
    ['another secret', () => signatureHeader('whsec_other', 1000, 'body'), 'body', 1000],
    ['another body', () => signatureHeader(SECRET, 1000, 'body'), 'body!', 1000],
    ['a moved timestamp', () => signatureHeader(SECRET, 1000, 'body').replace('t=1000', 't=1001'), 'body', 1000],
    ['an old timestamp', () => signatureHeader(SECRET, 1000, 'body'), 'body', 1301],
    ['a timestamp from the future', () => signatureHeader(SECRET, 1000, 'body'), 'body', 699],
    ['no v1', () => 't=1000', 'body', 1000],
    ['garbage', () => 'hello', 'body', 1000],
    ['a short v1', () => 't=1000,v1=abcd', 'body', 1000],
  ])('refuses %s', (_, header, body, now) => {
    expect(verify(SECRET, header(), body, { now })).toBe(false);
  });

  it('accepts any of several v1 signatures and skips unknown schemes', () => {
    const good = sign(SECRET, 1000, 'b');
    expect(verify(SECRET, `t=1000,v1=${'0'.repeat(64)},v2=xyz,v1=${good}`, 'b', { now: 1000 })).toBe(true);
    expect(parseSignatureHeader(`t=1000,v1=${good}`)).toEqual({ t: 1000, v1: [good] });
    expect(parseSignatureHeader(`t=1000,t=1001,v1=${good}`)).toBeNull();
  });
});
