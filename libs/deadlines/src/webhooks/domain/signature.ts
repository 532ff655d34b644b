import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (API.md "Deadlines and notifications"): the header
 * `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed by the
 * endpoint's secret. The timestamp is inside the MAC so that a captured request cannot be
 * replayed later with a fresh `t`.
 */
export const SIGNATURE_HEADER = 'Webhook-Signature';

/** The hex HMAC-SHA256 of `<t>.<body>` keyed by `secret`. */
export function sign(secret: string, t: number, body: string | Buffer): string {
  if (!Number.isSafeInteger(t) || t < 0) throw new Error(`bad signature timestamp ${t}`);
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** The header value for `body` sent at `t` (unix seconds). */
export function signatureHeader(secret: string, t: number, body: string | Buffer): string {
  return `t=${t},v1=${sign(secret, t, body)}`;
}

export interface ParsedSignature {
  readonly t: number;
  /** Every v1 signature of the header (a sender rotating secrets may send several). */
  readonly v1: readonly string[];
}

/** Parses a header value; null when it is not one. */
export function parseSignatureHeader(header: string): ParsedSignature | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== null || !/^[0-9]{1,15}$/.test(value)) return null;
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return null;
      v1.push(value);
    }
    // Other schemes (a future v2) are skipped, so that receivers keep working when one is added.
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

export interface VerifyOptions {
  /** The receiver's time, unix seconds. */
  readonly now: number;
  /** How far `t` may be from `now` (either way); default 300 s. */
  readonly toleranceSeconds?: number;
}

/**
 * What a receiver does: true when the header signs `body` with `secret` and its timestamp is
 * within the tolerance. Compares in constant time.
 */
export function verify(secret: string, header: string, body: string | Buffer, o: VerifyOptions): boolean {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(o.now - parsed.t) > (o.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(sign(secret, parsed.t, body), 'hex');
  return parsed.v1.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
}
