import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CURRENCIES, MAX_AMOUNT_MINOR, allocate, money } from '@app/money';
import {
  type Line,
  type LineInput,
  MAX_LINES,
  checkBalanced,
  checkEntryText,
  checkLines,
  netByCurrency,
  postingOrder,
  reversalOf,
  sameLines,
  totalsByCurrency,
} from './entry.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';
const line = (accountId: string, amountMinor: bigint): LineInput => ({ accountId, amountMinor });
const cline = (accountId: string, amountMinor: bigint, currency: string): Line => ({ accountId, amountMinor, currency });

const uuid = fc.uuid({ version: 4 });
const amount = fc.oneof(fc.bigInt({ min: 1n, max: MAX_AMOUNT_MINOR }), fc.bigInt({ min: 1n, max: 1000n })).chain((n) => fc.constantFrom(n, -n));

/** 2..8 lines with non-zero amounts within the bound that net to zero: the last line balances the others. */
const balancedLines: fc.Arbitrary<LineInput[]> = fc
  .array(fc.tuple(uuid, amount), { minLength: 1, maxLength: 7 })
  .chain((head) => {
    const rest = -head.reduce((s, [, a]) => s + a, 0n);
    return uuid.map((last) => [...head, [last, rest] as const]);
  })
  .filter((ls) => ls.every(([, a]) => a !== 0n && a <= MAX_AMOUNT_MINOR && a >= -MAX_AMOUNT_MINOR))
  .map((ls) => ls.map(([accountId, amountMinor]) => line(accountId, amountMinor)));

/** A balanced entry in one currency per group of lines (each group nets to zero on its own). */
const balancedMultiCurrency: fc.Arbitrary<Line[]> = fc
  .array(fc.tuple(fc.constantFrom(...CURRENCIES), balancedLines), { minLength: 1, maxLength: 3 })
  .map((groups) => groups.flatMap(([currency, ls]) => ls.map((l) => ({ ...l, currency }))));

