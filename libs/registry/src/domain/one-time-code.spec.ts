import { describe, expect, it } from '@jest/globals';
import { CODE_PATTERN, codeMatches, generateCode, hashCode, maskEmail, newCodeSalt } from './one-time-code.js';

describe('one-time codes', () => {
  it('are 8 ASCII digits, uniformly spread (leading zeros kept)', () => {
    const codes = Array.from({ length: 2000 }, generateCode);
    expect(codes.every((c) => CODE_PATTERN.test(c))).toBe(true);
    // 2,000 draws from 10^8: a repeat has a chance of about 2 %; many repeats mean a broken generator.
    expect(new Set(codes).size).toBeGreaterThan(1995);
    // The first digit is 0 about one time in ten: padding works and the range starts at 0.
    const leadingZeros = codes.filter((c) => c.startsWith('0')).length;
    expect(leadingZeros).toBeGreaterThan(120);
    expect(leadingZeros).toBeLessThan(290);
  });

  it('match only the code that was hashed, under its own salt', async () => {
    const salt = newCodeSalt();
    const hash = await hashCode('01234567', salt);
    await expect(codeMatches('01234567', salt, hash)).resolves.toBe(true);
    await expect(codeMatches('01234568', salt, hash)).resolves.toBe(false);
    await expect(codeMatches('1234567', salt, hash)).resolves.toBe(false);
    await expect(codeMatches('01234567', newCodeSalt(), hash)).resolves.toBe(false);
    await expect(codeMatches('01234567', salt, hash.subarray(0, 16))).resolves.toBe(false);
  });

  it('hash to different values under different salts (no table of all 10^8 hashes serves)', async () => {
    const [a, b] = await Promise.all([hashCode('12345678', newCodeSalt()), hashCode('12345678', newCodeSalt())]);
    expect(a.equals(b)).toBe(false);
    expect(a).toHaveLength(32);
  });
});

describe('maskEmail', () => {
  it.each([
    ['noc@example.net', 'n***@example.net'],
    ['n@example.net', 'n***@example.net'],
    ['first.last+tag@sub.example.org', 'f***@sub.example.org'],
    ['odd@local@example.net', 'o***@example.net'],
    ['@example.net', '***'],
    ['no-at-sign', '***'],
  ])('%s -> %s', (address, masked) => {
    expect(maskEmail(address)).toBe(masked);
  });
});
