import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EscrowService } from '@app/escrow';
import { type TestApp, startApi } from './support/app.js';
import { type TestKey, aKey, anOrg, bearer, platformOrgId } from './support/identity-fixtures.js';
import { expectProblem } from './support/problem.js';

/**
 * POST /v1/reconciliation/bank-statements (API.md "Money"): platform finance uploads the CSV
 * the bank exported; fundings matched by reference are posted to their escrow, and a file
 * with a malformed line is refused whole, with line numbers, posting nothing.
 */
describe('bank statement upload (e2e)', () => {
  let t: TestApp;
  let finance: TestKey;
  let escrows: EscrowService;

  beforeAll(async () => {
    t = await startApi({ LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' });
    finance = await aKey(t, await platformOrgId(t), 'finance');
    escrows = t.app.get(EscrowService);
  });
  afterAll(async () => {
    await t?.close();
  });

  const upload = (csv: string, token = finance.apiKey, type = 'text/csv') =>
    t.http.post('/v1/reconciliation/bank-statements?bankAccount=test').set(bearer(token)).set('content-type', type).send(csv);

  const anEscrow = async (amountMinor: bigint) => {
    const [buyer, seller] = [await anOrg(t), await anOrg(t)];
    const dealId = randomUUID();
    await escrows.open({ dealId, buyerOrgId: buyer.id, sellerOrgId: seller.id, price: { amountMinor, currency: 'USD' }, platformFeeBps: 250 });
    return { dealId, reference: (await escrows.fundingInstructions(dealId)).reference };
  };

  it('matches a wire to its escrow by reference, reports partial and unknown lines, and posts each line once', async () => {
    const full = await anEscrow(125_000n);
    const part = await anEscrow(50_000n);
    const ref = randomUUID().slice(0, 8);
    const csv = [
      'date,amount,currency,reference,counterparty,bank_reference',
      `2026-11-27,1250.00,USD,"${full.reference.toLowerCase()} thank you",Acme,${ref}-1`,
      `2026-11-27,100.00,USD,${part.reference},Beta,${ref}-2`,
      `2026-11-27,9.99,USD,INVOICE 7,Someone,${ref}-3`,
    ].join('\n');
    const res = await upload(csv);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      bankAccount: 'test',
      lineCount: 3,
      matched: [{ line: 2, dealId: full.dealId, amount: { amountMinor: 125_000, currency: 'USD' } }],
      partial: [{ line: 3, dealId: part.dealId }],
      unknown: [{ line: 4 }],
    });
    expect((await escrows.get(full.dealId)).status).toBe('funded');
    // The same file again: every line a duplicate, nothing posted twice.
    const again = await upload(csv);
    expect(again.status).toBe(201);
    expect(again.body.duplicates).toHaveLength(3);
    expect(again.body.matched).toEqual([]);
    expect((await escrows.get(part.dealId)).funded).toEqual({ amountMinor: 10_000n, currency: 'USD' });
  });

  it('refuses a malformed file whole, with line numbers, and posts nothing', async () => {
    const e = await anEscrow(10_000n);
    const csv = ['date,amount,currency,reference', `2026-11-27,100.00,USD,${e.reference}`, '2026-13-01,1,USD,x', '2026-11-27,1,000.00,USD,y'].join('\n');
    const res = await upload(csv);
    expectProblem(res, 422, 'STATEMENT.MALFORMED');
    expect(JSON.stringify(res.body)).toContain('"line":3');
    expect(JSON.stringify(res.body)).toContain('"line":4');
    expect((await escrows.get(e.dealId)).status).toBe('awaiting_funds');
  });

  it('is for platform finance only, and takes text/csv only', async () => {
    const member = await anOrg(t);
    const memberFinance = await aKey(t, member.id, 'finance');
    expectProblem(await upload('date,amount,currency,reference\n', memberFinance.apiKey), 403);
    expectProblem(await upload('date,amount,currency,reference\n', finance.apiKey, 'text/plain'), 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
    // Elsewhere a CSV body is still refused.
    expectProblem(await t.http.post('/v1/orgs').set(bearer(t.adminToken)).set('content-type', 'text/csv').send('name\nx'), 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
  });
});
