import { describe, expect, it } from '@jest/globals';
import { parsePrefixOrThrow } from '@app/ipam';
import fc from 'fast-check';
import { renderVrps } from './vrps-render.js';

const at = new Date('2025-03-04T05:06:07.890Z');
const row = (prefix: string, asn: number, rir: 'ARIN' | 'RIPE' = 'ARIN', maxLength = Number(prefix.split('/')[1])) => ({
  prefix: parsePrefixOrThrow(prefix),
  asn,
  maxLength,
  rir,
  createdAt: at,
});

describe("the sandbox's VRP export", () => {
  it("is rpki-client's JSON layout", () => {
    expect(renderVrps([row('45.91.20.0/24', 64500)], new Date('2026-01-01T00:00:00Z'))).toEqual({
      metadata: { buildtime: '2026-01-01T00:00:00.000Z', roas: 1 },
      roas: [{ asn: 'AS64500', prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin', expires: Math.floor(Date.parse('2026-03-04T05:06:07.890Z') / 1000) }],
    });
  });

  it('orders by prefix (address, then length), then ASN, then maxLength', () => {
    const out = renderVrps(
      [row('45.91.21.0/24', 1), row('45.91.20.0/24', 7, 'RIPE'), row('45.91.20.0/22', 9), row('45.91.20.0/24', 3), row('9.0.0.0/8', 5), row('45.91.20.0/24', 3, 'ARIN', 25)],
      at,
    );
    expect(out.roas.map((r) => `${r.prefix} ${r.asn} ${r.maxLength}`)).toEqual([
      '9.0.0.0/8 AS5 8',
      '45.91.20.0/22 AS9 22',
      '45.91.20.0/24 AS3 24',
      '45.91.20.0/24 AS3 25',
      '45.91.20.0/24 AS7 24',
      '45.91.21.0/24 AS1 24',
    ]);
    expect(out.metadata.roas).toBe(6);
  });

  it('counts what it lists, in any input order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 100 })), { maxLength: 30 }), (pairs) => {
        const out = renderVrps(pairs.map(([o, asn]) => row(`45.${o}.0.0/16`, asn)), at);
        expect(out.metadata.roas).toBe(pairs.length);
        const keys = out.roas.map((r) => [Number(r.prefix.split('.')[1]), Number(r.asn.slice(2))] as const);
        const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(keys).toEqual(sorted);
      }),
    );
  });
});
