import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { StatementLine } from './bank-statement.js';
import { newFundingReference } from './funding-reference.js';
import { type OpenFunding, matchStatement } from './statement-matching.js';

const line = (n: number, amountMinor: bigint, reference: string, currency = 'USD'): StatementLine => ({
  line: n,
  date: '2026-11-28',
  amountMinor,
  currency,
  reference,
  counterparty: null,
  bankReference: `B${n}`,
});

describe('matchStatement', () => {
  const a = newFundingReference();
  const b = newFundingReference();
  const open = new Map<string, OpenFunding>([
    [a, { reference: a, currency: 'USD', expectedMinor: 100_000n, receivedMinor: 0n }],
    [b, { reference: b, currency: 'EUR', expectedMinor: 50_000n, receivedMinor: 20_000n }],
  ]);

  it('matches, adds partial payments up, reports excess, unknown references, other currencies and debits', () => {
    const out = matchStatement(
      [
        line(2, 40_000n, `SEPA ${a.toLowerCase()}`),
        line(3, 60_000n, a.replace(/-/g, ' ')),
        line(4, 5_000n, a),
        line(5, 30_000n, `ref ${b}`, 'USD'),
        line(6, 35_000n, b, 'EUR'),
        line(7, 1_000n, 'INVOICE 7'),
        line(8, -2_000n, a),
      ],
      open,
    ).map((m) => m.outcome);
    expect(out).toEqual([
      { kind: 'partial', reference: a, amountMinor: 40_000n, outstandingMinor: 60_000n },
      { kind: 'matched', reference: a, amountMinor: 60_000n },
      { kind: 'over', reference: a, amountMinor: 5_000n, excessMinor: 5_000n },
      { kind: 'currency_mismatch', reference: b, expectedCurrency: 'EUR' },
      { kind: 'over', reference: b, amountMinor: 35_000n, excessMinor: 5_000n },
      { kind: 'unknown_reference', found: null },
      { kind: 'not_a_credit' },
    ]);
  });

  it('never counts a cent twice: credited amounts add up to what arrived, split into funded and excess', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 60_000n }), { maxLength: 10 }), (amounts) => {
        const out = matchStatement(amounts.map((m, i) => line(i + 2, m, a)), open).map((m) => m.outcome);
        let funded = 0n;
        let excess = 0n;
        for (const o of out) {
          if (o.kind === 'over') {
            excess += o.excessMinor;
            funded += o.amountMinor - o.excessMinor;
          } else if (o.kind === 'matched' || o.kind === 'partial') funded += o.amountMinor;
        }
        const total = amounts.reduce((s, m) => s + m, 0n);
        expect(funded + excess).toBe(total);
        expect(funded).toBe(total < 100_000n ? total : 100_000n);
        expect(out.filter((o) => o.kind === 'matched').length).toBe(amounts.some((_, i) => amounts.slice(0, i + 1).reduce((s, m) => s + m, 0n) === 100_000n) ? 1 : 0);
      }),
    );
  });
});
