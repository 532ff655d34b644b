import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

/** Digits of a one-time code (API.md "Identity": 8). */
export const CODE_DIGITS = 8;
export const CODE_PATTERN = /^[0-9]{8}$/;

/** A uniformly random code of 8 ASCII digits, leading zeros kept (crypto.randomInt: no modulo bias). */
export function generateCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

export function newCodeSalt(): Buffer {
  return randomBytes(16);
}

// Eight digits are only 27 bits: a fast hash (sha256) of one is reversed by trying all 10^8
// in about a second, so whoever reads the table could confirm any pending claim. scrypt
// (RFC 7914) with a per-claim salt makes that ~10^8 x 30 ms, long after the code expired.
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const HASH_BYTES = 32;

export function hashCode(code: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(code, salt, HASH_BYTES, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Whether `code` is the one hashed to `hash`, compared in constant time. */
export async function codeMatches(code: string, salt: Buffer, hash: Buffer): Promise<boolean> {
  // Hashing whatever was typed (even a malformed code) keeps the timing the same for every guess.
  const candidate = await hashCode(code, salt);
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}

/**
 * An address shown to the claimant without giving it away to anyone holding an API key:
 * the first character of the local part, then '***' ('noc@example.net' -> 'n***@example.net').
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}
