import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { QueryRunner } from 'typeorm';
import { CURRENCIES } from '@app/money';
import { Ledger1764400006000 } from '../../../platform/src/database/migrations/1764400006000-ledger.js';
import { ACCOUNT_PURPOSES, type AccountSpec, PURPOSES, checkAccountSpec, normalSign } from './accounts.js';

const ORG = '0B6F7A3E-1C2D-4E5F-8A9B-0C1D2E3F4A5B';

describe('checkAccountSpec', () => {
  it.each([
    ['a platform cash account', { owner: 'platform', purpose: 'cash', currency: 'USD' }, { ownerOrgId: null, reference: null, mayGoNegative: true, normalSide: 'debit' }],
    [
      "an organisation's payable, owner id in lower case",
      { owner: { orgId: ORG }, purpose: 'payable', currency: 'EUR' },
      { ownerOrgId: ORG.toLowerCase(), mayGoNegative: true, normalSide: 'credit' },
    ],
    ['an escrow account for a deal', { owner: 'platform', purpose: 'escrow', currency: 'USD', reference: 'transfer:1' }, { reference: 'transfer:1', mayGoNegative: false, normalSide: 'credit' }],
    ['an escrow account that says it may not go negative', { owner: 'platform', purpose: 'escrow', currency: 'JPY', reference: 'd', mayGoNegative: false }, { mayGoNegative: false }],
    ['a cash account that may not go negative', { owner: 'platform', purpose: 'cash', currency: 'KWD', mayGoNegative: false }, { mayGoNegative: false, normalSide: 'debit' }],
    ['a null reference', { owner: 'platform', purpose: 'fees', currency: 'USD', reference: null }, { reference: null }],
  ] as [string, AccountSpec, object][])('accepts %s', (_what, spec, expected) => {
    const r = checkAccountSpec(spec);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value).toMatchObject({ purpose: spec.purpose, currency: spec.currency, ...expected });
  });

  it.each([
    ['an owner that is neither the platform nor an organisation', { owner: 'someone' }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['an organisation id that is not a uuid', { owner: { orgId: 'acme' } }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['a null owner', { owner: null }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['an unknown purpose', { purpose: 'savings' }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['an inherited key as purpose', { purpose: 'constructor' }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['a lower-case currency', { currency: 'usd' }, 'LEDGER.UNKNOWN_CURRENCY'],
    ['no currency code', { currency: 'XXX' }, 'LEDGER.UNKNOWN_CURRENCY'],
    ['an empty reference', { reference: '' }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['a reference of 201 characters', { reference: 'r'.repeat(201) }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['a reference that is not text', { reference: 7 }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['mayGoNegative that is not a boolean', { mayGoNegative: 'no' }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['an escrow account without a reference', { purpose: 'escrow' }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
    ['an escrow account that may go negative', { purpose: 'escrow', reference: 'd', mayGoNegative: true }, 'LEDGER.INVALID_ACCOUNT_SPEC'],
  ])('refuses %s', (_what, change, code) => {
    const r = checkAccountSpec({ owner: 'platform', purpose: 'cash', currency: 'USD', ...change } as unknown as AccountSpec);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe(code);
  });

  it('takes every purpose and currency, with the purpose rule as default', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ACCOUNT_PURPOSES), fc.constantFrom(...CURRENCIES), (purpose, currency) => {
        const r = checkAccountSpec({ owner: 'platform', purpose, currency, reference: 'r' });
        expect(r.ok && r.value).toEqual({
          ownerOrgId: null,
          purpose,
          currency,
          reference: 'r',
          mayGoNegative: PURPOSES[purpose].mayGoNegative,
          normalSide: PURPOSES[purpose].normalSide,
        });
      }),
    );
  });
});

describe('purposes', () => {
  it('debit-normal for what the platform has or is owed, credit-normal for what it owes or earned; only escrow is never negative', () => {
    const debit = ACCOUNT_PURPOSES.filter((p) => PURPOSES[p].normalSide === 'debit');
    expect(debit).toEqual(['cash', 'clearing', 'receivable']);
    expect(ACCOUNT_PURPOSES.filter((p) => !PURPOSES[p].mayGoNegative)).toEqual(['escrow']);
    expect(normalSign('debit')).toBe(1n);
    expect(normalSign('credit')).toBe(-1n);
  });

  it('match the CHECK constraints of the ledger migration', async () => {
    let sql = '';
    await new Ledger1764400006000().up({ query: async (q: string) => void (sql += q) } as unknown as QueryRunner);
    const list = (re: RegExp) => [...(re.exec(sql)?.[1] ?? '').matchAll(/'([a-z]+)'/g)].map((m) => m[1]);
    expect(list(/purpose IN \(([^)]*)\)\),/)).toEqual([...ACCOUNT_PURPOSES]);
    expect(list(/WHEN purpose IN \(([^)]*)\) THEN 'debit'/)).toEqual(ACCOUNT_PURPOSES.filter((p) => PURPOSES[p].normalSide === 'debit'));
    expect(sql).toContain("CHECK (purpose <> 'escrow' OR (reference IS NOT NULL AND NOT may_go_negative))");
  });
});
