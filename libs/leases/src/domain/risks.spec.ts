import { describe, expect, it } from '@jest/globals';
import { MAX_AMOUNT_MINOR } from '@app/money';
import { exposureByParty, type RiskPlacement, type RiskStatus } from '@app/risk';
import fc from 'fast-check';
import { addMonthsUtc } from './lease-terms.js';
import { LEASE_STATUSES, type LeaseStatus, LIVE_LEASE_STATUSES } from './lifecycle.js';
import { LEASE_RISK_MATRIX_VERSION, type LeaseRiskInput, leaseRisks, monthsRemaining } from './risks.js';

const at = (iso: string) => new Date(iso);

/** An active 12-month lease, 2.5 months into its term, everything in place. */
const aLease = (o: Partial<LeaseRiskInput> = {}): LeaseRiskInput => ({
  status: 'active',
  autoRenew: true,
  noticeGiven: false,
  monthlyMinor: 12_800n,
  currency: 'USD',
  now: at('2025-03-15T12:00:00.000Z'),
  endsAt: at('2026-01-01T00:00:00.000Z'),
  noticeDeadline: at('2025-12-02T00:00:00.000Z'),
  registry: { roa: true, route: true, assignment: true },
  lessorStanding: 'verified',
  ...o,
});

const byRisk = (input: LeaseRiskInput) => {
  const [continuity, reputation, routing, renewal] = leaseRisks(input).risks as [RiskPlacement, RiskPlacement, RiskPlacement, RiskPlacement];
  return { continuity, reputation, routing, renewal };
};

