import { describe, expect, it } from '@jest/globals';
import { parsePrefixOrThrow } from '@app/ipam';
import { renderVrps } from '../sandbox/vrps-render.js';
import { parseVrpExport } from './vrps.js';

describe("rpki-client's JSON export", () => {
  it('reads ASNs written either way, keeps IPv6 entries, and lower-cases the trust anchor', () => {
    const parsed = parseVrpExport({
      metadata: { buildmachine: 'x', buildtime: '2026-01-01T00:00:00Z', roas: 3 },
      roas: [
        { asn: 'AS64500', prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin', expires: 1800000000 },
        { asn: 13335, prefix: '1.1.1.0/24', maxLength: 24, ta: 'APNIC' },
        { asn: 'as4294967295', prefix: '2001:db8::/32', maxLength: 48, ta: 'ripe' },
      ],
    });
    expect(parsed).toEqual({
      ok: true,
      vrps: [
        // The expiry (Unix seconds) is read when given, as a Date.
        { asn: 64500, prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin', expires: new Date('2027-01-15T08:00:00.000Z') },
        { asn: 13335, prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic' },
        { asn: 4294967295, prefix: '2001:db8::/32', maxLength: 48, ta: 'ripe' },
      ],
    });
  });

  it('reads back what the sandbox renders', () => {
    const rows = [{ prefix: parsePrefixOrThrow('185.1.2.0/24'), asn: 64501, maxLength: 24, rir: 'RIPE' as const, createdAt: new Date('2026-01-01T00:00:00Z') }];
    const json = JSON.parse(JSON.stringify(renderVrps(rows, new Date())));
    expect(parseVrpExport(json)).toEqual({ ok: true, vrps: [{ asn: 64501, prefix: '185.1.2.0/24', maxLength: 24, ta: 'ripe', expires: new Date('2027-01-01T00:00:00Z') }] });
    // A ROA with its own expiry (the stand-in's roaValidityDays) exports that one.
    const short = [{ ...rows[0]!, expiresAt: new Date('2026-02-10T00:00:00Z') }];
    expect(parseVrpExport(JSON.parse(JSON.stringify(renderVrps(short, new Date()))))).toEqual({
      ok: true,
      vrps: [{ asn: 64501, prefix: '185.1.2.0/24', maxLength: 24, ta: 'ripe', expires: new Date('2026-02-10T00:00:00Z') }],
    });
  });

  it.each([
    ['no roas member', { metadata: {} }, /^roas /],
    ['roas that is not a list', { roas: {} }, /^roas /],
    ['an ASN above 32 bits', { roas: [{ asn: 4294967296, prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic' }] }, /roas\.0\.asn/],
    ['an ASN in words', { roas: [{ asn: 'ASN-ONE', prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic' }] }, /roas\.0\.asn/],
    ['an ASN text above 32 bits', { roas: [{ asn: 'AS4294967296', prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic' }] }, /roas\.0\.asn/],
    ['a prefix without length', { roas: [{ asn: 1, prefix: '1.1.1.0', maxLength: 24, ta: 'apnic' }] }, /roas\.0\.prefix/],
    ['a fractional maxLength', { roas: [{ asn: 1, prefix: '1.1.1.0/24', maxLength: 24.5, ta: 'apnic' }] }, /roas\.0\.maxLength/],
    ['a negative expiry', { roas: [{ asn: 1, prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic', expires: -1 }] }, /roas\.0\.expires/],
    ['an expiry in words', { roas: [{ asn: 1, prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic', expires: 'soon' }] }, /roas\.0\.expires/],
    ['no trust anchor', { roas: [{ asn: 1, prefix: '1.1.1.0/24', maxLength: 24 }] }, /roas\.0\.ta/],
    ['a list at the top', [], /\(root\)/],
  ])('refuses %s, naming where', (_what, json, where) => {
    const parsed = parseVrpExport(json);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(where);
  });
});
