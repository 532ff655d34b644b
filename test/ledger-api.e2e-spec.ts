import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LedgerAccount, LedgerService } from '@app/ledger';
import type { Response } from 'supertest';
import { type TestApp, startApi } from './support/app.js';
import { type TestKey, type TestOrg, aKey, anOrg, bearer, platformOrgId } from './support/identity-fixtures.js';
import { expectProblem } from './support/problem.js';

/**
 * The ledger read over HTTP (API.md "Money"): an organisation's finance sees its own accounts
 * with their balances and entries; platform finance sees every account and the trial balance.
 * Entries are posted through the ledger service (the routes that post come with escrow,
 * billing and the payment providers).
 */
describe('ledger API (e2e)', () => {
  let t: TestApp;
  let ledger: LedgerService;
  let a: TestOrg;
  let b: TestOrg;
  let aFinance: TestKey;
  let bFinance: TestKey;
  let platformFinance: TestKey;
  let aPayable: LedgerAccount;
  let clearing: LedgerAccount;

  beforeAll(async () => {
    t = await startApi();
    ledger = t.app.get(LedgerService);
    [a, b] = [await anOrg(t), await anOrg(t)];
    [aFinance, bFinance, platformFinance] = [await aKey(t, a.id, 'finance'), await aKey(t, b.id, 'finance'), await aKey(t, await platformOrgId(t), 'finance')];
    aPayable = await ledger.account({ owner: { orgId: a.id }, purpose: 'payable', currency: 'EUR' });
    clearing = await ledger.account({ owner: 'platform', purpose: 'clearing', currency: 'EUR', reference: `test-${randomUUID()}`, mayGoNegative: true });
    await ledger.post({
      idempotencyKey: `ledger-api-${randomUUID()}`,
      reference: 'test:rent',
      lines: [
        { accountId: clearing.id, amountMinor: 12_345n },
        { accountId: aPayable.id, amountMinor: -12_345n },
      ],
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("shows an organisation's finance its own accounts with balances, and nobody else's", async () => {
    const mine = await t.http.get('/v1/ledger/accounts?limit=500').set(bearer(aFinance.apiKey));
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({
      data: [
        expect.objectContaining({
          id: aPayable.id,
          ownerOrgId: a.id,
          purpose: 'payable',
          currency: 'EUR',
          normalSide: 'credit',
          balance: { amountMinor: 12_345, currency: 'EUR' },
        }),
      ],
      nextCursor: null,
    });
    const theirs = await t.http.get('/v1/ledger/accounts').set(bearer(bFinance.apiKey));
    expect(theirs.body.data).toEqual([]);
    expectProblem(await t.http.get(`/v1/ledger/accounts/${aPayable.id}`).set(bearer(bFinance.apiKey)), 404, 'LEDGER.UNKNOWN_ACCOUNT');
    expectProblem(await t.http.get(`/v1/ledger/accounts/${aPayable.id}/entries`).set(bearer(bFinance.apiKey)), 404, 'LEDGER.UNKNOWN_ACCOUNT');
    const viewer = await aKey(t, a.id, 'viewer');
    expectProblem(await t.http.get('/v1/ledger/accounts').set(bearer(viewer.apiKey)), 403);
  });

  it('lists an account’s entries with all their lines, debits positive', async () => {
    const res = await t.http.get(`/v1/ledger/accounts/${aPayable.id}/entries`).set(bearer(aFinance.apiKey));
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].lines).toEqual(
      expect.arrayContaining([
        { accountId: clearing.id, amount: { amountMinor: 12_345, currency: 'EUR' } },
        { accountId: aPayable.id, amount: { amountMinor: -12_345, currency: 'EUR' } },
      ]),
    );
    expect((await t.http.get(`/v1/ledger/accounts/${aPayable.id}`).set(bearer(aFinance.apiKey))).body.balance).toEqual({ amountMinor: 12_345, currency: 'EUR' });
  });

  it('shows platform finance every account, page by page, and the trial balance, equal in every currency', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Response = await t.http
        .get('/v1/ledger/accounts')
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set(bearer(platformFinance.apiKey));
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((x: { id: string }) => x.id));
      cursor = res.body.nextCursor;
    } while (cursor && seen.length < 100_000);
    expect(seen).toEqual(expect.arrayContaining([aPayable.id, clearing.id]));
    expect(new Set(seen).size).toBe(seen.length);

    const tb = await t.http.get('/v1/ledger/trial-balance').set(bearer(platformFinance.apiKey));
    expect(tb.status).toBe(200);
    const eur = tb.body.currencies.find((c: { currency: string }) => c.currency === 'EUR');
    expect(eur.debitsMinor).toBeGreaterThanOrEqual(12_345);
    for (const c of tb.body.currencies) expect(c.debitsMinor).toBe(c.creditsMinor);
    expect((await t.http.get('/v1/ledger/trial-balance').set(bearer(t.adminToken))).status).toBe(200);
    expectProblem(await t.http.get('/v1/ledger/trial-balance').set(bearer(aFinance.apiKey)), 403);
  });

  it('answers a malformed cursor 422 and an unknown account 404', async () => {
    expectProblem(await t.http.get('/v1/ledger/accounts?cursor=nonsense').set(bearer(aFinance.apiKey)), 422, 'PAGINATION.INVALID_CURSOR');
    expectProblem(await t.http.get(`/v1/ledger/accounts/${randomUUID()}`).set(bearer(platformFinance.apiKey)), 404, 'LEDGER.UNKNOWN_ACCOUNT');
  });
});