describe('checkLines', () => {
  it('accepts a balanced entry and answers its lines in account order, ids in lower case', () => {
    const r = checkLines([line(C, -300n), line(A.toUpperCase(), 100n), line(B, 200n)]);
    expect(r).toEqual({ ok: true, value: [line(A, 100n), line(B, 200n), line(C, -300n)] });
  });

  it('accepts the largest amounts and two lines on one account', () => {
    expect(checkLines([line(A, MAX_AMOUNT_MINOR), line(B, -MAX_AMOUNT_MINOR)]).ok).toBe(true);
    expect(checkLines([line(A, 5n), line(A, -5n)]).ok).toBe(true);
  });

  it.each([
    ['no lines', [], 'LEDGER.TOO_FEW_LINES'],
    ['one line', [line(A, 0n)], 'LEDGER.TOO_FEW_LINES'],
    ['not an array', 'lines' as unknown as LineInput[], 'LEDGER.TOO_FEW_LINES'],
    ['a zero amount', [line(A, 0n), line(B, 0n)], 'LEDGER.INVALID_AMOUNT'],
    ['a number amount', [line(A, 100 as unknown as bigint), line(B, -100n)], 'LEDGER.INVALID_AMOUNT'],
    ['a string amount', [line(A, '100' as unknown as bigint), line(B, -100n)], 'LEDGER.INVALID_AMOUNT'],
    ['a missing amount', [{ accountId: A } as LineInput, line(B, -100n)], 'LEDGER.INVALID_AMOUNT'],
    ['an amount above 10^15', [line(A, MAX_AMOUNT_MINOR + 1n), line(B, -MAX_AMOUNT_MINOR - 1n)], 'LEDGER.INVALID_AMOUNT'],
    ['an amount below -10^15', [line(A, -MAX_AMOUNT_MINOR - 1n), line(B, MAX_AMOUNT_MINOR + 1n)], 'LEDGER.INVALID_AMOUNT'],
    ['an account that is not a uuid', [line('cash', 100n), line(B, -100n)], 'LEDGER.INVALID_ACCOUNT'],
    ['an account with braces', [line(`{${A}}`, 100n), line(B, -100n)], 'LEDGER.INVALID_ACCOUNT'],
    ['a null line', [null as unknown as LineInput, line(B, -100n)], 'LEDGER.INVALID_ACCOUNT'],
    ['lines that do not net to zero', [line(A, 100n), line(B, -99n)], 'LEDGER.UNBALANCED'],
    ['debits only', [line(A, 100n), line(B, 100n)], 'LEDGER.UNBALANCED'],
  ])('refuses %s', (_what, lines, code) => {
    const r = checkLines(lines as LineInput[]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe(code);
    expect(!r.ok && r.message.length).toBeGreaterThan(0);
  });

  it(`takes up to ${MAX_LINES} lines`, () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => line(i % 2 ? A : B, i % 2 ? 1n : -1n));
    expect(checkLines(lines(MAX_LINES)).ok).toBe(true);
    const r = checkLines(lines(MAX_LINES + 2));
    expect(!r.ok && r.code).toBe('LEDGER.TOO_MANY_LINES');
  });

  it('accepts every balanced entry, keeping its lines and putting them in account order', () => {
    fc.assert(
      fc.property(balancedLines, (lines) => {
        const r = checkLines(lines);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(sameLines(r.value, lines)).toBe(true);
        r.value.slice(1).forEach((l, i) => expect(r.value[i]!.accountId <= l.accountId).toBe(true));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses an entry with any one amount changed', () => {
    fc.assert(
      fc.property(balancedLines, fc.nat(), fc.bigInt({ min: -1000n, max: 1000n }).filter((d) => d !== 0n), (lines, at, delta) => {
        const i = at % lines.length;
        const changed = lines.map((l, j) => (j === i ? line(l.accountId, l.amountMinor + delta) : l));
        const r = checkLines(changed);
        expect(r.ok).toBe(false);
        expect(['LEDGER.UNBALANCED', 'LEDGER.INVALID_AMOUNT']).toContain(!r.ok && r.code);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checkBalanced', () => {
  it('accepts lines that net to zero in each of their currencies', () => {
    const lines = [cline(A, 100n, 'USD'), cline(B, -100n, 'USD'), cline(A, 7n, 'JPY'), cline(C, -7n, 'JPY')];
    expect(checkBalanced(lines)).toEqual({ ok: true, value: lines });
  });

  it.each([
    ['one line', [cline(A, 0n, 'USD')], 'LEDGER.TOO_FEW_LINES'],
    ['amounts in two currencies that net to zero only together', [cline(A, 100n, 'USD'), cline(B, -100n, 'EUR')], 'LEDGER.UNBALANCED'],
    ['one currency off', [cline(A, 100n, 'USD'), cline(B, -100n, 'USD'), cline(A, 5n, 'EUR'), cline(B, -4n, 'EUR'), cline(C, -1n, 'GBP')], 'LEDGER.UNBALANCED'],
    ['an unknown currency', [cline(A, 100n, 'XXX'), cline(B, -100n, 'XXX')], 'LEDGER.UNKNOWN_CURRENCY'],
    ['a lower-case currency', [cline(A, 100n, 'usd'), cline(B, -100n, 'usd')], 'LEDGER.UNKNOWN_CURRENCY'],
  ])('refuses %s', (_what, lines, code) => {
    const r = checkBalanced(lines);
    expect(!r.ok && r.code).toBe(code);
  });

  it('names what is left over, per currency', () => {
    const r = checkBalanced([cline(A, 100n, 'USD'), cline(B, -100n, 'EUR')]);
    expect(!r.ok && r.message).toContain('EUR -100, USD 100');
  });

  it('accepts every entry balanced per currency and refuses it with lines of one currency moved to another', () => {
    fc.assert(
      fc.property(balancedMultiCurrency, fc.nat(), (lines, at) => {
        expect(checkBalanced(lines).ok).toBe(true);
        const i = at % lines.length;
        const other = lines[i]!.currency === 'USD' ? 'EUR' : 'USD';
        const moved = lines.map((l, j) => (j === i ? { ...l, currency: other } : l));
        expect(checkBalanced(moved).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('reversalOf', () => {
  it('negates every line and keeps accounts and currencies', () => {
    expect(reversalOf([cline(A, 100n, 'USD'), cline(B, -100n, 'USD')])).toEqual([cline(A, -100n, 'USD'), cline(B, 100n, 'USD')]);
  });

  it('nets an entry to zero on every account, is balanced, swaps debits and credits, and undoes itself', () => {
    fc.assert(
      fc.property(balancedMultiCurrency, (lines) => {
        const back = reversalOf(lines);
        expect(checkBalanced(back).ok).toBe(true);
        const perAccount = new Map<string, bigint>();
        for (const l of [...lines, ...back]) perAccount.set(`${l.accountId} ${l.currency}`, (perAccount.get(`${l.accountId} ${l.currency}`) ?? 0n) + l.amountMinor);
        expect([...perAccount.values()].every((n) => n === 0n)).toBe(true);
        expect(totalsByCurrency(back)).toEqual(totalsByCurrency(lines).map((t) => ({ ...t, debitsMinor: t.creditsMinor, creditsMinor: t.debitsMinor })));
        expect(reversalOf(back)).toEqual(lines);
      }),
      { numRuns: 500 },
    );
  });
});

describe('totalsByCurrency and netByCurrency', () => {
  it('sums positive amounts as debits and negative ones as credits, per currency in order', () => {
    const lines = [cline(A, 100n, 'USD'), cline(B, -60n, 'USD'), cline(C, -40n, 'USD'), cline(A, 5n, 'EUR'), cline(B, -5n, 'EUR')];
    expect(totalsByCurrency(lines)).toEqual([
      { currency: 'EUR', debitsMinor: 5n, creditsMinor: 5n },
      { currency: 'USD', debitsMinor: 100n, creditsMinor: 100n },
    ]);
    expect(netByCurrency([cline(A, 3n, 'USD'), cline(B, -1n, 'EUR')])).toEqual([
      ['EUR', -1n],
      ['USD', 3n],
    ]);
    expect(totalsByCurrency([])).toEqual([]);
  });

  it('debits equal credits in every currency for any journal of balanced entries', () => {
    fc.assert(
      fc.property(fc.array(balancedMultiCurrency, { maxLength: 10 }), (entries) => {
        for (const t of totalsByCurrency(entries.flat())) expect(t.debitsMinor).toBe(t.creditsMinor);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a release split by allocate (libs/money) is a balanced entry', () => {
  it('escrow debited by the total, seller, broker and platform credited with shares that add up to it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: MAX_AMOUNT_MINOR }), (total) => {
        const [seller, broker, platform] = allocate(money(total, 'USD'), [9250, 500, 250]);
        const lines = [line(A, total), line(B, -seller!.amountMinor), line(C, -broker!.amountMinor), line(A, -platform!.amountMinor)].filter(
          (l) => l.amountMinor !== 0n,
        );
        expect(checkLines(lines).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('sameLines', () => {
  it.each([
    ['the same lines in another order', [line(A, 1n), line(B, -1n)], [line(B, -1n), line(A, 1n)], true],
    ['ids in another case', [line(A, 1n), line(B, -1n)], [line(A.toUpperCase(), 1n), line(B, -1n)], true],
    ['another amount', [line(A, 1n), line(B, -1n)], [line(A, 2n), line(B, -2n)], false],
    ['another account', [line(A, 1n), line(B, -1n)], [line(A, 1n), line(C, -1n)], false],
    ['a line more', [line(A, 1n), line(B, -1n)], [line(A, 1n), line(B, -1n), line(C, 0n)], false],
    ['a duplicate instead of another line', [line(A, 1n), line(A, 1n), line(B, -2n)], [line(A, 1n), line(B, -2n), line(B, -2n)], false],
  ])('%s', (_what, a, b, same) => {
    expect(sameLines(a, b)).toBe(same);
    expect(sameLines(b, a)).toBe(same);
  });

  it('holds for any permutation', () => {
    const shuffled = balancedLines.chain((lines) => fc.tuple(fc.constant(lines), fc.shuffledSubarray(lines, { minLength: lines.length, maxLength: lines.length })));
    fc.assert(
      fc.property(shuffled, ([lines, other]) => {
        expect(sameLines(lines, other)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('postingOrder', () => {
  it('sorts by account id and keeps the order of lines on one account', () => {
    const lines = [line(B, 1n), line(A, 2n), line(B, 3n), line(A, 4n)];
    expect(postingOrder(lines)).toEqual([line(A, 2n), line(A, 4n), line(B, 1n), line(B, 3n)]);
    expect(lines[0]).toEqual(line(B, 1n));
  });
});

describe('checkEntryText', () => {
  const ok = { idempotencyKey: 'k', reference: 'transfer:1:funded', description: '', createdBy: 'system' };

  it('accepts the bounds', () => {
    expect(checkEntryText(ok).ok).toBe(true);
    expect(checkEntryText({ ...ok, idempotencyKey: 'k'.repeat(200), reference: '€'.repeat(200), description: '😀'.repeat(1000) }).ok).toBe(true);
  });

  it.each([
    ['an empty key', { idempotencyKey: '' }],
    ['a key of 201 characters', { idempotencyKey: 'k'.repeat(201) }],
    ['a key that is not text', { idempotencyKey: 42 as unknown as string }],
    ['an empty reference', { reference: '' }],
    ['a NUL in the reference', { reference: 'a\u0000b' }],
    ['a description of 1001 characters', { description: 'd'.repeat(1001) }],
    ['an empty author', { createdBy: '' }],
  ])('refuses %s', (_what, change) => {
    const r = checkEntryText({ ...ok, ...change });
    expect(!r.ok && r.code).toBe('LEDGER.INVALID_TEXT');
  });
});
