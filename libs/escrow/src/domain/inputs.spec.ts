import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { type EscrowTerms, checkFunding, checkPayout, checkTerms } from './inputs.js';

const terms = (o: Partial<EscrowTerms> = {}): EscrowTerms => ({
  dealId: randomUUID(),
  buyerOrgId: randomUUID(),
  sellerOrgId: randomUUID(),
  brokerOrgId: randomUUID(),
  price: { amountMinor: 1_000_000n, currency: 'USD' },
  brokerFeeBps: 500,
  platformFeeBps: 250,
  ...o,
});
const fields = (r: { ok: boolean; problems?: readonly { field: string }[] }) => (r.ok ? [] : r.problems!.map((p) => p.field));

describe('checkTerms', () => {
  it('accepts sound terms, lower-casing ids, and a broker-less deal with no broker fee', () => {
    const t = terms({ dealId: randomUUID().toUpperCase() });
    const r = checkTerms(t);
    expect(r).toEqual({ ok: true, value: { ...t, dealId: t.dealId.toLowerCase() } });
    expect(checkTerms(terms({ brokerOrgId: null, brokerFeeBps: undefined })).ok).toBe(true);
  });

  it.each([
    ['a deal id that is not a uuid', { dealId: 'deal-1' }, ['dealId']],
    ['a zero price', { price: { amountMinor: 0n, currency: 'USD' } }, ['price.amountMinor']],
    ['a number instead of a bigint', { price: { amountMinor: 5 as unknown as bigint, currency: 'USD' } }, ['price.amountMinor']],
    ['a price beyond what the platform handles', { price: { amountMinor: 10n ** 15n + 1n, currency: 'USD' } }, ['price.amountMinor']],
    ['an unknown currency', { price: { amountMinor: 5n, currency: 'usd' } }, ['price.currency']],
    ['a fractional fee', { platformFeeBps: 2.5 }, ['platformFeeBps']],
    ['a negative fee', { brokerFeeBps: -1 }, ['brokerFeeBps']],
    ['fees that leave the seller nothing', { brokerFeeBps: 5000, platformFeeBps: 5000 }, ['platformFeeBps']],
    ['a broker fee without a broker', { brokerOrgId: null }, ['brokerFeeBps']],
    ['a buyer selling to itself', { sellerOrgId: 'SAME' }, ['sellerOrgId']],
  ])('refuses %s', (_what, o, expected) => {
    const t = terms(o as Partial<EscrowTerms>);
    const r = checkTerms((o as Partial<EscrowTerms>).sellerOrgId === 'SAME' ? { ...t, sellerOrgId: t.buyerOrgId.toUpperCase() } : t);
    expect(fields(r)).toEqual(expected);
  });

  it('lists every problem at once', () => {
    expect(fields(checkTerms({ ...terms(), dealId: 'x', buyerOrgId: 'y', platformFeeBps: -5 }))).toEqual(['dealId', 'buyerOrgId', 'platformFeeBps']);
  });
});

describe('checkFunding', () => {
  const ok = { dealId: randomUUID(), amount: { amountMinor: 10n, currency: 'EUR' }, source: 'bank' as const, externalId: 'main:TX-1' };
  it('accepts a funding', () => expect(checkFunding(ok).ok).toBe(true));
  it.each([
    ['an unknown source', { source: 'cash' }, ['source']],
    ['an empty external id', { externalId: '' }, ['externalId']],
    ['an external id with a control character', { externalId: 'a\u0000b' }, ['externalId']],
    ['an external id with surrounding spaces', { externalId: ' x ' }, ['externalId']],
    ['a too long external id', { externalId: 'x'.repeat(129) }, ['externalId']],
    ['a negative amount', { amount: { amountMinor: -1n, currency: 'EUR' } }, ['amount.amountMinor']],
  ])('refuses %s', (_what, o, expected) => {
    expect(fields(checkFunding({ ...ok, ...(o as object) }))).toEqual(expected);
  });
});

describe('checkPayout', () => {
  const ok = { orgId: randomUUID(), amount: { amountMinor: 10n, currency: 'EUR' }, key: 'payout-1' };
  it('defaults to the payable account', () => {
    const r = checkPayout(ok);
    expect(r.ok && r.value.from).toBe('payable');
  });
  it.each([
    ['another account', { from: 'fees' }, ['from']],
    ['a bad org id', { orgId: 'acme' }, ['orgId']],
    ['an empty key', { key: '' }, ['key']],
  ])('refuses %s', (_what, o, expected) => {
    expect(fields(checkPayout({ ...ok, ...(o as object) }))).toEqual(expected);
  });
});
