import { describe, expect, it } from '@jest/globals';
import { MAX_AMOUNT_MINOR } from '@app/money';
import { exposureByParty, PARTIES, RISK_KINDS, type RiskPlacement, type RiskStatus } from '@app/risk';
import fc from 'fast-check';
import { placementFor, TRANSFER_RISK_MATRIX, TRANSFER_RISK_MATRIX_VERSION, type TransferRiskTerms } from './risk-matrix.js';
import { type Stage, STAGES } from './stages.js';

/** A /22 at $45 an address, brokered, paid by card, fully funded. */
const aDeal = (o: Partial<TransferRiskTerms> = {}): TransferRiskTerms => ({
  price: { amountMinor: 4_608_000n, currency: 'USD' },
  brokerFeeBps: 500,
  platformFeeBps: 250,
  hasBroker: true,
  interRir: false,
  provider: 'stripe',
  fundedMinor: 4_608_000n,
  ...o,
});

const PRICE = 4_608_000;
const PROCEEDS = 4_262_400; // 92.5 %
const COMMISSION = 230_400; // 5 %

const LINES = [
  'registry_rejection/seller', 'title_defect/buyer', 'payment_reversal/platform', 'counterparty_default/buyer', 'counterparty_default/seller',
  'counterparty_default/broker', 'reputation/buyer', 'continuity/buyer', 'routing_conflict/buyer', 'policy_change/buyer', 'policy_change/seller',
] as const;

// The matrix written out from DOMAIN.md "A sale, stage by stage", one cell per line above:
// status (O open, M mitigated, W monitored, C closed) and basis (- nil, P price, H held,
// S the seller's proceeds, B the broker's commission).
const EXPECTED: Record<Stage, string> = {
  proposed: /*             */ 'C- C- C- O- C- OB C- C- C- C- C-',
  agreed: /*               */ 'OS O- C- O- O- OB O- C- C- C- C-',
  policy_checked: /*       */ 'OS M- C- O- O- OB O- C- C- W- WS',
  awaiting_funds: /*       */ 'OS MH OH MH O- OB OH C- C- W- WS',
  funded: /*               */ 'OS MP OP MP C- OB OP C- C- W- WS',
  registry_submitted: /*   */ 'OS MP OP MP C- OB OP C- C- W- WS',
  registry_approved: /*    */ 'C- MP OP MP C- OB OP C- C- W- WS',
  registry_completed: /*   */ 'C- MP OP C- C- OB OP WP OP C- C-',
  verified: /*             */ 'C- MP OP C- C- OB OP WP MP C- C-',
  released: /*             */ 'C- MP WP C- C- C- WP WP MP C- C-',
  completed: /*            */ 'C- MP WP C- C- C- WP WP MP C- C-',
  policy_failed: /*        */ 'C- C- C- C- C- C- C- C- C- C- C-',
  registry_rejected: /*    */ 'C- C- OH MH C- C- C- C- C- C- C-',
  refunding: /*            */ 'C- C- OH WH C- C- C- C- C- C- C-',
  refunded: /*             */ 'C- C- C- C- C- C- C- C- C- C- C-',
  cancelled: /*            */ 'C- C- C- C- C- C- C- C- C- C- C-',
  disputed: /*             */ 'C- C- OH OH OH OB C- C- C- C- C-',
};
const STATUS: Record<string, RiskStatus> = { O: 'open', M: 'mitigated', W: 'monitored', C: 'closed' };

const code = (p: RiskPlacement, amounts: Record<string, number>): string => {
  const s = Object.entries(STATUS).find(([, v]) => v === p.status)![0];
  const basis = Object.entries(amounts).find(([, v]) => v === p.exposure.amountMinor && v !== 0)?.[0] ?? '-';
  return `${s}${basis}`;
};

