import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type TestApp, startApi, startWorker } from './support/app.js';
import { balanceOf } from './support/escrow-fixtures.js';
import { type TestOrg, anOrg, bearer } from './support/identity-fixtures.js';
import { expectProblem } from './support/problem.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { Sandbox, rdapGet } from './support/registry-fixtures.js';
import { waitFor } from './support/queues.js';
import { aConfirmedHandle, aSaleListing, getTransfer, propose, transferReaches } from './support/transfer-fixtures.js';

/**
 * The transfer pipeline end to end (issue 6), with the sandbox registry and the manual
 * payment provider: the buyer proposes, the seller accepts, the worker checks the RIR policy
 * against RDAP, opens the escrow, finance confirms the wire, the registry approves and moves
 * the block to the buyer's handle (RDAP shows it), the worker verifies that through RDAP,
 * releases the escrow by the basis-point split and pays out; every stage is recorded once
 * with the risk placement it set.
 */
describe('transfers (e2e, in-process worker)', () => {
  let t: TestApp;
  let db: DataSource;
  let worker: INestApplicationContext;
  let sandbox: Sandbox;
  let registry: ListeningApi;
  const admin = () => bearer(t.adminToken);

  beforeAll(async () => {
    // The registry's RDAP is served over HTTP by a listening API, as an RIR's would be.
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    db = t.app.get(DataSource);
    ({ worker } = await startWorker({ SANDBOX_BASE_URL: registry.baseUrl, TRANSFERS_RECONCILE_INTERVAL_MS: '500' }));
    sandbox = new Sandbox(t);
    await sandbox.behaviour({ rir: 'RIPE', transfer: 'approve', delayMs: 0 });
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await registry?.close();
  });

  const raw = () => ({ query: (sql: string, params?: unknown[]) => db.query(sql, params).then((rows: unknown[]) => ({ rows })) }) as never;
  const confirmAllPayouts = async (transferId: string) => {
    const rows: { id: string }[] = await db.query(`SELECT id FROM payout_instructions WHERE idempotency_key LIKE $1 AND status = 'pending'`, [`transfer:${transferId}:%`]);
    for (const r of rows) {
      const res = await t.http.post(`/v1/payouts/${r.id}/confirm`).set(admin()).send({ bankReference: `WIRE-${r.id.slice(0, 8)}` });
      expect(res.status).toBe(200);
    }
    return rows.length;
  };

  it('runs a sale through every stage in order, pays seller, broker and platform by the split, and ends with the escrow at zero', async () => {
    const sale = await aSaleListing(t, db);
    const buyer = await anOrg(t);
    const broker = await anOrg(t);
    const buyerHandle = await aConfirmedHandle(t, db, buyer, 'RIPE');

    const proposed = await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 5000, currency: 'USD' }, destinationRir: 'RIPE', brokerOrgId: broker.id, brokerFeeBps: 300 });
    expect(proposed.status).toBe(201);
    expect(proposed.body).toMatchObject({ stage: 'proposed', prefix: sale.block.prefix, sourceRir: 'RIPE', destinationRir: 'RIPE', price: { amountMinor: 1_280_000, currency: 'USD' } });
    const id: string = proposed.body.id;

    const accepted = await t.http.post(`/v1/transfers/${id}/accept`).set(bearer(sale.seller.apiKey)).send({});
    expect(accepted.status).toBe(200);
    expect(accepted.body.stage).toBe('agreed');

    const awaiting = await transferReaches(t, buyer.apiKey, id, 'awaiting_funds');
    expect(awaiting.escrow).toMatchObject({ status: 'awaiting_funds', expected: { amountMinor: 1_280_000, currency: 'USD' } });
    const funded = await t.http.post(`/v1/transfers/${id}/escrow/confirm-funding`).set(admin()).set('idempotency-key', randomUUID()).send({ amount: { amountMinor: 1_280_000, currency: 'USD' }, reference: `WIRE-${id.slice(0, 8)}` });
    expect(funded.status).toBe(200);
    expect(funded.body.stage).toBe('funded');

    await transferReaches(t, buyer.apiKey, id, 'released');
    // RDAP (over HTTP) now names the buyer's handle as registrant, with a transfer event.
    const rdap = await rdapGet(registry.baseUrl, `ip/${sale.block.prefix.split('/')[0]}`);
    expect(JSON.stringify(rdap.body)).toContain(buyerHandle);
    expect(JSON.stringify(rdap.body)).toContain('"eventAction":"transfer"');
    expect(await confirmAllPayouts(id)).toBe(2);
    const done = await transferReaches(t, buyer.apiKey, id, 'completed');

    expect(done.events.filter((e) => e.wait === null).map((e) => e.stage)).toEqual([
      'proposed', 'agreed', 'policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'registry_approved', 'registry_completed', 'verified', 'released', 'completed',
    ]);
    for (const e of done.events) expect(e.risks.length).toBeGreaterThan(0);
    expect(done.risks.filter((r) => r.status === 'open')).toEqual([]);

    // The split: broker 3 %, platform 2.5 %, the seller the rest; every payable paid out; the escrow empty.
    expect(await balanceOf(raw(), { ownerOrgId: null, purpose: 'escrow', currency: 'USD', reference: id })).toBe(0n);
    expect(await balanceOf(raw(), { ownerOrgId: sale.seller.id, purpose: 'payable', currency: 'USD' })).toBe(0n);
    expect(await balanceOf(raw(), { ownerOrgId: broker.id, purpose: 'commission', currency: 'USD' })).toBe(0n);
    const paid: { org_id: string; amount_minor: bigint }[] = await db.query(`SELECT org_id, amount_minor FROM payout_instructions WHERE idempotency_key LIKE $1 ORDER BY amount_minor`, [`transfer:${id}:%`]);
    expect(paid).toEqual([
      { org_id: broker.id, amount_minor: 38_400n },
      { org_id: sale.seller.id, amount_minor: 1_209_600n },
    ]);
    const [release] = await db.query(`SELECT details FROM escrow_operations WHERE deal_id = $1 AND kind = 'release'`, [id]);
    expect(release.details).toEqual({ seller: '1209600', broker: '38400', platform: '32000' });
    const [{ sum }] = await db.query('SELECT coalesce(sum(amount_minor), 0)::bigint AS sum FROM journal_lines');
    expect(sum).toBe(0n);

    // The block left the seller; the listing is closed as sold; the space is no longer committed.
    const [block] = await db.query('SELECT removed_at FROM blocks WHERE id = $1', [sale.block.id]);
    expect(block.removed_at).not.toBeNull();
    const [listing] = await db.query('SELECT status, end_reason FROM listings WHERE id = $1', [sale.listing.id]);
    expect(listing).toEqual({ status: 'closed', end_reason: 'sold' });
    const [{ live }] = await db.query(`SELECT count(*)::int AS live FROM space_commitments WHERE reference = $1 AND released_at IS NULL`, [id]);
    expect(live).toBe(0);
    // No stage recorded twice.
    const [{ dupes }] = await db.query(`SELECT count(*)::int AS dupes FROM (SELECT stage FROM transfer_events WHERE transfer_id = $1 AND wait IS NULL GROUP BY stage HAVING count(*) > 1) d`, [id]);
    expect(dupes).toBe(0);
  }, 90_000);

  /** A sale proposed and accepted: the worker takes it from agreed. */
  const anAgreedSale = async (o: { rir?: 'RIPE' | 'ARIN' | 'APNIC' | 'LACNIC' | 'AFRINIC'; destinationRir?: string; receivedAt?: string } = {}) => {
    const sale = await aSaleListing(t, db, { rir: o.rir ?? 'RIPE', receivedAt: o.receivedAt });
    const buyer = await anOrg(t);
    const destinationRir = o.destinationRir ?? o.rir ?? 'RIPE';
    await aConfirmedHandle(t, db, buyer, destinationRir as never);
    const res = await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 2000, currency: 'USD' }, destinationRir });
    expect(res.status).toBe(201);
    const accepted = await t.http.post(`/v1/transfers/${res.body.id}/accept`).set(bearer(sale.seller.apiKey)).send({});
    expect(accepted.status).toBe(200);
    return { sale, buyer, id: res.body.id as string };
  };
  const fund = async (id: string, amountMinor: number) => {
    const res = await t.http.post(`/v1/transfers/${id}/escrow/confirm-funding`).set(admin()).set('idempotency-key', randomUUID()).send({ amount: { amountMinor, currency: 'USD' }, reference: `WIRE-${randomUUID().slice(0, 8)}` });
    expect(res.status).toBe(200);
    return res.body;
  };

  describe('policy', () => {
    it('fails a sale inside the RIR holding period (RDAP registration date, sandbox clock) with its code, moving no money and freeing the block', async () => {
      const now = await sandbox.now();
      const { id, sale } = await anAgreedSale({ receivedAt: new Date(now.getTime() - 180 * 86_400_000).toISOString() });
      const failed = await transferReaches(t, t.adminToken, id, 'policy_failed');
      expect(JSON.stringify(failed.policy)).toContain('POLICY.HOLDING_PERIOD');
      expect(failed.escrow).toBeNull();
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM journal_entries WHERE reference = $1`, [`escrow:${id}`]);
      expect(n).toBe(0);
      const [{ live }] = await db.query(`SELECT count(*)::int AS live FROM space_commitments WHERE block_id = $1 AND released_at IS NULL`, [sale.block.id]);
      expect(live).toBe(0);
    });

    it('fails an inter-RIR sale out of AFRINIC', async () => {
      const { id } = await anAgreedSale({ rir: 'AFRINIC', destinationRir: 'RIPE' });
      const failed = await transferReaches(t, t.adminToken, id, 'policy_failed');
      expect(JSON.stringify(failed.policy)).toContain('POLICY.INTER_RIR_NOT_ALLOWED');
    });

    it('waits for a needs-based recipient\'s documents, and goes on once a pre-approval is attached', async () => {
      const { id, buyer } = await anAgreedSale({ rir: 'RIPE', destinationRir: 'APNIC' });
      const waiting = await waitFor('the documents wait', async () => {
        const tr = await getTransfer(t, buyer.apiKey, id);
        return tr.events.some((e) => e.wait === 'documents_required') ? tr : null;
      }, { timeoutMs: 20_000, intervalMs: 50 });
      expect(waiting.stage).toBe('agreed');
      expect(waiting.waitingFor).toEqual(expect.stringContaining('pre_approval'));
      const attached = await t.http.post(`/v1/transfers/${id}/documents`).set(bearer(buyer.apiKey)).send({ kind: 'pre_approval', rir: 'APNIC', approvedSize: 22, issuedAt: (await sandbox.now()).toISOString() });
      expect(attached.status).toBe(201);
      const on = await transferReaches(t, buyer.apiKey, id, 'awaiting_funds');
      expect(on.events.filter((e) => e.wait === null).map((e) => e.stage)).toEqual(['proposed', 'agreed', 'policy_checked', 'awaiting_funds']);
      expect((await t.http.post(`/v1/transfers/${id}/cancel`).set(bearer(buyer.apiKey)).send({})).body.stage).toBe('cancelled');
    }, 60_000);
  });

  describe('the registry', () => {
    it('refunds the buyer in full and frees the block when the RIR rejects the transfer after funding', async () => {
      await sandbox.behaviour({ rir: 'ARIN', transfer: 'reject', delayMs: 0 });
      try {
        const { id, buyer, sale } = await anAgreedSale({ rir: 'ARIN' });
        await transferReaches(t, buyer.apiKey, id, 'awaiting_funds');
        await fund(id, 512_000);
        await transferReaches(t, buyer.apiKey, id, 'refunding');
        await waitFor('the refund payout', async () => (await db.query(`SELECT 1 FROM payout_instructions WHERE idempotency_key = $1`, [`transfer:${id}:refund`])).length > 0, { timeoutMs: 10_000 });
        expect(await confirmAllPayouts(id)).toBe(1);
        const refunded = await transferReaches(t, buyer.apiKey, id, 'refunded');
        expect(refunded.events.filter((e) => e.wait === null).map((e) => e.stage)).toEqual([
          'proposed', 'agreed', 'policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'registry_rejected', 'refunding', 'refunded',
        ]);
        const [payout] = await db.query(`SELECT org_id, amount_minor, status FROM payout_instructions WHERE idempotency_key = $1`, [`transfer:${id}:refund`]);
        expect(payout).toEqual({ org_id: buyer.id, amount_minor: 512_000n, status: 'confirmed' });
        expect(await balanceOf(raw(), { ownerOrgId: buyer.id, purpose: 'payable', currency: 'USD' })).toBe(0n);
        expect(await balanceOf(raw(), { ownerOrgId: null, purpose: 'escrow', currency: 'USD', reference: id })).toBe(0n);
        const [{ live }] = await db.query(`SELECT count(*)::int AS live FROM space_commitments WHERE block_id = $1 AND released_at IS NULL`, [sale.block.id]);
        expect(live).toBe(0);
        const [block] = await db.query('SELECT removed_at FROM blocks WHERE id = $1', [sale.block.id]);
        expect(block.removed_at).toBeNull();
      } finally {
        await sandbox.behaviour({ rir: 'ARIN', transfer: 'approve', delayMs: 0 });
      }
    }, 60_000);

    it('waits while the RIR asks for information, and goes on once a party answers', async () => {
      await sandbox.behaviour({ rir: 'RIPE', transfer: 'request_info', delayMs: 0 });
      try {
        const { id, buyer, sale } = await anAgreedSale({ rir: 'RIPE' });
        await transferReaches(t, buyer.apiKey, id, 'awaiting_funds');
        await fund(id, 512_000);
        const asked = await waitFor('the RIR to ask', async () => {
          const tr = await getTransfer(t, buyer.apiKey, id);
          return tr.events.some((e) => e.wait === 'registry_info_requested') ? tr : null;
        }, { timeoutMs: 20_000, intervalMs: 50 });
        expect(asked.stage).toBe('registry_submitted');
        await sandbox.behaviour({ rir: 'RIPE', transfer: 'approve', delayMs: 0 });
        const answered = await t.http.post(`/v1/transfers/${id}/registry-information`).set(bearer(sale.seller.apiKey)).send({ note: 'Board resolution attached' });
        expect(answered.status).toBe(200);
        await transferReaches(t, buyer.apiKey, id, 'released');
        expectProblem(await t.http.post(`/v1/transfers/${id}/registry-information`).set(bearer(sale.seller.apiKey)).send({ note: 'again' }), 409, 'TRANSFER.REGISTRY_NOT_ASKING');
      } finally {
        await sandbox.behaviour({ rir: 'RIPE', transfer: 'approve', delayMs: 0 });
      }
    }, 60_000);
  });

  describe('disputes and exposure', () => {
    it('freezes a funded deal on dispute (the worker leaves it alone), shows the exposure, and refunds it when the platform resolves for the buyer', async () => {
      await sandbox.behaviour({ rir: 'ARIN', transfer: 'approve', delayMs: 3_600_000 });
      try {
        const { id, buyer, sale } = await anAgreedSale({ rir: 'ARIN' });
        await transferReaches(t, buyer.apiKey, id, 'awaiting_funds');
        await fund(id, 512_000);
        await transferReaches(t, buyer.apiKey, id, 'registry_submitted');
        const disputed = await t.http.post(`/v1/transfers/${id}/dispute`).set(bearer(buyer.apiKey)).send({ reason: 'the seller is not the registrant' });
        expect(disputed.status).toBe(200);
        expect(disputed.body).toMatchObject({ stage: 'disputed', frozenStage: 'registry_submitted', escrow: { frozen: { reason: expect.stringContaining('transfer dispute') } } });

        // Both parties' money is at stake while it is frozen: the buyer sees its deal's exposure, the platform sees it among all.
        const mine = await t.http.get('/v1/risk/exposure').set(bearer(buyer.apiKey));
        expect(mine.status).toBe(200);
        const line = (rows: { party: string; risk: string; exposure: { amountMinor: number } }[], party: string) => rows.filter((r) => r.party === party).reduce((a, r) => a + r.exposure.amountMinor, 0);
        expect(line(mine.body.data, 'buyer')).toBeGreaterThanOrEqual(512_000);
        const all = await t.http.get('/v1/risk/exposure').set(admin());
        expect(line(all.body.data, 'buyer')).toBeGreaterThanOrEqual(line(mine.body.data, 'buyer'));
        const stranger = await anOrg(t);
        expect((await t.http.get('/v1/risk/exposure').set(bearer(stranger.apiKey))).body.data).toEqual([]);

        expectProblem(await t.http.post(`/v1/transfers/${id}/resolve`).set(bearer(buyer.apiKey)).send({ outcome: 'refund' }), 403);
        const resolved = await t.http.post(`/v1/transfers/${id}/resolve`).set(admin()).send({ outcome: 'refund', note: 'title not proven' });
        expect(resolved.status).toBe(200);
        expect(resolved.body.stage).toBe('refunding');
        await waitFor('the refund payout', async () => (await db.query(`SELECT 1 FROM payout_instructions WHERE idempotency_key = $1`, [`transfer:${id}:refund`])).length > 0, { timeoutMs: 10_000 });
        await confirmAllPayouts(id);
        const done = await transferReaches(t, buyer.apiKey, id, 'refunded');
        expect(done.events.filter((e) => e.wait === null).map((e) => e.stage)).toEqual([
          'proposed', 'agreed', 'policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'disputed', 'refunding', 'refunded',
        ]);
        const [{ live }] = await db.query(`SELECT count(*)::int AS live FROM space_commitments WHERE block_id = $1 AND released_at IS NULL`, [sale.block.id]);
        expect(live).toBe(0);
      } finally {
        await sandbox.behaviour({ rir: 'ARIN', transfer: 'approve', delayMs: 0 });
      }
    }, 60_000);
  });

  it('refuses what a marketplace must refuse, with problem codes', async () => {
    const sale = await aSaleListing(t, db);
    const buyer: TestOrg = await anOrg(t);
    expectProblem(await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 5000, currency: 'USD' }, destinationRir: 'RIPE' }), 422, 'TRANSFER.NO_BUYER_HANDLE');
    await aConfirmedHandle(t, db, buyer, 'RIPE');
    expectProblem(await propose(t, sale.seller.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 5000, currency: 'USD' }, destinationRir: 'RIPE' }), 422, 'TRANSFER.OWN_LISTING');
    expectProblem(await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 5000, currency: 'EUR' }, destinationRir: 'RIPE' }), 422, 'TRANSFER.CURRENCY_MISMATCH');
    expectProblem(await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: -1, currency: 'USD' }, destinationRir: 'RIPE' }), 422);
    expectProblem(await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 5000, currency: 'USD' }, destinationRir: 'MARS' }), 422);
    expectProblem(await propose(t, buyer.apiKey, { listingId: randomUUID(), pricePerIp: { amountMinor: 5000, currency: 'USD' }, destinationRir: 'RIPE' }), 404, 'LISTING.NOT_FOUND');

    const ok = await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 5000, currency: 'USD' }, destinationRir: 'RIPE' });
    expect(ok.status).toBe(201);
    expectProblem(await t.http.post(`/v1/transfers/${ok.body.id}/accept`).set(bearer(buyer.apiKey)).send({}), 403, 'TRANSFER.NOT_THE_SELLER');
    const stranger = await anOrg(t);
    expectProblem(await t.http.get(`/v1/transfers/${ok.body.id}`).set(bearer(stranger.apiKey)), 404, 'TRANSFER.NOT_FOUND');
    // A block with a live lease cannot be sold: accepting is refused, and nothing is committed.
    const lease = randomUUID();
    await db.query(
      `INSERT INTO space_commitments (block_id, prefix, period, kind, reference, created_at) VALUES ($1, $2::cidr, tstzrange(now(), NULL, '[)'), 'lease', $3, now())`,
      [sale.block.id, sale.block.prefix, lease],
    );
    expectProblem(await t.http.post(`/v1/transfers/${ok.body.id}/accept`).set(bearer(sale.seller.apiKey)).send({}), 409, 'TRANSFER.BLOCK_LEASED');
    expect((await getTransfer(t, buyer.apiKey, ok.body.id)).stage).toBe('proposed');
    await db.query(`UPDATE space_commitments SET released_at = now(), release_reason = 'test', period = tstzrange(lower(period), now() + interval '1 millisecond', '[)') WHERE reference = $1`, [lease]);
    const cancelled = await t.http.post(`/v1/transfers/${ok.body.id}/cancel`).set(bearer(buyer.apiKey)).send({ reason: 'changed our mind' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.stage).toBe('cancelled');
    expectProblem(await t.http.post(`/v1/transfers/${ok.body.id}/accept`).set(bearer(sale.seller.apiKey)).send({}), 409, 'TRANSFER.ILLEGAL_TRANSITION');
  });
});
