import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type TestApp, startApi, startWorker } from './support/app.js';
import { anOrg, bearer } from './support/identity-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { aConfirmedHandle, aSaleListing, propose, transferReaches } from './support/transfer-fixtures.js';

/**
 * A needs-based recipient that never files its justification (issue 6): the policy check asks
 * for documents, the transfer waits in `agreed` for TRANSFER_DOCUMENTS_WAIT_MS (here 1.5 s
 * instead of 30 days, so that the shared sandbox clock need not move), and then fails its
 * policy check with the code of what was missing, moving no money and freeing the block.
 */
describe('a needs-based recipient without its documents (e2e, in-process worker)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let db: DataSource;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    db = t.app.get(DataSource);
    ({ worker } = await startWorker({ SANDBOX_BASE_URL: registry.baseUrl, TRANSFERS_RECONCILE_INTERVAL_MS: '300', TRANSFER_DOCUMENTS_WAIT_MS: '1500' }));
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await registry?.close();
  });

  it('waits for the documents, then ends policy_failed with the missing documents named', async () => {
    const sale = await aSaleListing(t, db, { rir: 'RIPE' });
    const buyer = await anOrg(t);
    await aConfirmedHandle(t, db, buyer, 'LACNIC');
    const res = await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 2000, currency: 'USD' }, destinationRir: 'LACNIC' });
    expect(res.status).toBe(201);
    expect((await t.http.post(`/v1/transfers/${res.body.id}/accept`).set(bearer(sale.seller.apiKey)).send({})).status).toBe(200);

    const failed = await transferReaches(t, buyer.apiKey, res.body.id, 'policy_failed', 20_000);
    // First the wait, then the failure once it was past due.
    expect(failed.events.map((e) => [e.stage, e.wait])).toEqual([
      ['proposed', null],
      ['agreed', null],
      ['agreed', 'documents_required'],
      ['policy_failed', null],
    ]);
    expect(JSON.stringify(failed.policy)).toContain('POLICY.NEEDS_JUSTIFICATION_REQUIRED');
    expect(failed.escrow).toBeNull();
    const [{ live }] = await db.query(`SELECT count(*)::int AS live FROM space_commitments WHERE block_id = $1 AND released_at IS NULL`, [sale.block.id]);
    expect(live).toBe(0);
    const [listing] = await db.query('SELECT status FROM listings WHERE id = $1', [sale.listing.id]);
    expect(listing.status).toBe('active');
  }, 40_000);
});
