/**
 * The lessee's ASN: the autonomous system the leased unit is routed from. The lessor signs a
 * ROA for it and the IRR route object names it as origin, so it must be a public ASN that can
 * appear in the global routing table. Everything IANA sets aside is refused, each with the RFC
 * that sets it aside (the IANA "Special-Purpose AS Numbers" registry collects them).
 */
export type AsnErrorCode = 'ASN.NOT_INTEGER' | 'ASN.OUT_OF_RANGE' | 'ASN.RESERVED' | 'ASN.AS_TRANS' | 'ASN.DOCUMENTATION' | 'ASN.PRIVATE';

export type AsnCheck = { ok: true; value: number } | { ok: false; code: AsnErrorCode; message: string };

/** 4-byte ASNs (RFC 6793) run from 0 to 2^32 - 1. */
export const MAX_ASN = 4_294_967_295;

interface SpecialAsnRange {
  readonly first: number;
  readonly last: number;
  readonly code: Exclude<AsnErrorCode, 'ASN.NOT_INTEGER' | 'ASN.OUT_OF_RANGE'>;
  /** Completes "AS<n> is ...". */
  readonly why: string;
}

const PUBLIC = 'a leased unit must be originated from a public ASN registered to the lessee';

/** In ascending order, disjoint. */
const SPECIAL_ASNS: readonly SpecialAsnRange[] = [
  // RFC 7607: AS 0 must not be used as an origin; a ROA for AS0 means "never route this" (RFC 6483).
  { first: 0, last: 0, code: 'ASN.RESERVED', why: 'reserved (RFC 7607): AS0 may never originate a route' },
  // RFC 6793: the placeholder a 2-byte-only speaker sees instead of a 4-byte ASN.
  { first: 23_456, last: 23_456, code: 'ASN.AS_TRANS', why: 'AS_TRANS (RFC 6793), the stand-in for 4-byte ASNs, never a real origin' },
  // RFC 5398: ASNs for documentation and examples, 16-bit block.
  { first: 64_496, last: 64_511, code: 'ASN.DOCUMENTATION', why: 'reserved for documentation (RFC 5398)' },
  // RFC 6996: 16-bit private-use ASNs.
  { first: 64_512, last: 65_534, code: 'ASN.PRIVATE', why: 'private-use (RFC 6996)' },
  // RFC 7300: the last 16-bit ASN is reserved.
  { first: 65_535, last: 65_535, code: 'ASN.RESERVED', why: 'reserved (RFC 7300), the last 2-byte ASN' },
  // RFC 5398: ASNs for documentation and examples, 32-bit block.
  { first: 65_536, last: 65_551, code: 'ASN.DOCUMENTATION', why: 'reserved for documentation (RFC 5398)' },
  // IANA special-purpose AS numbers registry: 65552-131071 reserved.
  { first: 65_552, last: 131_071, code: 'ASN.RESERVED', why: 'reserved by IANA (65552-131071) and never allocated' },
  // RFC 6996: 32-bit private-use ASNs.
  { first: 4_200_000_000, last: 4_294_967_294, code: 'ASN.PRIVATE', why: 'private-use (RFC 6996)' },
  // RFC 7300: the last 32-bit ASN is reserved.
  { first: 4_294_967_295, last: 4_294_967_295, code: 'ASN.RESERVED', why: 'reserved (RFC 7300), the last 4-byte ASN' },
];

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Untrusted input to a lessee ASN: a JSON integer (not a string such as "AS64500" or
 * "64500", not a fraction, not NaN) from 1 to 2^32 - 1 outside every special-purpose range.
 */
export function checkAsn(value: unknown): AsnCheck {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return { ok: false, code: 'ASN.NOT_INTEGER', message: `an ASN must be a whole number such as 64500 (no "AS" prefix, no quotes), not ${show(value)}` };
  }
  if (value < 0 || value > MAX_ASN) {
    return { ok: false, code: 'ASN.OUT_OF_RANGE', message: `an ASN must be from 0 to ${MAX_ASN} (32 bits, RFC 6793), not ${show(value)}` };
  }
  const asn = value === 0 ? 0 : value; // -0 reads as 0 in messages and in the result
  const special = SPECIAL_ASNS.find((r) => r.first <= asn && asn <= r.last);
  if (special) return { ok: false, code: special.code, message: `AS${asn} is ${special.why}: ${PUBLIC}` };
  return { ok: true, value: asn };
}
