import { describe, expect, it } from '@jest/globals';
import { ceilDay, guessStripeType, reconcile, sourceOf, summarise } from './reconciliation.js';

const usd = (amountMinor: bigint) => ({ amountMinor, currency: 'USD' });
const at = new Date('2026-11-28T10:00:00Z');
const side = (...amounts: bigint[]) => ({ amounts: amounts.map(usd), entryIds: amounts.map((_, i) => BigInt(10 - i)) });

describe('reconcile', () => {
  it.each([
    ['both sides equal', [usd(500n)], side(500n), 'matched', usd(0n)],
    ['the sum of the parts equal', [usd(-500n), usd(500n)], side(-500n, 500n), 'matched', usd(0n)],
    ['the ledger short', [usd(500n)], side(400n), 'amount_differs', usd(100n)],
    ['no ledger movement', [usd(500n)], null, 'missing_in_ledger', usd(500n)],
    ['no provider record', null, side(-300n), 'missing_at_provider', usd(300n)],
  ] as const)('%s', (_what, provided, ledger, status, difference) => {
    const item = reconcile('stripe', 'ch_1', 'charge', at, provided ? [...provided] : null, ledger);
    expect(item).toMatchObject({ status, difference });
  });

  it('never matches across currencies, and has no difference then', () => {
    const item = reconcile('bank', 'main:B1', 'matched', at, [{ amountMinor: 500n, currency: 'EUR' }], side(500n));
    expect(item).toMatchObject({ status: 'amount_differs', difference: null });
  });

  it('lists each entry once, in order', () => {
    expect(reconcile('stripe', 'dp_1', 'adjustment', at, [usd(0n)], { amounts: [usd(-1n), usd(1n)], entryIds: [9n, 3n, 9n] }).entryIds).toEqual([3n, 9n]);
  });
});

describe('summarise', () => {
  it('counts per status and totals per currency', () => {
    const items = [
      reconcile('stripe', 'ch_1', 'charge', at, [usd(500n)], side(500n)),
      reconcile('stripe', 'ch_2', 'charge', at, [usd(700n)], null),
      reconcile('bank', 'main:B', 'debit', at, null, { amounts: [{ amountMinor: -5n, currency: 'JPY' }], entryIds: [1n] }),
    ];
    const s = summarise(items);
    expect(s.counts).toEqual({ matched: 1, missing_in_ledger: 1, missing_at_provider: 1, amount_differs: 0 });
    expect(s.currencies).toEqual([
      { currency: 'JPY', counts: { matched: 0, missing_in_ledger: 0, missing_at_provider: 1, amount_differs: 0 }, provider: { amountMinor: 0n, currency: 'JPY' }, ledger: { amountMinor: -5n, currency: 'JPY' }, difference: { amountMinor: 5n, currency: 'JPY' } },
      { currency: 'USD', counts: { matched: 1, missing_in_ledger: 1, missing_at_provider: 0, amount_differs: 0 }, provider: usd(1200n), ledger: usd(500n), difference: usd(700n) },
    ]);
  });
});

describe('helpers', () => {
  it('takes a bank line booked on day D as happening at D 00:00 UTC', () => {
    expect(ceilDay(new Date('2026-11-28T00:00:00Z'))).toBe('2026-11-28');
    expect(ceilDay(new Date('2026-11-28T00:00:00.001Z'))).toBe('2026-11-29');
  });

  it('knows a movement part by its source, and guesses types from ids', () => {
    expect(sourceOf('dp_1:withdrawn')).toBe('dp_1');
    expect(sourceOf('ch_1')).toBe('ch_1');
    expect(['pi_1', 're_1', 'trr_1', 'dp_1', 'xx_1'].map(guessStripeType)).toEqual(['charge', 'refund', 'transfer', 'adjustment', 'unknown']);
  });
});