describe('monthsRemaining', () => {
  it.each([
    ['2025-03-15T12:00:00Z', '2026-01-01T00:00:00Z', 10], // Mar 15 + 9 months = Dec 15, short of Jan 1
    ['2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 12],
    ['2025-01-01T00:00:00Z', '2026-01-01T00:00:00.001Z', 13],
    ['2025-12-31T23:59:59Z', '2026-01-01T00:00:00Z', 1],
    ['2025-01-31T00:00:00Z', '2025-02-28T00:00:00Z', 1], // Jan 31 + 1 month is clamped to Feb 28
    ['2025-01-31T00:00:00Z', '2025-03-01T00:00:00Z', 2],
    ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0],
    ['2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z', 0],
    ['2025-01-01T00:00:00Z', '2035-01-01T00:00:00Z', 120],
  ])('from %s to %s: %d', (now, end, months) => {
    expect(monthsRemaining(at(now), at(end))).toBe(months);
  });

  it('is the smallest n with now + n months at or after the end (against counting one by one)', () => {
    const countUp = (now: Date, end: Date) => {
      let n = 0;
      while (addMonthsUtc(now, n).getTime() < end.getTime()) n++;
      return n;
    };
    fc.assert(
      fc.property(
        fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: -40 * 86_400_000, max: 130 * 31 * 86_400_000 }),
        (now, ahead) => {
          expect(monthsRemaining(now, new Date(now.getTime() + ahead))).toBe(countUp(now, new Date(now.getTime() + ahead)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('leaseRisks: shape', () => {
  it.each(LEASE_STATUSES)('%s: four placements in order, under the matrix version', (status) => {
    const snapshot = leaseRisks(aLease({ status }));
    expect(snapshot.matrixVersion).toBe(LEASE_RISK_MATRIX_VERSION);
    expect(LEASE_RISK_MATRIX_VERSION).toBe('lease-risks/2');
    expect(snapshot.risks.map((r) => [r.risk, r.bearer])).toEqual([
      ['continuity', 'lessee'],
      ['reputation', 'lessor'],
      ['routing', 'lessee'],
      ['renewal_lapse', 'lessee'],
    ]);
    for (const r of snapshot.risks) {
      expect(r.exposure.currency).toBe('USD');
      expect(Number.isSafeInteger(r.exposure.amountMinor)).toBe(true);
      expect(r.mitigation.length).toBeGreaterThan(10);
    }
  });

  it('is plain JSON (stored in lease_events.risks)', () => {
    const snapshot = leaseRisks(aLease());
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('a full snapshot of an active, healthy lease', () => {
    expect(leaseRisks(aLease())).toEqual({
      matrixVersion: 'lease-risks/2',
      risks: [
        { risk: 'continuity', bearer: 'lessee', exposure: { amountMinor: 128_000, currency: 'USD' }, status: 'monitored', mitigation: expect.stringContaining("re-checks the lessor's holdership") },
        { risk: 'reputation', bearer: 'lessor', exposure: { amountMinor: 128_000, currency: 'USD' }, status: 'monitored', mitigation: expect.stringContaining('verified gone') },
        { risk: 'routing', bearer: 'lessee', exposure: { amountMinor: 12_800, currency: 'USD' }, status: 'mitigated', mitigation: expect.stringContaining('RFC 9319') },
        { risk: 'renewal_lapse', bearer: 'lessee', exposure: { amountMinor: 12_800, currency: 'USD' }, status: 'mitigated', mitigation: expect.stringContaining('renews for another term at 2025-12-02T00:00:00.000Z') },
      ],
    });
  });

  it('refuses malformed input', () => {
    expect(() => leaseRisks(aLease({ monthlyMinor: -1n }))).toThrow(RangeError);
    expect(() => leaseRisks(aLease({ monthlyMinor: 100 as unknown as bigint }))).toThrow(RangeError);
    expect(() => leaseRisks(aLease({ now: new Date(Number.NaN) }))).toThrow(/now/);
    expect(() => leaseRisks(aLease({ endsAt: new Date(Number.NaN) }))).toThrow(/endsAt/);
  });
});

describe('leaseRisks: ended and failed leases close everything', () => {
  it.each(['ended', 'failed'] as const)('%s', (status) => {
    for (const input of [aLease({ status }), aLease({ status, lessorStanding: 'lapsed', registry: { roa: false, route: false, assignment: false }, autoRenew: false, noticeGiven: true })]) {
      for (const r of leaseRisks(input).risks) {
        expect(r.status).toBe('closed');
        expect(r.exposure.amountMinor).toBe(0);
      }
    }
  });
});

describe('leaseRisks: continuity (the lessor\'s RIR standing, borne by the lessee)', () => {
  it('RIR fees paid until a date still ahead: monitored, and the date is shown', () => {
    const input = aLease();
    const { continuity } = byRisk({ ...input, rirPaidUntil: new Date(input.now.getTime() + 86_400_000) });
    expect(continuity.status).toBe('monitored');
    expect(continuity.mitigation).toContain(`paid until ${new Date(input.now.getTime() + 86_400_000).toISOString()}`);
  });

  it('RIR fees unpaid (the paid-until date has passed): open, with the dates the RIR stops services and revokes', () => {
    const input = aLease();
    const paidUntil = new Date(input.now.getTime() - 86_400_000);
    for (const s of LIVE_LEASE_STATUSES) {
      const { continuity } = byRisk({ ...input, status: s, rirPaidUntil: paidUntil });
      expect(continuity.status).toBe('open');
      expect(continuity.bearer).toBe('lessee');
      expect(continuity.mitigation).toContain(`unpaid since ${paidUntil.toISOString()}`);
      expect(continuity.mitigation).toContain(`stops services at ${new Date(paidUntil.getTime() + 120 * 86_400_000).toISOString()}`);
      expect(continuity.mitigation).toContain(`revokes the block at ${new Date(paidUntil.getTime() + 180 * 86_400_000).toISOString()}`);
    }
    // The paid-until instant itself counts as unpaid; an ended lease is closed whatever the fees.
    expect(byRisk({ ...input, rirPaidUntil: input.now }).continuity.status).toBe('open');
    expect(byRisk({ ...input, status: 'ended', rirPaidUntil: paidUntil }).continuity.status).toBe('closed');
  });

  it.each<['verified' | 'unverified' | 'lapsed', RiskStatus, string]>([
    ['verified', 'monitored', 'is verified'],
    ['unverified', 'open', 'not verified yet'],
    ['lapsed', 'open', 'has lapsed'],
  ])('standing %s: %s', (lessorStanding, status, text) => {
    for (const s of LIVE_LEASE_STATUSES) {
      const { continuity } = byRisk(aLease({ status: s, lessorStanding }));
      expect(continuity.status).toBe(status);
      expect(continuity.mitigation).toContain(text);
      expect(continuity.mitigation).toContain('warns the lessee');
    }
  });

  it('exposes the rest of the term, whole months rounded up', () => {
    expect(byRisk(aLease()).continuity.exposure.amountMinor).toBe(10 * 12_800);
    expect(byRisk(aLease({ now: at('2025-12-31T00:00:00Z') })).continuity.exposure.amountMinor).toBe(12_800);
    expect(byRisk(aLease({ now: at('2025-01-01T00:00:00Z') })).continuity.exposure.amountMinor).toBe(12 * 12_800);
  });

  it('at least one month while the lease holds the unit, even past its end', () => {
    for (const status of LIVE_LEASE_STATUSES) {
      const { continuity, reputation } = byRisk(aLease({ status, now: at('2026-01-05T00:00:00Z') }));
      expect(continuity.exposure.amountMinor).toBe(12_800);
      expect(reputation.exposure.amountMinor).toBe(12_800);
    }
  });

  it('clamps a huge exposure to MAX_AMOUNT_MINOR instead of losing precision', () => {
    const input = aLease({ monthlyMinor: MAX_AMOUNT_MINOR, now: at('2025-01-01T00:00:00Z'), endsAt: at('2035-01-01T00:00:00Z') });
    const { continuity, reputation, routing, renewal } = byRisk(input);
    expect(continuity.exposure.amountMinor).toBe(Number(MAX_AMOUNT_MINOR));
    expect(reputation.exposure.amountMinor).toBe(Number(MAX_AMOUNT_MINOR));
    expect(routing.exposure.amountMinor).toBe(Number(MAX_AMOUNT_MINOR));
    expect(renewal.exposure.amountMinor).toBe(Number(MAX_AMOUNT_MINOR));
    const justUnder = byRisk(aLease({ monthlyMinor: MAX_AMOUNT_MINOR / 12n, now: at('2025-01-01T00:00:00Z') })).continuity;
    expect(justUnder.exposure.amountMinor).toBe(Number((MAX_AMOUNT_MINOR / 12n) * 12n));
  });
});

describe('leaseRisks: reputation (the lessee\'s use, borne by the lessor)', () => {
  it.each(LIVE_LEASE_STATUSES)('monitored while %s', (status) => {
    const { reputation } = byRisk(aLease({ status }));
    expect(reputation.status).toBe('monitored');
    expect(reputation.exposure.amountMinor).toBe(10 * 12_800);
    expect(reputation.mitigation).toContain('suspend');
    expect(reputation.mitigation).toContain('ROA and route object');
  });

  it('says where abuse reports go', () => {
    expect(byRisk(aLease()).reputation.mitigation).toContain('sends abuse reports to the lessee');
    expect(byRisk(aLease({ registry: { roa: true, route: true, assignment: false } })).reputation.mitigation).toContain('abuse reports reach the lessor');
  });
});

describe('leaseRisks: routing (missing ROA or route object, borne by the lessee)', () => {
  const cases: [LeaseStatus, boolean, boolean, RiskStatus][] = [];
  for (const status of LIVE_LEASE_STATUSES) {
    for (const roa of [true, false]) {
      for (const route of [true, false]) {
        const expected: RiskStatus = status !== 'provisioning' && roa && route ? 'mitigated' : 'open';
        cases.push([status, roa, route, expected]);
      }
    }
  }

  it.each(cases)('%s, roa %s, route %s: %s', (status, roa, route, expected) => {
    const { routing } = byRisk(aLease({ status, registry: { roa, route, assignment: true } }));
    expect(routing.status).toBe(expected);
    expect(routing.exposure.amountMinor).toBe(12_800);
    expect(routing.mitigation).toContain('exact-length ROA');
    expect(routing.mitigation).toContain('RFC 9319');
    expect(routing.mitigation).toContain('IRR route object');
  });

  it('names what is missing', () => {
    expect(byRisk(aLease({ registry: { roa: false, route: true, assignment: true } })).routing.mitigation).toMatch(/^Missing: the ROA\./);
    expect(byRisk(aLease({ registry: { roa: true, route: false, assignment: true } })).routing.mitigation).toMatch(/^Missing: the IRR route object\./);
    expect(byRisk(aLease({ registry: { roa: false, route: false, assignment: true } })).routing.mitigation).toMatch(/^Missing: the ROA and the IRR route object\./);
    expect(byRisk(aLease({ status: 'provisioning' })).routing.mitigation).toMatch(/^Being provisioned/);
  });

  it('the whois assignment does not decide it', () => {
    expect(byRisk(aLease({ registry: { roa: true, route: true, assignment: false } })).routing.status).toBe('mitigated');
  });
});

describe('leaseRisks: renewal lapse (borne by the lessee)', () => {
  it.each<[string, Partial<LeaseRiskInput>, RiskStatus, string]>([
    ['active, auto-renew, no notice', {}, 'mitigated', 'renews for another term at 2025-12-02T00:00:00.000Z'],
    ['provisioning, auto-renew, no notice', { status: 'provisioning' }, 'mitigated', 'renews for another term'],
    ['active, no auto-renew', { autoRenew: false }, 'open', 'Auto-renew is off'],
    ['active, auto-renew, notice given', { noticeGiven: true }, 'open', 'Notice has been given'],
    ['active, no auto-renew, notice given', { autoRenew: false, noticeGiven: true }, 'open', 'Notice has been given'],
    ['provisioning, no auto-renew', { status: 'provisioning', autoRenew: false }, 'open', 'Auto-renew is off'],
    ['ending', { status: 'ending' }, 'open', 'The lease is ending'],
    ['ending with notice', { status: 'ending', noticeGiven: true }, 'open', 'The lease is ending'],
    ['deprovisioning', { status: 'deprovisioning' }, 'open', 'being deprovisioned'],
    // A suspended lease does not renew (lifecycle: suspended has no 'renew', it lapses).
    ['suspended, auto-renew, no notice', { status: 'suspended' }, 'open', 'does not renew while suspended'],
    ['suspended, no auto-renew', { status: 'suspended', autoRenew: false }, 'open', 'Auto-renew is off'],
  ])('%s: %s', (_what, o, status, text) => {
    const { renewal } = byRisk(aLease(o));
    expect(renewal.status).toBe(status);
    expect(renewal.mitigation).toContain(text);
    expect(renewal.exposure.amountMinor).toBe(12_800);
  });

  it('says the lessee must renumber by the end when the lease will end', () => {
    for (const o of [{ autoRenew: false }, { noticeGiven: true }, { status: 'ending' as const }, { status: 'suspended' as const }]) {
      expect(byRisk(aLease(o)).renewal.mitigation).toContain('must renumber out of the unit and withdraw its routes by 2026-01-01T00:00:00.000Z');
    }
  });
});

describe('leaseRisks: properties', () => {
  const anyInput = fc.record({
    status: fc.constantFrom(...LEASE_STATUSES),
    autoRenew: fc.boolean(),
    noticeGiven: fc.boolean(),
    monthlyMinor: fc.bigInt({ min: 0n, max: MAX_AMOUNT_MINOR }),
    currency: fc.constantFrom('USD', 'EUR', 'JPY'),
    now: fc.date({ min: at('2020-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z'), noInvalidDate: true }),
    endsAt: fc.date({ min: at('2020-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z'), noInvalidDate: true }),
    noticeDeadline: fc.date({ min: at('2020-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z'), noInvalidDate: true }),
    registry: fc.record({ roa: fc.boolean(), route: fc.boolean(), assignment: fc.boolean() }),
    lessorStanding: fc.constantFrom('verified' as const, 'unverified' as const, 'lapsed' as const),
  });

  it('exposures are safe integers within the money limit; closed iff the lease is over', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const snapshot = leaseRisks(input);
        const over = input.status === 'ended' || input.status === 'failed';
        expect(snapshot.risks).toHaveLength(4);
        for (const r of snapshot.risks) {
          expect(Number.isSafeInteger(r.exposure.amountMinor)).toBe(true);
          expect(r.exposure.amountMinor).toBeGreaterThanOrEqual(0);
          expect(r.exposure.amountMinor).toBeLessThanOrEqual(Number(MAX_AMOUNT_MINOR));
          expect(r.exposure.currency).toBe(input.currency);
          expect(r.status === 'closed').toBe(over);
          if (over) expect(r.exposure.amountMinor).toBe(0);
        }
        if (!over) {
          const clamp = (n: bigint) => Number(n > MAX_AMOUNT_MINOR ? MAX_AMOUNT_MINOR : n);
          const rest = clamp(input.monthlyMinor * BigInt(Math.max(1, monthsRemaining(input.now, input.endsAt))));
          expect(snapshot.risks.map((r) => r.exposure.amountMinor)).toEqual([rest, rest, clamp(input.monthlyMinor), clamp(input.monthlyMinor)]);
        }
      }),
    );
  });

  it('feeds the exposure report: a finished lease adds nothing', () => {
    const live = leaseRisks(aLease({ lessorStanding: 'lapsed', registry: { roa: false, route: true, assignment: true } }));
    const ended = leaseRisks(aLease({ status: 'ended' }));
    expect(exposureByParty([live, ended])).toEqual([
      { party: 'lessee', risk: 'routing', currency: 'USD', amountMinor: 12_800n, placements: 1 },
      { party: 'lessee', risk: 'continuity', currency: 'USD', amountMinor: 128_000n, placements: 1 },
      { party: 'lessor', risk: 'reputation', currency: 'USD', amountMinor: 128_000n, placements: 1 },
    ]);
  });
});
