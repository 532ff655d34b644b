import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys are 32 random bytes behind a recognisable prefix (so secret scanners and people
 * can spot a leaked one). Only their sha256 is stored: a key has 256 bits of entropy, so a
 * fast hash is enough and lets a request find its key by an indexed lookup.
 */
export const API_KEY_PREFIX = 'ipv4m_';
const KEY_PATTERN = /^ipv4m_[A-Za-z0-9_-]{43}$/;

export interface NewApiKey {
  /** Shown to the caller once. */
  readonly secret: string;
  readonly hash: Buffer;
  /** The first characters, stored to tell keys apart in listings. */
  readonly displayPrefix: string;
}

export function generateApiKey(random: (n: number) => Buffer = randomBytes): NewApiKey {
  const secret = API_KEY_PREFIX + random(32).toString('base64url');
  return { secret, hash: hashApiKey(secret), displayPrefix: secret.slice(0, API_KEY_PREFIX.length + 6) };
}

export function hashApiKey(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Cheap shape check before any database lookup. */
export function looksLikeApiKey(token: string): boolean {
  return KEY_PATTERN.test(token);
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(hashApiKey(a), hashApiKey(b));
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer[ ]+([\x21-\x7e]{1,512})\s*$/i.exec(value ?? '');
  return m ? m[1]! : null;
}