describe('placementFor: the matrix', () => {
  // Partly funded where a stage allows it, so that H reads apart from P.
  const PARTLY = new Set<Stage>(['awaiting_funds', 'refunding', 'registry_rejected', 'disputed']);

  it.each(STAGES)('%s', (stage) => {
    const held = PARTLY.has(stage) ? 1_000_000 : PRICE;
    const snapshot = placementFor(stage, aDeal({ fundedMinor: BigInt(held) }));
    const amounts = { P: PRICE, H: held, S: PROCEEDS, B: COMMISSION };
    expect(snapshot.matrixVersion).toBe('transfer-risks/1');
    expect(snapshot.risks.map((r) => `${r.risk}/${r.bearer}`)).toEqual(LINES);
    // Once funded what is held is the price, and reads as P.
    const got = snapshot.risks.map((r) => code(r, amounts)).join(' ');
    expect(got).toBe(EXPECTED[stage]);
  });

  it('is plain JSON (stored with each transfer event)', () => {
    const snapshot = placementFor('funded', aDeal());
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('splits proceeds and commission as the escrow does', () => {
    const snapshot = placementFor('agreed', aDeal({ price: { amountMinor: 1001n, currency: 'USD' }, brokerFeeBps: 333, platformFeeBps: 333 }));
    const rejection = snapshot.risks.find((r) => r.risk === 'registry_rejection')!;
    const broker = snapshot.risks.find((r) => r.bearer === 'broker')!;
    // allocate(1001, [9334, 333, 333]): 934.33.., 33.33.., 33.33.. -> 934 + 33 + 33 = 1000, one unit to the largest remainder.
    expect(rejection.exposure.amountMinor + broker.exposure.amountMinor).toBeLessThanOrEqual(1001);
    expect([rejection.exposure.amountMinor, broker.exposure.amountMinor]).toEqual([935, 33]);
  });
});

describe('placementFor: terms', () => {
  it('without a broker there is no broker line', () => {
    for (const stage of STAGES) {
      const snapshot = placementFor(stage, aDeal({ hasBroker: false, brokerFeeBps: 0 }));
      expect(snapshot.risks.some((r) => r.bearer === 'broker')).toBe(false);
      expect(snapshot.risks).toHaveLength(LINES.length - 1);
    }
  });

  it('a wire (manual provider) is never reversed: payment_reversal closed at every stage', () => {
    for (const stage of STAGES) {
      const reversal = placementFor(stage, aDeal({ provider: 'manual' })).risks.find((r) => r.risk === 'payment_reversal')!;
      expect(reversal).toMatchObject({ bearer: 'platform', status: 'closed', exposure: { amountMinor: 0 } });
    }
    expect(placementFor('funded', aDeal({ provider: 'manual' })).risks.find((r) => r.risk === 'payment_reversal')!.mitigation).toContain('Paid by wire');
  });

  it('a card payment can be reversed after funding: the platform bears it', () => {
    expect(placementFor('funded', aDeal()).risks.find((r) => r.risk === 'payment_reversal')).toMatchObject({
      bearer: 'platform',
      status: 'open',
      exposure: { amountMinor: PRICE, currency: 'USD' },
      mitigation: expect.stringContaining('ACH up to 4 business days'),
    });
  });

  it('awaiting funds, the buyer is exposed for what it has paid in, never more than the price', () => {
    const title = (fundedMinor: bigint) => placementFor('awaiting_funds', aDeal({ fundedMinor })).risks.find((r) => r.risk === 'title_defect')!;
    expect(title(0n).exposure.amountMinor).toBe(0);
    expect(title(123n).exposure.amountMinor).toBe(123);
    expect(title(10n * BigInt(PRICE)).exposure.amountMinor).toBe(PRICE);
  });

  it('notes inter-RIR transfers on what is still at stake', () => {
    const inter = placementFor('registry_submitted', aDeal({ interRir: true }));
    expect(inter.risks.find((r) => r.risk === 'registry_rejection')!.mitigation).toContain('both registries must agree');
    expect(inter.risks.find((r) => r.risk === 'policy_change' && r.bearer === 'seller')!.mitigation).toContain("both RIRs' policies apply");
    expect(placementFor('registry_submitted', aDeal()).risks.find((r) => r.risk === 'registry_rejection')!.mitigation).not.toContain('Inter-RIR');
    expect(placementFor('completed', aDeal({ interRir: true })).risks.every((r) => !r.mitigation.includes('Inter-RIR'))).toBe(true);
  });

  it.each<[string, Partial<TransferRiskTerms>, RegExp]>([
    ['a negative price', { price: { amountMinor: -1n, currency: 'USD' } }, /price.amountMinor/],
    ['a price over the limit', { price: { amountMinor: MAX_AMOUNT_MINOR + 1n, currency: 'USD' } }, /price.amountMinor/],
    ['a number price', { price: { amountMinor: 100 as unknown as bigint, currency: 'USD' } }, /price.amountMinor/],
    ['an unknown currency', { price: { amountMinor: 100n, currency: 'XYZ' } }, /currency/],
    ['negative funding', { fundedMinor: -1n }, /fundedMinor/],
    ['fractional fees', { brokerFeeBps: 2.5 }, /basis points/],
    ['fees over 100 %', { brokerFeeBps: 9_000, platformFeeBps: 1_001 }, /basis points/],
    ['a broker fee without a broker', { hasBroker: false }, /broker/],
    ['an unknown provider', { provider: 'paypal' as 'stripe' }, /provider/],
  ])('refuses %s', (_what, o, message) => {
    expect(() => placementFor('funded', aDeal(o))).toThrow(message);
  });
});

describe('placementFor: invariants', () => {
  const anyTerms = fc
    .record({
      amountMinor: fc.bigInt({ min: 0n, max: MAX_AMOUNT_MINOR }),
      currency: fc.constantFrom('USD', 'EUR', 'JPY'),
      brokerFeeBps: fc.integer({ min: 0, max: 5_000 }),
      platformFeeBps: fc.integer({ min: 0, max: 5_000 }),
      hasBroker: fc.boolean(),
      interRir: fc.boolean(),
      provider: fc.constantFrom('manual' as const, 'stripe' as const),
      fundedMinor: fc.bigInt({ min: 0n, max: 2n * MAX_AMOUNT_MINOR }),
    })
    .map(({ amountMinor, currency, ...t }): TransferRiskTerms => ({
      ...t,
      brokerFeeBps: t.hasBroker ? t.brokerFeeBps : 0,
      price: { amountMinor, currency },
    }));
  const anyStage = fc.constantFrom(...STAGES);

  it('only buyer, seller, broker and platform bear anything; lines come in RISK_KINDS then PARTIES order', () => {
    fc.assert(
      fc.property(anyStage, anyTerms, (stage, terms) => {
        const { risks } = placementFor(stage, terms);
        for (const r of risks) expect(['buyer', 'seller', 'broker', 'platform']).toContain(r.bearer);
        const rank = (r: RiskPlacement) => RISK_KINDS.indexOf(r.risk) * 100 + PARTIES.indexOf(r.bearer);
        expect(risks.map(rank)).toEqual([...risks.map(rank)].sort((a, b) => a - b));
      }),
    );
  });

  it('amounts are safe non-negative integers within the price, in its currency; closed ones are 0', () => {
    fc.assert(
      fc.property(anyStage, anyTerms, (stage, terms) => {
        const snapshot = placementFor(stage, terms);
        expect(snapshot.matrixVersion).toBe(TRANSFER_RISK_MATRIX_VERSION);
        for (const r of snapshot.risks) {
          expect(Number.isSafeInteger(r.exposure.amountMinor)).toBe(true);
          expect(r.exposure.amountMinor).toBeGreaterThanOrEqual(0);
          expect(BigInt(r.exposure.amountMinor)).toBeLessThanOrEqual(terms.price.amountMinor);
          expect(r.exposure.currency).toBe(terms.price.currency);
          if (r.status === 'closed') expect(r.exposure.amountMinor).toBe(0);
          expect(r.mitigation.length).toBeGreaterThan(10);
        }
      }),
    );
  });

  it('completed has nothing open; policy_failed, refunded and cancelled close everything', () => {
    fc.assert(
      fc.property(anyTerms, (terms) => {
        for (const r of placementFor('completed', terms).risks) expect(r.status).not.toBe('open');
        for (const stage of ['policy_failed', 'refunded', 'cancelled'] as const) {
          for (const r of placementFor(stage, terms).risks) expect(r).toMatchObject({ status: 'closed', exposure: { amountMinor: 0 } });
        }
      }),
    );
  });

  it('exposureByParty never adds currencies together', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyStage, anyTerms), { maxLength: 12 }), (deals) => {
        const snapshots = deals.map(([stage, terms]) => placementFor(stage, terms));
        const lines = exposureByParty(snapshots);
        for (const currency of new Set(deals.map(([, t]) => t.price.currency))) {
          const alone = exposureByParty(snapshots.filter((_, i) => deals[i]![1].price.currency === currency));
          expect(lines.filter((l) => l.currency === currency)).toEqual(alone);
        }
      }),
    );
  });

  it('every line has a cell for every stage (checked at load) and a reason', () => {
    for (const line of TRANSFER_RISK_MATRIX) {
      for (const cells of [line.cells, line.manualCells].filter((c) => c !== undefined)) {
        for (const stage of STAGES) expect(cells[stage].mitigation.length).toBeGreaterThan(10);
      }
    }
  });
});

