import { describe, expect, it } from '@jest/globals';
import { parsePrefixOrThrow } from '@app/ipam';
import fc from 'fast-check';
import {
  IRR_SOURCE,
  SUB_ASSIGNMENT_TYPE,
  asnText,
  customerProblem,
  exactMaxLength,
  isOriginAsn,
  subAssignmentName,
  trustAnchorOf,
} from './registry-objects.js';
import { RIRS } from './rir.js';

describe("each RIR's words for a lease's objects", () => {
  it.each([
    ['ARIN', 'REASSIGNED', 'ARIN', 'arin'],
    ['RIPE', 'ASSIGNED PA', 'RIPE', 'ripe'],
    ['APNIC', 'ASSIGNED NON-PORTABLE', 'APNIC', 'apnic'],
    ['LACNIC', 'REASSIGNED', 'LACNIC', 'lacnic'],
    ['AFRINIC', 'ASSIGNED PA', 'AFRINIC', 'afrinic'],
  ] as const)('%s: sub-assignment type %s, IRR source %s, trust anchor %s', (rir, type, source, ta) => {
    expect(SUB_ASSIGNMENT_TYPE[rir]).toBe(type);
    expect(IRR_SOURCE[rir]).toBe(source);
    expect(trustAnchorOf(rir)).toBe(ta);
  });

  it('covers the five RIRs and nothing else', () => {
    expect(Object.keys(SUB_ASSIGNMENT_TYPE).sort()).toEqual([...RIRS].sort());
    expect(Object.keys(IRR_SOURCE).sort()).toEqual([...RIRS].sort());
  });

  it('makes exact-length ROAs (RFC 9319)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), fc.nat(), (length, n) => {
        const first = length === 0 ? 0 : ((n >>> (32 - length)) << (32 - length)) >>> 0;
        expect(exactMaxLength({ first, length })).toBe(length);
      }),
    );
  });

  it('names a sub-assignment after its customer and first address, within 100 characters', () => {
    expect(subAssignmentName('CUST-1', parsePrefixOrThrow('45.91.20.0/24'))).toBe('CUST-1-45-91-20-0');
    const longest = subAssignmentName('A'.repeat(64), parsePrefixOrThrow('255.255.255.0/24'));
    expect(longest.length).toBeLessThanOrEqual(100);
    expect(longest).toBe(`${'A'.repeat(64)}-255-255-255-0`);
  });

  it.each([
    [64500, 'AS64500'],
    [4294967295, 'AS4294967295'],
    [1n, 'AS1'],
  ])('writes %s as %s', (asn, text) => {
    expect(asnText(asn)).toBe(text);
  });

  it.each([
    [1, true],
    [64500, true],
    [4294967295, true],
    [0, false],
    [4294967296, false],
    [-1, false],
    [1.5, false],
    ['64500', false],
    [Number.NaN, false],
  ])('%p is an origin AS: %p', (asn, ok) => {
    expect(isOriginAsn(asn)).toBe(ok);
  });

  it.each([
    [{ handle: 'CUST-1', name: 'Lessee Networks' }, null],
    [{ handle: 'cust-1', name: 'Lessee Networks' }, null],
    [{ handle: 'BAD HANDLE', name: 'X' }, /not a registry handle/],
    [{ handle: '-X', name: 'X' }, /not a registry handle/],
    [{ handle: 'CUST-1', name: '   ' }, /1 to 200 characters/],
    [{ handle: 'CUST-1', name: 'x'.repeat(201) }, /1 to 200 characters/],
    [{ handle: 'CUST-1', name: 'line\nbreak' }, /control characters/],
  ])('judges the customer %j', (customer, problem) => {
    const found = customerProblem(customer);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });
});
