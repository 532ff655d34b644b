import { type Prefix, formatAddress } from '@app/ipam';
import { HANDLE_PATTERN, type Rir } from './rir.js';

/**
 * Each RIR's words for the objects a lease creates (pure). A lease is recorded as a
 * sub-assignment of the holder's network to the lessee (DOMAIN.md "Words"), announced under a
 * ROA signed at the RIR's trust anchor and a route object in the RIR's own IRR.
 */

/**
 * RDAP `type` of a sub-assignment to an end user, as each registry spells it:
 * - ARIN: a "simple reassignment" (NRPM 4.2.3.7, Reg-RWS `reassign`) shows as `REASSIGNED`.
 * - RIPE NCC: an inetnum with status `ASSIGNED PA` (RIPE Database, "inetnum" status values).
 * - APNIC: an inetnum with status `ASSIGNED NON-PORTABLE` (APNIC whois, "inetnum" status).
 * - LACNIC: a reassignment of an allocation shows as `REASSIGNED`.
 * - AFRINIC: an inetnum with status `ASSIGNED PA` (AFRINIC whois, like the RIPE NCC's).
 */
export const SUB_ASSIGNMENT_TYPE: Readonly<Record<Rir, string>> = {
  ARIN: 'REASSIGNED',
  RIPE: 'ASSIGNED PA',
  APNIC: 'ASSIGNED NON-PORTABLE',
  LACNIC: 'REASSIGNED',
  AFRINIC: 'ASSIGNED PA',
};

/**
 * The IRR `source:` of a route object made at an RIR: each RIR runs its own routing registry
 * (ARIN IRR "ARIN", RIPE Database "RIPE", APNIC whois "APNIC", LACNIC IRR "LACNIC", AFRINIC
 * IRR "AFRINIC"), and a route object for space it registered belongs there.
 */
export const IRR_SOURCE: Readonly<Record<Rir, Rir>> = {
  ARIN: 'ARIN',
  RIPE: 'RIPE',
  APNIC: 'APNIC',
  LACNIC: 'LACNIC',
  AFRINIC: 'AFRINIC',
};

/**
 * The trust anchor a ROA made at the RIR validates under, as rpki-client names it in its VRP
 * export (`ta`): the name of the RIR's TAL file (arin.tal, ripe.tal, apnic.tal, lacnic.tal,
 * afrinic.tal).
 */
export function trustAnchorOf(rir: Rir): string {
  return rir.toLowerCase();
}

/**
 * The maxLength of a lease's ROA: exactly the prefix length. RFC 9319 (BCP 185): a longer
 * maxLength lets anyone forge-originate more specifics with the same origin AS.
 */
export function exactMaxLength(prefix: Prefix): number {
  return prefix.length;
}

/** ASNs in the "AS64500" text form (RFC 5396 asplain with the AS prefix). */
export function asnText(asn: number | bigint): string {
  return `AS${asn}`;
}

/** Any AS number (32 bits). AS 0 exists in ROAs only (RFC 6483 §4), never as an origin. */
export function isOriginAsn(asn: unknown): asn is number {
  return typeof asn === 'number' && Number.isInteger(asn) && asn >= 1 && asn <= 0xffffffff;
}

/** The network name of a sub-assignment: the customer's handle and the first address ('CUST-1-45-91-20-0'). */
export function subAssignmentName(customerHandle: string, prefix: Prefix): string {
  // The handle is at most 64 characters, the address at most 15: the name fits in 100.
  return `${customerHandle}-${formatAddress(prefix.first).replaceAll('.', '-')}`.slice(0, 100);
}

/**
 * Why a registry would refuse this end user on a sub-assignment, or null. The handle must be
 * one the registry could issue (RIRs keep them upper-case), the name a short single line.
 */
export function customerProblem(customer: { readonly handle: string; readonly name: string }): string | null {
  if (!HANDLE_PATTERN.test(customer.handle)) return `${JSON.stringify(customer.handle.slice(0, 80))} is not a registry handle`;
  const name = customer.name.trim();
  if (name.length < 1 || name.length > 200) return 'the customer name must be 1 to 200 characters';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the customer name must not contain control characters';
  return null;
}