describe('placementFor: feeds the exposure report', () => {
  it('a funded card deal and a completed wire deal', () => {
    const funded = placementFor('funded', aDeal());
    const done = placementFor('completed', aDeal({ provider: 'manual', price: { amountMinor: 1_000n, currency: 'USD' }, fundedMinor: 1_000n }));
    expect(exposureByParty([funded, done])).toEqual([
      { party: 'buyer', risk: 'reputation', currency: 'USD', amountMinor: BigInt(PRICE) + 1_000n, placements: 2 },
      { party: 'buyer', risk: 'continuity', currency: 'USD', amountMinor: 1_000n, placements: 1 },
      { party: 'buyer', risk: 'policy_change', currency: 'USD', amountMinor: 0n, placements: 1 },
      { party: 'seller', risk: 'registry_rejection', currency: 'USD', amountMinor: BigInt(PROCEEDS), placements: 1 },
      { party: 'seller', risk: 'policy_change', currency: 'USD', amountMinor: BigInt(PROCEEDS), placements: 1 },
      { party: 'broker', risk: 'counterparty_default', currency: 'USD', amountMinor: BigInt(COMMISSION), placements: 1 },
      { party: 'platform', risk: 'payment_reversal', currency: 'USD', amountMinor: BigInt(PRICE), placements: 1 },
    ]);
  });
});
