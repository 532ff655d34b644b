import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  ESCROW_STATUSES, type EscrowMoney, type EscrowStatus, type Settlement, decideSettlement, fundingEffect, heldMinor, isEscrowStatus, isSettled, openStatus,
} from './escrow-state.js';

const open = (expectedMinor: bigint, fundedMinor: bigint): EscrowMoney => ({ status: openStatus(expectedMinor, fundedMinor), expectedMinor, fundedMinor });

describe('escrow state', () => {
  it('knows its statuses', () => {
    expect(ESCROW_STATUSES.filter(isSettled)).toEqual(['released', 'refunded']);
    expect(isEscrowStatus('funded')).toBe(true);
    expect(isEscrowStatus('closed')).toBe(false);
    expect(openStatus(100n, 99n)).toBe('awaiting_funds');
    expect(openStatus(100n, 100n)).toBe('funded');
  });

  it('holds what was funded while open, nothing once settled', () => {
    expect(heldMinor(open(100n, 40n))).toBe(40n);
    expect(heldMinor({ status: 'released', expectedMinor: 100n, fundedMinor: 100n })).toBe(0n);
    expect(heldMinor({ status: 'refunded', expectedMinor: 100n, fundedMinor: 40n })).toBe(0n);
  });

  describe('fundingEffect', () => {
    it.each([
      ['a partial payment', open(1000n, 0n), 400n, { toEscrowMinor: 400n, excessMinor: 0n, fundedAfterMinor: 400n, statusAfter: 'awaiting_funds' }],
      ['the rest, exactly', open(1000n, 400n), 600n, { toEscrowMinor: 600n, excessMinor: 0n, fundedAfterMinor: 1000n, statusAfter: 'funded' }],
      ['an overpayment: the excess is the buyer’s', open(1000n, 400n), 700n, { toEscrowMinor: 600n, excessMinor: 100n, fundedAfterMinor: 1000n, statusAfter: 'funded' }],
      ['a payment once funded: all excess', open(1000n, 1000n), 50n, { toEscrowMinor: 0n, excessMinor: 50n, fundedAfterMinor: 1000n, statusAfter: 'funded' }],
      ['after release: all excess', { status: 'released', expectedMinor: 1000n, fundedMinor: 1000n }, 5n, { toEscrowMinor: 0n, excessMinor: 5n, fundedAfterMinor: 1000n, statusAfter: 'released' }],
      ['after a refund of a partly funded escrow: all excess', { status: 'refunded', expectedMinor: 1000n, fundedMinor: 300n }, 700n, { toEscrowMinor: 0n, excessMinor: 700n, fundedAfterMinor: 300n, statusAfter: 'refunded' }],
    ] as const)('%s', (_what, state, amount, effect) => {
      expect(fundingEffect(state as EscrowMoney, amount)).toEqual(effect);
    });

    it('refuses a payment that is not positive', () => {
      expect(() => fundingEffect(open(10n, 0n), 0n)).toThrow(RangeError);
      expect(() => fundingEffect(open(10n, 0n), -1n)).toThrow(RangeError);
    });

    it('over any sequence of payments: every unit lands once, escrow never exceeds the price, the rest is excess', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { maxLength: 8 }), (expected, payments) => {
          let state = open(expected, 0n);
          let excess = 0n;
          for (const p of payments) {
            const e = fundingEffect(state, p);
            expect(e.toEscrowMinor + e.excessMinor).toBe(p);
            expect(e.toEscrowMinor >= 0n && e.excessMinor >= 0n).toBe(true);
            expect(e.fundedAfterMinor).toBe(state.fundedMinor + e.toEscrowMinor);
            expect(e.fundedAfterMinor <= expected).toBe(true);
            excess += e.excessMinor;
            state = { status: e.statusAfter, expectedMinor: expected, fundedMinor: e.fundedAfterMinor };
          }
          const paid = payments.reduce((s, p) => s + p, 0n);
          expect(state.fundedMinor).toBe(paid < expected ? paid : expected);
          expect(excess).toBe(paid - state.fundedMinor);
          expect(state.status).toBe(paid >= expected ? 'funded' : 'awaiting_funds');
        }),
      );
    });
  });

  describe('decideSettlement', () => {
    // The whole table: every status and settlement, and what it gives.
    const cases: [EscrowStatus, Settlement, string][] = [
      ['awaiting_funds', 'release', 'refused ESCROW.NOT_FUNDED'],
      ['awaiting_funds', 'refund', 'settle refunded 300'],
      ['funded', 'release', 'settle released 1000'],
      ['funded', 'refund', 'settle refunded 1000'],
      ['released', 'release', 'replay released'],
      ['released', 'refund', 'refused ESCROW.ALREADY_SETTLED'],
      ['refunded', 'refund', 'replay refunded'],
      ['refunded', 'release', 'refused ESCROW.ALREADY_SETTLED'],
    ];
    it.each(cases)('%s + %s -> %s', (status, what, expected) => {
      const funded = status === 'awaiting_funds' ? 300n : 1000n;
      const d = decideSettlement({ status, expectedMinor: 1000n, fundedMinor: funded }, what);
      const shown = d.kind === 'settle' ? `settle ${d.to} ${d.amountMinor}` : d.kind === 'replay' ? `replay ${d.outcome}` : `refused ${d.code}`;
      expect(shown).toBe(expected);
    });

    it('refunds an escrow that received nothing, of nothing', () => {
      expect(decideSettlement(open(500n, 0n), 'refund')).toEqual({ kind: 'settle', amountMinor: 0n, to: 'refunded' });
    });
  });
});
