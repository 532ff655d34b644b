import { type Prefix, comparePrefixes, lastAddress, parsePrefix } from '@app/ipam';
import { asnText, exactMaxLength } from '../domain/registry-objects.js';
import { normaliseHandle } from '../domain/rir.js';
import { networkRange, registrantHandles } from '../rdap/rdap-read.js';
import type { RdapIpNetwork } from '../rdap/rdap-types.js';
import type { Vrp } from '../rpki/vrps.js';

/** Pure readings of what the outside world shows of a lease's registry changes. */

/** At most this many VRPs go into evidence (a prefix rarely has more than a handful). */
const MAX_VRPS_IN_EVIDENCE = 20;

/**
 * The unit is sub-assigned to the customer when the most specific network RDAP answers for
 * the unit's first address is exactly the unit and lists the customer among its registrants.
 */
export function assignmentSeen(network: RdapIpNetwork | null, unit: Prefix, customerHandle: string): boolean {
  if (!network) return false;
  const range = networkRange(network);
  if (range.first !== unit.first || range.last !== lastAddress(unit)) return false;
  const customer = normaliseHandle(customerHandle);
  return registrantHandles(network).some((h) => normaliseHandle(h) === customer);
}

/** The VRPs for exactly this prefix, whatever their origin and maxLength (the evidence). */
export function vrpsFor(vrps: readonly Vrp[], unit: Prefix): Vrp[] {
  return vrps.filter((v) => {
    const p = parsePrefix(v.prefix);
    return p.ok && comparePrefixes(p.value, unit) === 0;
  });
}

/** There is a ROA for the AS on exactly this prefix with maxLength = its length (RFC 9319). */
export function roaSeen(vrps: readonly Vrp[], unit: Prefix, asn: number): boolean {
  return vrpsFor(vrps, unit).some((v) => v.asn === asn && v.maxLength === exactMaxLength(unit));
}

/** When the lease's ROA (the AS, exact maxLength) lapses, as the VRPs say: the earliest, or null when unknown. */
export function roaExpiry(vrps: readonly Vrp[], unit: Prefix, asn: number): Date | null {
  const times = vrpsFor(vrps, unit)
    .filter((v) => v.asn === asn && v.maxLength === exactMaxLength(unit) && v.expires !== undefined)
    .map((v) => v.expires!.getTime());
  return times.length > 0 ? new Date(Math.min(...times)) : null;
}

/** What was seen, small and JSON-able, for a lease's event history. */
export function observationEvidence(network: RdapIpNetwork | null, vrps: readonly Vrp[], unit: Prefix): Record<string, unknown> {
  const matching = vrpsFor(vrps, unit);
  return {
    rdap: network
      ? { handle: network.handle, startAddress: network.startAddress, endAddress: network.endAddress, registrants: registrantHandles(network) }
      : { found: false },
    vrps: matching.slice(0, MAX_VRPS_IN_EVIDENCE).map((v) => ({ asn: asnText(v.asn), prefix: v.prefix, maxLength: v.maxLength, ta: v.ta })),
  };
}
