import { networkOf } from './prefix-math.js';
import { specialPurposeOverlap } from './special-purpose.js';
import { type IpamError, type IpamErrorCode, type IpamResult, type Prefix } from './types.js';

// Strict on purpose: inet_aton-style parsers read '010' as octal and '1.2.3' as 1.2.0.3,
// so anything but the canonical dotted quad could register a block other than the one the
// user saw. Digits are the explicit ASCII class [0-9]: '١٢٣' (Arabic-Indic) or '１２３'
// (fullwidth) must never be taken for 123, whatever a later Number() would make of them.
const LENGTH = /^(?:0|[1-9][0-9]?)$/;
const NOT_ADDRESS_CHAR = /[^0-9.]/;
const WHITESPACE = /\s/;

/** Echoes untrusted input safely: quoted (so invisible characters show), and cut short. */
function quote(text: string): string {
  return JSON.stringify(text.length > 48 ? `${text.slice(0, 45)}...` : text);
}

function fail(code: IpamErrorCode, message: string, extra: Partial<IpamError> = {}): { ok: false; error: IpamError } {
  return { ok: false, error: { code, message, ...extra } };
}

/** Refusals shared by addresses and prefixes, before any splitting. */
function precheck(text: unknown, what: string): { ok: false; error: IpamError } | null {
  if (typeof text !== 'string') return fail('CIDR.MALFORMED', `${what} must be a string`);
  if (text === '') return fail('CIDR.MALFORMED', `${what} is empty`);
  if (text.includes(':')) {
    return fail('CIDR.IPV6_UNSUPPORTED', `${quote(text)} looks like IPv6; only IPv4 ${what}es are supported`);
  }
  if (WHITESPACE.test(text)) return fail('CIDR.MALFORMED', `${what} must not contain whitespace`);
  return null;
}

function addressBody(text: string): IpamResult<number> {
  if (NOT_ADDRESS_CHAR.test(text)) {
    return fail('CIDR.MALFORMED', `${quote(text)} is not a dotted quad: only ASCII digits 0-9 and dots are allowed`);
  }
  const octets = text.split('.');
  if (octets.length !== 4) {
    return fail('CIDR.MALFORMED', `${quote(text)} is not a dotted quad: expected 4 octets, found ${octets.length}`);
  }
  let value = 0;
  for (const octet of octets) {
    if (octet === '') return fail('CIDR.MALFORMED', `${quote(text)} has an empty octet`);
    if (octet.length > 1 && octet.startsWith('0')) {
      return fail('CIDR.MALFORMED', `octet ${quote(octet)} in ${quote(text)} has a leading zero (some parsers read it as octal)`);
    }
    const n = Number(octet);
    if (octet.length > 3 || n > 255) return fail('CIDR.MALFORMED', `octet ${quote(octet)} in ${quote(text)} is above 255`);
    value = value * 256 + n;
  }
  return { ok: true, value };
}

/** A strict dotted-quad IPv4 address ('192.0.2.1') as an unsigned 32-bit number. */
export function parseAddress(text: unknown): IpamResult<number> {
  return precheck(text, 'address') ?? addressBody(text as string);
}

/** A strict 'a.b.c.d/n'. Host bits set are refused with the network it probably meant. */
export function parsePrefix(text: unknown): IpamResult<Prefix> {
  const refused = precheck(text, 'prefix');
  if (refused) return refused;
  const parts = (text as string).split('/');
  if (parts.length !== 2) {
    const problem = parts.length === 1 ? 'has no /length' : "has more than one '/'";
    return fail('CIDR.MALFORMED', `${quote(text as string)} ${problem}`);
  }
  const [addressText, lengthText] = parts as [string, string];
  const address = addressBody(addressText);
  if (!address.ok) return address;
  if (!LENGTH.test(lengthText) || Number(lengthText) > 32) {
    return fail('CIDR.MALFORMED', `prefix length ${quote(lengthText)} must be a whole number from 0 to 32 without sign or leading zero`);
  }
  const length = Number(lengthText);
  const first = networkOf(address.value, length);
  if (first !== address.value) {
    const suggestion = formatPrefix({ first, length });
    return fail('CIDR.NOT_NETWORK_ADDRESS', `${quote(text as string)} has host bits set; did you mean ${suggestion}?`, { suggestion });
  }
  return { ok: true, value: { first, length } };
}

export interface PublicPrefixOptions {
  /** Shortest (largest) prefix accepted; default 8. */
  readonly minLength?: number;
  /** Longest (smallest) prefix accepted; default 24, the smallest block routed on the Internet. */
  readonly maxLength?: number;
}

/**
 * parsePrefix, then refuse anything overlapping the special-purpose registry (a prefix that
 * covers an entry included), then the length bounds. Special purpose comes first: it is the
 * one refusal no other prefix length can fix.
 */
export function parsePublicPrefix(text: unknown, o: PublicPrefixOptions = {}): IpamResult<Prefix> {
  const minLength = o.minLength ?? 8;
  const maxLength = o.maxLength ?? 24;
  if (!Number.isInteger(minLength) || !Number.isInteger(maxLength) || minLength < 0 || maxLength > 32 || minLength > maxLength) {
    throw new RangeError(`length bounds ${minLength}..${maxLength} must be integers with 0 <= min <= max <= 32`);
  }
  const parsed = parsePrefix(text);
  if (!parsed.ok) return parsed;
  const p = parsed.value;
  const special = specialPurposeOverlap(p);
  if (special) {
    return fail('CIDR.SPECIAL_PURPOSE', `${formatPrefix(p)} overlaps ${special.prefix} (${special.name}, ${special.rfc})`, {
      specialPurpose: special,
    });
  }
  if (p.length < minLength) return fail('CIDR.TOO_SHORT', `/${p.length} is larger than the largest accepted block, /${minLength}`);
  if (p.length > maxLength) return fail('CIDR.TOO_LONG', `/${p.length} is smaller than the smallest accepted block, /${maxLength}`);
  return parsed;
}

export function formatAddress(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${String(n)} is not an IPv4 address`);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.first)}/${p.length}`;
}

/** parsePrefix for trusted constants (seed data, tests): throws instead of returning an error. */
export function parsePrefixOrThrow(text: string): Prefix {
  const r = parsePrefix(text);
  if (!r.ok) throw new RangeError(`${r.error.code}: ${r.error.message}`);
  return r.value;
}
