import { describe, expect, it } from '@jest/globals';
import { parsePrefixOrThrow } from '@app/ipam';
import { rdapIpNetworkSchema } from '../rdap/rdap-types.js';
import { renderNetwork } from '../sandbox/rdap-render.js';
import { assignmentSeen, observationEvidence, roaExpiry, roaSeen, vrpsFor } from './observation.js';

const holder = { handle: 'HOLDER-1', rir: 'ARIN' as const, name: 'Holder Inc', email: 'noc@holder.example', createdAt: new Date(), updatedAt: new Date() };
const unit = parsePrefixOrThrow('45.91.20.0/24');

/** An RDAP network as the client would have validated it. */
function network(prefix: string, customer?: { handle: string; name: string }) {
  const json = renderNetwork(
    { prefix: parsePrefixOrThrow(prefix), rir: 'ARIN', name: 'N', type: 'T', country: 'US', registeredAt: new Date(), updatedAt: new Date(), holder, customer, originAsn: 64500 },
    null,
    'http://sandbox.test/sandbox/rdap/',
  );
  return rdapIpNetworkSchema.parse(JSON.parse(JSON.stringify(json)));
}

describe('what an operator would see of a lease', () => {
  it("sees the sub-assignment when the unit's network is exactly the unit and the customer is its registrant", () => {
    expect(assignmentSeen(network('45.91.20.0/24', { handle: 'CUST-1', name: 'Lessee' }), unit, 'CUST-1')).toBe(true);
    // Handles compare as registries treat them: without case.
    expect(assignmentSeen(network('45.91.20.0/24', { handle: 'CUST-1', name: 'Lessee' }), unit, 'cust-1')).toBe(true);
  });

  it.each([
    ['no network at all', null],
    ["only the holder's larger network", network('45.91.20.0/22')],
    ["the holder's own network of the same size", network('45.91.20.0/24')],
    ["another customer's sub-assignment", network('45.91.20.0/24', { handle: 'OTHER-1', name: 'Other' })],
    ['a smaller sub-assignment to the customer', network('45.91.20.0/25', { handle: 'CUST-1', name: 'Lessee' })],
  ])('does not see it with %s', (_what, n) => {
    expect(assignmentSeen(n, unit, 'CUST-1')).toBe(false);
  });

  const vrps = [
    { asn: 64500, prefix: '45.91.20.0/22', maxLength: 24, ta: 'arin' },
    { asn: 64501, prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin' },
    { asn: 64500, prefix: '45.91.20.0/24', maxLength: 25, ta: 'arin' },
    { asn: 64500, prefix: '2001:db8::/32', maxLength: 48, ta: 'ripe' },
  ];

  it('sees the ROA only for this AS on exactly this prefix with maxLength = its length', () => {
    expect(roaSeen(vrps, unit, 64500)).toBe(false);
    expect(roaSeen([...vrps, { asn: 64500, prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin' }], unit, 64500)).toBe(true);
    expect(roaSeen(vrps, unit, 64501)).toBe(true);
  });

  it("reads the ROA's expiry from the VRPs: the earliest of the matching ones, null when none says", () => {
    const soon = new Date('2027-01-01T00:00:00Z');
    const later = new Date('2027-06-01T00:00:00Z');
    expect(roaExpiry(vrps, unit, 64501)).toBeNull();
    const dated = [
      ...vrps,
      { asn: 64500, prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin', expires: later },
      { asn: 64500, prefix: '45.91.20.0/24', maxLength: 24, ta: 'ripe', expires: soon },
      // Not this lease's ROA: another AS, another maxLength, a covering prefix.
      { asn: 64501, prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin', expires: new Date('2026-01-01T00:00:00Z') },
      { asn: 64500, prefix: '45.91.20.0/24', maxLength: 25, ta: 'arin', expires: new Date('2026-01-01T00:00:00Z') },
      { asn: 64500, prefix: '45.91.20.0/22', maxLength: 24, ta: 'arin', expires: new Date('2026-01-01T00:00:00Z') },
    ];
    expect(roaExpiry(dated, unit, 64500)).toEqual(soon);
    expect(roaExpiry(dated, unit, 64999)).toBeNull();
  });

  it('keeps the VRPs of exactly this prefix as evidence, with the RDAP network seen', () => {
    expect(vrpsFor(vrps, unit).map((v) => v.asn)).toEqual([64501, 64500]);
    const evidence = observationEvidence(network('45.91.20.0/24', { handle: 'CUST-1', name: 'Lessee' }), vrps, unit);
    expect(evidence).toEqual({
      rdap: { handle: 'NET-45-91-20-0-24', startAddress: '45.91.20.0', endAddress: '45.91.20.255', registrants: ['CUST-1'] },
      vrps: [
        { asn: 'AS64501', prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin' },
        { asn: 'AS64500', prefix: '45.91.20.0/24', maxLength: 25, ta: 'arin' },
      ],
    });
    expect(observationEvidence(null, [], unit)).toEqual({ rdap: { found: false }, vrps: [] });
    expect(JSON.parse(JSON.stringify(evidence))).toEqual(evidence);
  });
});
