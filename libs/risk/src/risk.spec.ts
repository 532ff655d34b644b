import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  exposureByParty, isExposed, PARTIES, type Party, RISK_KINDS, RISK_STATUSES, type RiskKind, type RiskPlacement, type RiskSnapshot,
  type RiskStatus,
} from './index.js';

const place = (risk: RiskKind, bearer: Party, amountMinor: number, status: RiskStatus, currency = 'USD'): RiskPlacement => ({
  risk,
  bearer,
  exposure: { amountMinor, currency },
  mitigation: 'test',
  status,
});
const snap = (...risks: RiskPlacement[]): RiskSnapshot => ({ matrixVersion: 'test/1', risks });

describe('vocabulary', () => {
  it('has the parties, risks and statuses of the design', () => {
    expect(PARTIES).toEqual(['buyer', 'seller', 'broker', 'platform', 'lessee', 'lessor']);
    expect(RISK_KINDS).toEqual([
      'registry_rejection', 'title_defect', 'payment_reversal', 'counterparty_default', 'reputation', 'routing', 'continuity', 'renewal_lapse',
      'routing_conflict', 'policy_change',
    ]);
    expect(RISK_STATUSES).toEqual(['open', 'mitigated', 'monitored', 'closed']);
  });

  it.each<[RiskStatus, boolean]>([
    ['open', true],
    ['monitored', true],
    ['mitigated', false],
    ['closed', false],
  ])('isExposed(%s) is %s', (status, exposed) => {
    expect(isExposed(status)).toBe(exposed);
  });
});

describe('exposureByParty', () => {
  it('is empty for no snapshots, or only mitigated and closed risks', () => {
    expect(exposureByParty([])).toEqual([]);
    expect(exposureByParty([snap(place('routing', 'lessee', 100, 'mitigated'), place('continuity', 'lessee', 100, 'closed'))])).toEqual([]);
  });

  it('sums open and monitored exposure per party, risk and currency', () => {
    const lines = exposureByParty([
      snap(place('continuity', 'lessee', 1200, 'monitored'), place('reputation', 'lessor', 1200, 'monitored'), place('routing', 'lessee', 100, 'mitigated')),
      snap(place('continuity', 'lessee', 300, 'open'), place('reputation', 'lessor', 300, 'monitored'), place('routing', 'lessee', 100, 'open')),
      snap(place('continuity', 'lessee', 5000, 'open', 'EUR')),
    ]);
    expect(lines).toEqual([
      { party: 'lessee', risk: 'routing', currency: 'USD', amountMinor: 100n, placements: 1 },
      { party: 'lessee', risk: 'continuity', currency: 'EUR', amountMinor: 5000n, placements: 1 },
      { party: 'lessee', risk: 'continuity', currency: 'USD', amountMinor: 1500n, placements: 2 },
      { party: 'lessor', risk: 'reputation', currency: 'USD', amountMinor: 1500n, placements: 2 },
    ]);
  });

  it('orders lines by party, then risk, then currency', () => {
    const lines = exposureByParty([
      snap(place('renewal_lapse', 'lessor', 1, 'open', 'USD'), place('title_defect', 'buyer', 1, 'open', 'USD'), place('title_defect', 'buyer', 1, 'open', 'EUR')),
      snap(place('registry_rejection', 'seller', 1, 'open'), place('payment_reversal', 'platform', 1, 'open'), place('registry_rejection', 'buyer', 1, 'open')),
    ]);
    expect(lines.map((l) => [l.party, l.risk, l.currency])).toEqual([
      ['buyer', 'registry_rejection', 'USD'],
      ['buyer', 'title_defect', 'EUR'],
      ['buyer', 'title_defect', 'USD'],
      ['seller', 'registry_rejection', 'USD'],
      ['platform', 'payment_reversal', 'USD'],
      ['lessor', 'renewal_lapse', 'USD'],
    ]);
  });

  it('sums past Number.MAX_SAFE_INTEGER exactly', () => {
    const big = 10 ** 15;
    const lines = exposureByParty(Array.from({ length: 20 }, () => snap(place('continuity', 'lessee', big, 'open'))));
    expect(lines).toEqual([{ party: 'lessee', risk: 'continuity', currency: 'USD', amountMinor: 20n * 10n ** 15n, placements: 20 }]);
  });

  it('agrees with a plain per-key sum (property)', () => {
    const placement = fc
      .tuple(fc.constantFrom(...RISK_KINDS), fc.constantFrom(...PARTIES), fc.integer({ min: 0, max: 10 ** 15 }), fc.constantFrom(...RISK_STATUSES), fc.constantFrom('USD', 'EUR'))
      .map(([risk, bearer, amount, status, currency]) => place(risk, bearer, amount, status, currency));
    fc.assert(
      fc.property(fc.array(fc.array(placement, { maxLength: 6 }).map((rs) => snap(...rs)), { maxLength: 10 }), (snapshots) => {
        const all = snapshots.flatMap((s) => s.risks).filter((p) => p.status === 'open' || p.status === 'monitored');
        const lines = exposureByParty(snapshots);
        expect(lines.reduce((n, l) => n + l.placements, 0)).toBe(all.length);
        for (const l of lines) {
          const mine = all.filter((p) => p.bearer === l.party && p.risk === l.risk && p.exposure.currency === l.currency);
          expect(l.placements).toBe(mine.length);
          expect(l.amountMinor).toBe(mine.reduce((n, p) => n + BigInt(p.exposure.amountMinor), 0n));
        }
        expect(new Set(lines.map((l) => `${l.party}/${l.risk}/${l.currency}`)).size).toBe(lines.length);
      }),
    );
  });
});
