import { contains, overlaps } from './prefix-math.js';
import { type Prefix, type SpecialPurposeEntry } from './types.js';

/**
 * Address space that can never be held, leased or transferred through an RIR.
 *
 * Source: IANA IPv4 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/, RFC 6890 as updated by
 * RFC 8190), checked 2025. Entries nested inside a listed block (0.0.0.0/32, 192.0.0.0/29,
 * 192.0.0.8/32, 192.0.0.9/32, 192.0.0.10/32, 192.0.0.170/32, 192.0.0.171/32) are left out:
 * refusal is on any overlap, so the enclosing block already refuses them. Added from the IANA
 * IPv4 Address Space Registry: multicast, 224.0.0.0/4 (RFC 5771), which the special-purpose
 * registry does not list but no RIR allocates either.
 *
 * Kept in address order (then shortest first), which specialPurposeOverlap relies on.
 */
export const SPECIAL_PURPOSE: readonly SpecialPurposeEntry[] = Object.freeze([
  { prefix: '0.0.0.0/8', name: 'This network', rfc: 'RFC 791, Section 3.2' },
  { prefix: '10.0.0.0/8', name: 'Private-Use', rfc: 'RFC 1918' },
  { prefix: '100.64.0.0/10', name: 'Shared Address Space', rfc: 'RFC 6598' },
  { prefix: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122, Section 3.2.1.3' },
  { prefix: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927' },
  { prefix: '172.16.0.0/12', name: 'Private-Use', rfc: 'RFC 1918' },
  { prefix: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890, Section 2.1' },
  { prefix: '192.0.2.0/24', name: 'Documentation (TEST-NET-1)', rfc: 'RFC 5737' },
  { prefix: '192.31.196.0/24', name: 'AS112-v4', rfc: 'RFC 7535' },
  { prefix: '192.52.193.0/24', name: 'AMT', rfc: 'RFC 7450' },
  { prefix: '192.88.99.0/24', name: 'Deprecated (6to4 Relay Anycast)', rfc: 'RFC 7526' },
  { prefix: '192.168.0.0/16', name: 'Private-Use', rfc: 'RFC 1918' },
  { prefix: '192.175.48.0/24', name: 'Direct Delegation AS112 Service', rfc: 'RFC 7534' },
  { prefix: '198.18.0.0/15', name: 'Benchmarking', rfc: 'RFC 2544' },
  { prefix: '198.51.100.0/24', name: 'Documentation (TEST-NET-2)', rfc: 'RFC 5737' },
  { prefix: '203.0.113.0/24', name: 'Documentation (TEST-NET-3)', rfc: 'RFC 5737' },
  { prefix: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771' },
  { prefix: '240.0.0.0/4', name: 'Reserved', rfc: 'RFC 1112, Section 4' },
  { prefix: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 8190, RFC 919 Section 7' },
].map((e) => Object.freeze(e)));

// The entries are constants written above, so a plain split is enough here (and keeps this
// module free of the parser, which depends on it). The spec checks each against parsePrefix.
const ENTRY_PREFIXES: readonly Prefix[] = SPECIAL_PURPOSE.map((e) => {
  const [address, length] = e.prefix.split('/') as [string, string];
  const first = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return { first, length: Number(length) };
});

/**
 * The special-purpose entry p overlaps (is inside, equals or covers), or null. Entries nest
 * (255.255.255.255/32 lies in 240.0.0.0/4), so a prefix inside entries gets the most
 * specific of them, and a prefix covering entries gets the first in address order.
 */
export function specialPurposeOverlap(p: Prefix): SpecialPurposeEntry | null {
  let found = -1;
  ENTRY_PREFIXES.forEach((e, i) => {
    if (found === -1 ? overlaps(e, p) : contains(e, p) && e.length > ENTRY_PREFIXES[found]!.length) found = i;
  });
  return found === -1 ? null : SPECIAL_PURPOSE[found]!;
}
