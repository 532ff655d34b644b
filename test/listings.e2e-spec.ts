import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Clock, Outbox, QUEUES, Transactions } from '@app/platform';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, startApi, startWorker } from './support/app.js';
import { type TestKey, type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { type TestBlock, aMandate, aVerifiedBlock } from './support/inventory-fixtures.js';
import { aLeaseBody, aListing, aSaleBody } from './support/listings-fixtures.js';
import { expectProblem } from './support/problem.js';
import { QueueProbe, waitFor } from './support/queues.js';

/**
 * API.md "Address space" listings, end to end (Fastify, PostgreSQL, Redis, the worker).
 * The database is shared with the other test files of the run: every test makes its own
 * organisations and blocks and finds rows by their ids.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAY_MS = 24 * 3600_000;

describe('listings (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let holder: TestOrg;
  let holderTrader: TestKey;
  let broker: TestOrg;
  let other: TestOrg;

  const now = () => t.app.get(Clock).now();
  const listingsOf = async (blockId: string): Promise<{ id: string; status: string }[]> =>
    db.query('SELECT id, status FROM listings WHERE block_id = $1 ORDER BY created_at, id', [blockId]);
  const auditOf = async (listingId: string): Promise<{ action: string; actor_type: string; org_id: string }[]> =>
    db.query(`SELECT action, actor_type, org_id FROM audit_log WHERE subject_type = 'listing' AND subject_id = $1 ORDER BY id`, [listingId]);
  const block = (o: Partial<Parameters<typeof aVerifiedBlock>[1]> = {}): Promise<TestBlock> =>
    aVerifiedBlock(db, { holderOrgId: holder.id, ...o });

  beforeAll(async () => {
    t = await startApi();
    db = t.app.get(DataSource);
    [holder, broker, other] = [await anOrg(t), await anOrg(t), await anOrg(t)];
    holderTrader = await aKey(t, holder.id, 'trader');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('create', () => {
    it('lists a /22 for lease in /24 units and answers the whole listing', async () => {
      const b = await block({ length: 22, rir: 'ARIN', country: 'US' });
      const res = await t.http.post('/v1/listings').set(bearer(holder.apiKey)).send(aLeaseBody(b.id, { pricePerIpMonth: { amountMinor: 48, currency: 'USD' } }));
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        status: 'active',
        kind: 'lease',
        blockId: b.id,
        prefix: b.prefix,
        rir: 'ARIN',
        country: 'US',
        listerOrgId: holder.id,
        holderOrgId: holder.id,
        listedAs: 'holder',
        mandate: null,
        lease: { pricePerIpMonth: { amountMinor: 48, currency: 'USD' }, unitPrefixLength: 24, minTermMonths: 12 },
        unitPrefixLength: 24,
        unitsTotal: 4,
        unitsFree: 4,
        createdAt: expect.stringMatching(ISO),
        updatedAt: res.body.createdAt,
        endedAt: null,
        endReason: null,
      });
      const [stored] = await db.query('SELECT kind, status, price_minor, currency, units_total, units_free, prefix FROM listings WHERE id = $1', [res.body.id]);
      expect(stored).toEqual({ kind: 'lease', status: 'active', price_minor: 48n, currency: 'USD', units_total: 4, units_free: 4, prefix: b.prefix });
      expect(await auditOf(res.body.id)).toEqual([{ action: 'listing.created', actor_type: 'api_key', org_id: holder.id }]);
      expect((await t.http.get(`/v1/listings/${res.body.id}`).set(bearer(holder.apiKey))).body).toEqual(res.body);
    });

    it('defaults a lease to /24 units and a one-month minimum term', async () => {
      const b = await block({ length: 23 });
      const body = await aListing(t, holderTrader.apiKey, { blockId: b.id, kind: 'lease', lease: { pricePerIpMonth: { amountMinor: 60, currency: 'EUR' } } });
      expect(body).toMatchObject({ lease: { pricePerIpMonth: { amountMinor: 60, currency: 'EUR' }, unitPrefixLength: 24, minTermMonths: 1 }, unitsTotal: 2 });
    });

    it('lists a lease in units as large as the block itself', async () => {
      const b = await block({ length: 22 });
      const body = await aListing(t, holder.apiKey, aLeaseBody(b.id, { unitPrefixLength: 22, minTermMonths: 120 }));
      expect(body).toMatchObject({ lease: { unitPrefixLength: 22, minTermMonths: 120 }, unitsTotal: 1, unitsFree: 1 });
    });

    it('lists a block for sale as one unit, the whole block', async () => {
      const b = await block({ length: 23, rir: 'APNIC', country: 'JP' });
      const body = await aListing(t, holder.apiKey, aSaleBody(b.id, { amountMinor: 390000, currency: 'JPY' }));
      expect(body).toMatchObject({ kind: 'sale', sale: { askPerIp: { amountMinor: 390000, currency: 'JPY' } }, unitPrefixLength: 23, unitsTotal: 1, unitsFree: 1, rir: 'APNIC', country: 'JP' });
      expect(body).not.toHaveProperty('lease');
    });

    it('keeps one open listing per block, kind and lister (409), and takes a new one once the first is withdrawn', async () => {
      const b = await block();
      const first = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      const dup = await t.http.post('/v1/listings').set(bearer(holderTrader.apiKey)).send(aLeaseBody(b.id, { pricePerIpMonth: { amountMinor: 99, currency: 'USD' } }));
      expectProblem(dup, 409, 'LISTING.DUPLICATE');
      await aListing(t, holder.apiKey, aSaleBody(b.id)); // the other kind is another listing
      expect((await t.http.post(`/v1/listings/${first.id}/pause`).set(bearer(holder.apiKey))).status).toBe(200);
      expectProblem(await t.http.post('/v1/listings').set(bearer(holder.apiKey)).send(aLeaseBody(b.id)), 409, 'LISTING.DUPLICATE');
      expect((await t.http.post(`/v1/listings/${first.id}/withdraw`).set(bearer(holder.apiKey))).status).toBe(200);
      const again = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      expect((await listingsOf(b.id)).map((l) => [l.id, l.status])).toEqual([
        [first.id, 'withdrawn'],
        [expect.any(String), 'active'],
        [again.id, 'active'],
      ]);
    });

    it('replays a create sent again with the same Idempotency-Key, storing one listing', async () => {
      const b = await block();
      const key = `listing-${randomUUID()}`;
      const first = await t.http.post('/v1/listings').set(bearer(holder.apiKey)).set('idempotency-key', key).send(aLeaseBody(b.id));
      const again = await t.http.post('/v1/listings').set(bearer(holder.apiKey)).set('idempotency-key', key).send(aLeaseBody(b.id));
      expect({ status: again.status, body: again.body, replayed: again.headers['idempotent-replayed'] }).toEqual({ status: 201, body: first.body, replayed: 'true' });
      expect(await listingsOf(b.id)).toEqual([{ id: first.body.id, status: 'active' }]);
      expectProblem(await t.http.post('/v1/listings').set(bearer(holder.apiKey)).set('idempotency-key', key).send(aSaleBody(b.id)), 422, 'IDEMPOTENCY.KEY_REUSED');
    });

    it('answers exactly one 201 among concurrent duplicates', async () => {
      const b = await block();
      const answers = await Promise.all(Array.from({ length: 8 }, () => t.http.post('/v1/listings').set(bearer(holder.apiKey)).send(aLeaseBody(b.id))));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      expect(await listingsOf(b.id)).toHaveLength(1);
    });
  });

  describe('money and terms validation (422, nothing stored)', () => {
    let b: TestBlock;
    beforeAll(async () => {
      b = await block({ length: 22 });
    });

    const MONEY_CASES: [string, unknown, string, string][] = [
      ['zero', { amountMinor: 0, currency: 'USD' }, '.amountMinor', 'MONEY.NOT_POSITIVE'],
      ['negative', { amountMinor: -5, currency: 'USD' }, '.amountMinor', 'MONEY.NOT_POSITIVE'],
      ['fractional', { amountMinor: 12.5, currency: 'USD' }, '.amountMinor', 'MONEY.NOT_INTEGER'],
      ['a string amount', { amountMinor: '100', currency: 'USD' }, '.amountMinor', 'MONEY.INVALID'],
      ['an absurdly large amount', { amountMinor: 1e16, currency: 'USD' }, '.amountMinor', 'MONEY.TOO_LARGE'],
      ['an amount beyond exact JSON numbers', { amountMinor: 1e300, currency: 'USD' }, '.amountMinor', 'MONEY.TOO_LARGE'],
      ['no amount', { currency: 'USD' }, '.amountMinor', 'MONEY.INVALID'],
      ['an unknown currency', { amountMinor: 50, currency: 'XYZ' }, '.currency', 'MONEY.UNKNOWN_CURRENCY'],
      ['a lower-case currency', { amountMinor: 50, currency: 'usd' }, '.currency', 'MONEY.UNKNOWN_CURRENCY'],
      ['no currency', { amountMinor: 50 }, '.currency', 'MONEY.INVALID'],
      ['a number instead of money', 50, '', 'MONEY.INVALID'],
      ['a string instead of money', '50 USD', '', 'MONEY.INVALID'],
      ['null', null, '', 'MONEY.INVALID'],
      ['an extra field', { amountMinor: 50, currency: 'USD', exponent: 2 }, '', 'MONEY.INVALID'],
    ];

    it.each(MONEY_CASES)('a lease price with %s', async (_what, price, suffix, code) => {
      const res = await t.http.post('/v1/listings').set(bearer(holder.apiKey)).send(aLeaseBody(b.id, { pricePerIpMonth: price }));
      expectProblem(res, 422);
      expect(res.body.errors).toEqual([{ field: `body.lease.pricePerIpMonth${suffix}`, code, message: expect.any(String) }]);
      expect(await listingsOf(b.id)).toEqual([]);
    });

    it.each(MONEY_CASES)('a sale ask with %s', async (_what, ask, suffix, code) => {
      const res = await t.http.post('/v1/listings').set(bearer(holder.apiKey)).send(aSaleBody(b.id, ask));
      expectProblem(res, 422);
      expect(res.body.errors).toEqual([{ field: `body.sale.askPerIp${suffix}`, code, message: expect.any(String) }]);
      expect(await listingsOf(b.id)).toEqual([]);
    });

    it.each([
      ['a unit larger than the block', aLeaseBody('B', { unitPrefixLength: 21 }), 'body.lease.unitPrefixLength', 'LISTING.UNIT_PREFIX_LENGTH_OUT_OF_RANGE'],
      ['a unit smaller than /24', aLeaseBody('B', { unitPrefixLength: 25 }), 'body.lease.unitPrefixLength', 'VALIDATION.TOO_BIG'],
      ['a unit length that is not a whole number', aLeaseBody('B', { unitPrefixLength: 23.5 }), 'body.lease.unitPrefixLength', 'VALIDATION.INVALID_TYPE'],
      ['a minimum term of 0 months', aLeaseBody('B', { minTermMonths: 0 }), 'body.lease.minTermMonths', 'VALIDATION.TOO_SMALL'],
      ['a minimum term of 121 months', aLeaseBody('B', { minTermMonths: 121 }), 'body.lease.minTermMonths', 'VALIDATION.TOO_BIG'],
      ['a minimum term as a string', aLeaseBody('B', { minTermMonths: '12' }), 'body.lease.minTermMonths', 'VALIDATION.INVALID_TYPE'],
      ['a lease without its terms', { blockId: 'B', kind: 'lease' }, 'body.lease', 'LISTING.TERMS_REQUIRED'],
      ['a sale without its ask', { blockId: 'B', kind: 'sale' }, 'body.sale', 'LISTING.TERMS_REQUIRED'],
      ['a lease with sale terms too', { ...aLeaseBody('B'), sale: { askPerIp: { amountMinor: 1, currency: 'USD' } } }, 'body.sale', 'LISTING.TERMS_MISMATCH'],
      ['a sale with lease terms too', { ...aSaleBody('B'), lease: aLeaseBody('B').lease }, 'body.lease', 'LISTING.TERMS_MISMATCH'],
      ['an unknown kind', { ...aLeaseBody('B'), kind: 'rent' }, 'body.kind', 'VALIDATION.INVALID_VALUE'],
      ['an unknown field', { ...aLeaseBody('B'), discount: 5 }, 'body.discount', 'VALIDATION.UNKNOWN_FIELD'],
      ['an unknown lease field', aLeaseBody('B', { autoRenew: true } as Record<string, unknown>), 'body.lease.autoRenew', 'VALIDATION.UNKNOWN_FIELD'],
      ['a block id that is no UUID', { ...aLeaseBody('B'), blockId: 'block-1' }, 'body.blockId', 'VALIDATION.INVALID_FORMAT'],
    ])('%s', async (_what, template, field, code) => {
      const body = JSON.parse(JSON.stringify(template).replaceAll('"B"', JSON.stringify(b.id)));
      const res = await t.http.post('/v1/listings').set(bearer(holder.apiKey)).send(body);
      expectProblem(res, 422);
      expect(res.body.errors).toContainEqual({ field, code, message: expect.any(String) });
      expect(await listingsOf(b.id)).toEqual([]);
    });

    it('refuses a body that is not an object, and no body at all', async () => {
      for (const body of [[], 'x', 42]) {
        expectProblem(await t.http.post('/v1/listings').set(bearer(holder.apiKey)).set('content-type', 'application/json').send(JSON.stringify(body)), 422);
      }
      expectProblem(await t.http.post('/v1/listings').set(bearer(holder.apiKey)), 422);
      expect(await listingsOf(b.id)).toEqual([]);
    });
  });

  describe('who may list what', () => {
    it.each(['unverified', 'verifying', 'verification_failed'])('refuses a block that is %s (422 BLOCK.NOT_VERIFIED)', async (status) => {
      const b = await block({ status });
      expectProblem(await t.http.post('/v1/listings').set(bearer(holder.apiKey)).send(aLeaseBody(b.id)), 422, 'BLOCK.NOT_VERIFIED');
      expect(await listingsOf(b.id)).toEqual([]);
    });

    it("answers 404 for another organisation's block and for a block that does not exist", async () => {
      const b = await block();
      expectProblem(await t.http.post('/v1/listings').set(bearer(other.apiKey)).send(aLeaseBody(b.id)), 404, 'BLOCK.NOT_FOUND');
      expectProblem(await t.http.post('/v1/listings').set(bearer(other.apiKey)).send(aSaleBody(b.id)), 404, 'BLOCK.NOT_FOUND');
      expectProblem(await t.http.post('/v1/listings').set(bearer(holder.apiKey)).send(aLeaseBody(randomUUID())), 404, 'BLOCK.NOT_FOUND');
      expect(await listingsOf(b.id)).toEqual([]);
    });

    it.each(['finance', 'ops', 'viewer'] as const)('refuses the %s role (403)', async (role) => {
      const b = await block();
      const key = await aKey(t, holder.id, role);
      expectProblem(await t.http.post('/v1/listings').set(bearer(key.apiKey)).send(aLeaseBody(b.id)), 403, 'AUTH.FORBIDDEN');
      expect(await listingsOf(b.id)).toEqual([]);
    });

    it('refuses a caller without a valid key (401)', async () => {
      const b = await block();
      expectProblem(await t.http.post('/v1/listings').send(aLeaseBody(b.id)), 401, 'AUTH.UNAUTHENTICATED');
      expectProblem(await t.http.post('/v1/listings').set(bearer('ipv4m_' + 'x'.repeat(43))).send(aLeaseBody(b.id)), 401, 'AUTH.UNAUTHENTICATED');
    });

    it('lets a broker with a live mandate list, recording the mandate and its expiry', async () => {
      const b = await block({ length: 22 });
      const mandate = await aMandate(db, { block: b, brokerOrgId: broker.id, expiresAt: new Date((await now()).getTime() + 90 * DAY_MS) });
      const body = await aListing(t, broker.apiKey, aLeaseBody(b.id));
      expect(body).toMatchObject({
        listerOrgId: broker.id,
        holderOrgId: holder.id,
        listedAs: 'broker',
        mandate: { id: mandate.id, expiresAt: mandate.expiresAt.toISOString() },
      });
      const [row] = await db.query('SELECT mandate_id, mandate_expires_at FROM listings WHERE id = $1', [body.id]);
      expect(row).toEqual({ mandate_id: mandate.id, mandate_expires_at: mandate.expiresAt });
      // The holder's own listing of the same block and kind is another lister's: both stand.
      await aListing(t, holder.apiKey, aLeaseBody(b.id));
      expect(await listingsOf(b.id)).toHaveLength(2);
    });

    it('refuses a broker without a mandate, with an expired one, and with a revoked one (404)', async () => {
      const bare = await block();
      const expired = await block();
      const revoked = await block();
      const t0 = (await now()).getTime();
      await aMandate(db, { block: expired, brokerOrgId: broker.id, expiresAt: new Date(t0 - 1000) });
      await aMandate(db, { block: revoked, brokerOrgId: broker.id, expiresAt: new Date(t0 + 90 * DAY_MS), revokedAt: new Date(t0), endedAt: new Date(t0) });
      for (const b of [bare, expired, revoked]) {
        expectProblem(await t.http.post('/v1/listings').set(bearer(broker.apiKey)).send(aLeaseBody(b.id)), 404, 'BLOCK.NOT_FOUND');
        expect(await listingsOf(b.id)).toEqual([]);
      }
    });
  });

  describe('status changes and tenancy', () => {
    async function act(action: string, id: string, token: string): Promise<Response> {
      return t.http.post(`/v1/listings/${id}/${action}`).set(bearer(token));
    }

    it('pauses, resumes and withdraws, refusing every transition the table lacks (409)', async () => {
      const b = await block();
      const l = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      const steps: [string, number, string][] = [
        ['resume', 409, 'active'],
        ['pause', 200, 'paused'],
        ['pause', 409, 'paused'],
        ['resume', 200, 'active'],
        ['pause', 200, 'paused'],
        ['withdraw', 200, 'withdrawn'],
        ['withdraw', 409, 'withdrawn'],
        ['resume', 409, 'withdrawn'],
        ['pause', 409, 'withdrawn'],
      ];
      for (const [action, status, after] of steps) {
        const res = await act(action, l.id, holderTrader.apiKey);
        if (status === 200) expect({ action, status: res.status, now: res.body.status }).toEqual({ action, status: 200, now: after });
        else expectProblem(res, 409, 'LISTING.INVALID_TRANSITION');
        expect((await listingsOf(b.id))[0]!.status).toBe(after);
      }
      const [ended] = await db.query('SELECT ended_at, end_reason FROM listings WHERE id = $1', [l.id]);
      expect(ended).toEqual({ ended_at: expect.any(Date), end_reason: 'withdraw by lister' });
      expect((await auditOf(l.id)).map((a) => a.action)).toEqual(['listing.created', 'listing.paused', 'listing.active', 'listing.paused', 'listing.withdrawn']);
    });

    it("answers 404 to another organisation acting on a listing, whatever its status, and changes nothing", async () => {
      const b = await block();
      const l = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      for (const action of ['pause', 'resume', 'withdraw']) expectProblem(await act(action, l.id, other.apiKey), 404, 'LISTING.NOT_FOUND');
      await act('pause', l.id, holder.apiKey);
      for (const action of ['pause', 'resume', 'withdraw']) expectProblem(await act(action, l.id, other.apiKey), 404, 'LISTING.NOT_FOUND');
      expect((await listingsOf(b.id))[0]!.status).toBe('paused');
      expect((await auditOf(l.id)).map((a) => a.action)).toEqual(['listing.created', 'listing.paused']);
    });

    it("refuses the lister's roles other than admin and trader (403)", async () => {
      const b = await block();
      const l = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      const viewer = await aKey(t, holder.id, 'viewer');
      for (const action of ['pause', 'withdraw']) expectProblem(await act(action, l.id, viewer.apiKey), 403, 'AUTH.FORBIDDEN');
      expect((await listingsOf(b.id))[0]!.status).toBe('active');
    });

    it('lets the platform admin pause any listing (moderation)', async () => {
      const b = await block();
      const l = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      const res = await act('pause', l.id, t.adminToken);
      expect({ status: res.status, listing: res.body.status }).toEqual({ status: 200, listing: 'paused' });
      expect(await auditOf(l.id)).toContainEqual({ action: 'listing.paused', actor_type: 'platform_admin', org_id: holder.id });
    });

    it('answers 404 for an unknown id, a malformed id, and without a key 401', async () => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        expectProblem(await t.http.get(`/v1/listings/${id}`).set(bearer(holder.apiKey)), 404);
        expectProblem(await act('pause', id, holder.apiKey), 404);
      }
      const b = await block();
      const l = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      expectProblem(await t.http.get(`/v1/listings/${l.id}`), 401, 'AUTH.UNAUTHENTICATED');
      expectProblem(await t.http.post(`/v1/listings/${l.id}/pause`), 401, 'AUTH.UNAUTHENTICATED');
    });

    it('shows an active listing to any organisation, and a paused or withdrawn one only to its lister', async () => {
      const b = await block();
      const l = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      const viewerOfOther = await aKey(t, other.id, 'viewer');
      const seenByOther = await t.http.get(`/v1/listings/${l.id}`).set(bearer(viewerOfOther.apiKey));
      expect({ status: seenByOther.status, body: seenByOther.body }).toEqual({ status: 200, body: l });
      for (const action of ['pause', 'withdraw']) {
        await act(action, l.id, holder.apiKey);
        expectProblem(await t.http.get(`/v1/listings/${l.id}`).set(bearer(other.apiKey)), 404, 'LISTING.NOT_FOUND');
        const own = await t.http.get(`/v1/listings/${l.id}`).set(bearer(holderTrader.apiKey));
        expect({ status: own.status, listing: own.body.status }).toEqual({ status: 200, listing: action === 'pause' ? 'paused' : 'withdrawn' });
        expect((await t.http.get(`/v1/listings/${l.id}`).set(bearer(t.adminToken))).status).toBe(200);
      }
    });

    it("hides a broker's listing once its mandate expires, before any job withdraws it, and will not resume it", async () => {
      const b = await block();
      const t0 = (await now()).getTime();
      const mandate = await aMandate(db, { block: b, brokerOrgId: broker.id, expiresAt: new Date(t0 + 1500) });
      const l = await aListing(t, broker.apiKey, aLeaseBody(b.id));
      expect((await t.http.get(`/v1/listings/${l.id}`).set(bearer(other.apiKey))).status).toBe(200);
      expect((await act('pause', l.id, broker.apiKey)).status).toBe(200);
      await waitFor('the mandate to expire by the clock', async () => (await now()).getTime() > mandate.expiresAt.getTime(), { timeoutMs: 5000 });
      expectProblem(await act('resume', l.id, broker.apiKey), 409, 'LISTING.MANDATE_ENDED');
      // Made active again behind the API's back: still hidden, the mandate's expiry decides.
      await db.query(`UPDATE listings SET status = 'active' WHERE id = $1`, [l.id]);
      expectProblem(await t.http.get(`/v1/listings/${l.id}`).set(bearer(other.apiKey)), 404, 'LISTING.NOT_FOUND');
      expect((await t.http.get(`/v1/listings/${l.id}`).set(bearer(broker.apiKey))).body.status).toBe('active');
      const search = await t.http.get('/v1/listings').query({ rir: b.rir, country: b.country!, limit: '500' }).set(bearer(other.apiKey));
      expect(search.status).toBe(200);
      expect(search.body.data.map((x: { id: string }) => x.id)).not.toContain(l.id);
    });
  });

  describe('when a mandate ends', () => {
    let worker: INestApplicationContext;
    beforeAll(async () => {
      worker = (await startWorker()).worker;
    });
    afterAll(async () => {
      await worker?.close();
    });

    /** What inventory does when a mandate is revoked: the change and its job in one transaction. */
    async function endMandate(mandate: { id: string }, b: TestBlock, jobId = `mandate:${mandate.id}:ended`): Promise<void> {
      await t.app.get(Transactions).tx(async (em) => {
        await em.query('UPDATE mandates SET revoked_at = now(), ended_at = now() WHERE id = $1', [mandate.id]);
        await t.app.get(Outbox).add({ job: 'listings.mandate-ended', data: { mandateId: mandate.id, blockId: b.id, brokerOrgId: broker.id }, jobId });
      });
    }

    it("withdraws the broker's active and paused listings under it, and nothing else, once", async () => {
      const b = await block({ length: 23 });
      const mandate = await aMandate(db, { block: b, brokerOrgId: broker.id, expiresAt: new Date((await now()).getTime() + 30 * DAY_MS) });
      const lease = await aListing(t, broker.apiKey, aLeaseBody(b.id));
      const sale = await aListing(t, broker.apiKey, aSaleBody(b.id));
      await t.http.post(`/v1/listings/${sale.id}/pause`).set(bearer(broker.apiKey)).expect(200);
      const holders = await aListing(t, holder.apiKey, aLeaseBody(b.id));
      const elsewhere = await block();
      await aMandate(db, { block: elsewhere, brokerOrgId: broker.id, expiresAt: new Date((await now()).getTime() + 30 * DAY_MS) });
      const untouched = await aListing(t, broker.apiKey, aLeaseBody(elsewhere.id));

      await endMandate(mandate, b);
      await waitFor('both broker listings to be withdrawn', async () => {
        const rows = await listingsOf(b.id);
        return rows.filter((r) => r.status === 'withdrawn').length === 2;
      });
      const statuses = Object.fromEntries((await listingsOf(b.id)).map((r) => [r.id, r.status]));
      expect(statuses).toEqual({ [lease.id]: 'withdrawn', [sale.id]: 'withdrawn', [holders.id]: 'active' });
      expect((await listingsOf(elsewhere.id))[0]).toEqual({ id: untouched.id, status: 'active' });
      const [ended] = await db.query('SELECT end_reason FROM listings WHERE id = $1', [lease.id]);
      expect(ended).toEqual({ end_reason: 'mandate ended' });
      expect((await auditOf(lease.id)).at(-1)).toEqual({ action: 'listing.withdrawn', actor_type: 'system', org_id: broker.id });

      // Delivered again (a second job for the same end): nothing changes, nothing is audited twice.
      const auditBefore = (await auditOf(lease.id)).length + (await auditOf(sale.id)).length;
      const againId = `mandate:${mandate.id}:again`;
      await t.app.get(Transactions).tx(() =>
        t.app.get(Outbox).add({ job: 'listings.mandate-ended', data: { mandateId: mandate.id, blockId: b.id, brokerOrgId: broker.id }, jobId: againId }),
      );
      const probe = new QueueProbe(t.config, QUEUES.listings);
      try {
        const first = await probe.waitForState(`mandate:${mandate.id}:ended`, ['completed']);
        expect(first.returnvalue).toEqual({ withdrawn: expect.arrayContaining([lease.id, sale.id]) });
        const repeated = await probe.waitForState(againId, ['completed']);
        expect(repeated.returnvalue).toEqual({ withdrawn: [] });
      } finally {
        await probe.close();
      }
      expect((await auditOf(lease.id)).length + (await auditOf(sale.id)).length).toBe(auditBefore);
      expect(Object.fromEntries((await listingsOf(b.id)).map((r) => [r.id, r.status]))).toEqual(statuses);
    });

    it('fails a job whose data is malformed at once, without retries', async () => {
      const probe = new QueueProbe(t.config, QUEUES.listings);
      const jobId = `bad:${randomUUID()}:data`;
      try {
        await t.app.get(Transactions).tx(() => t.app.get(Outbox).add({ job: 'listings.mandate-ended', data: { mandateId: 'x' }, jobId }));
        const job = await probe.waitForState(jobId, ['failed', 'delayed']);
        expect({ state: await probe.state(jobId), attempts: job.attemptsMade }).toEqual({ state: 'failed', attempts: 1 });
        expect(job.failedReason).toMatch(/bad data.*(mandateId|blockId)/s);
      } finally {
        await probe.close();
      }
    });
  });
});
