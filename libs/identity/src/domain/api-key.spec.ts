import { describe, expect, it } from '@jest/globals';
import { bearerToken, generateApiKey, hashApiKey, looksLikeApiKey, secretsEqual } from './api-key.js';

describe('API keys', () => {
  it('are random, recognisable and stored only as their sha256', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.secret).not.toBe(b.secret);
    expect(looksLikeApiKey(a.secret)).toBe(true);
    expect(a.hash.equals(hashApiKey(a.secret))).toBe(true);
    expect(a.hash).toHaveLength(32);
    expect(a.hash.toString('hex')).not.toContain(a.secret.slice(6, 20));
    expect(a.secret.startsWith(a.displayPrefix)).toBe(true);
  });

  it('hash deterministically, and differently for keys that differ in one character', () => {
    const fixed = generateApiKey(() => Buffer.alloc(32, 7));
    expect(fixed.secret).toBe('ipv4m_' + Buffer.alloc(32, 7).toString('base64url'));
    expect(hashApiKey(fixed.secret).toString('hex')).toBe(hashApiKey(fixed.secret).toString('hex'));
    const flipped = fixed.secret.slice(0, -1) + (fixed.secret.endsWith('A') ? 'B' : 'A');
    expect(hashApiKey(flipped).equals(fixed.hash)).toBe(false);
  });

  it.each([
    ['', false],
    ['ipv4m_short', false],
    ['ipv4m_' + 'a'.repeat(43), true],
    ['ipv4m_' + 'a'.repeat(44), false],
    ['sk_live_' + 'a'.repeat(43), false],
    ['ipv4m_' + 'a'.repeat(42) + '!', false],
  ])('recognise the key shape of %j: %s', (token, ok) => {
    expect(looksLikeApiKey(token)).toBe(ok);
  });

  it('compare secrets of different lengths without throwing', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
  });

  it.each([
    [undefined, null],
    ['', null],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer abc', 'abc'],
    ['bearer   abc', 'abc'],
    ['Bearer a b', null],
    [['Bearer x', 'Bearer y'], 'x'],
  ])('read the bearer token of %j', (header, token) => {
    expect(bearerToken(header as string | string[] | undefined)).toBe(token);
  });
});
