import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { BlockVerification, MandatesService } from '@app/inventory';
import { RegistryGateways } from '@app/registry';
import { DataSource } from 'typeorm';
import { type TestApp, startApi, startWorker } from './support/app.js';
import { aSlash16, aConfirmedHolder, verified } from './support/holder-fixtures.js';
import { type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { expectProblem } from './support/problem.js';
import { sleep, waitFor } from './support/queues.js';
import { Sandbox, aHandle, anEmail, rdapGet } from './support/registry-fixtures.js';

/**
 * Address space (API.md "Address space"): registration refuses every bad prefix and any
 * overlap, also under concurrency; verification reads the registry's RDAP record over HTTP
 * (the sandbox registry, as an RIR would be read) in the worker; brokers' mandates.
 */
describe('blocks, verification and mandates (e2e)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let worker: INestApplicationContext;
  let db: DataSource;
  let sandbox: Sandbox;
  let holder: TestOrg;
  let other: TestOrg;
  let broker: TestOrg;

  beforeAll(async () => {
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    worker = (await startWorker({ SANDBOX_BASE_URL: registry.baseUrl })).worker;
    db = t.app.get(DataSource);
    sandbox = new Sandbox(t);
    [holder, other, broker] = [await anOrg(t), await anOrg(t), await anOrg(t)];
  });
  afterAll(async () => {
    await sandbox?.allUp();
    await worker?.close();
    await t?.close();
    await registry?.close();
  });

  const register = (org: TestOrg, prefix: unknown, rir: unknown = 'RIPE') => t.http.post('/v1/blocks').set(bearer(org.apiKey)).send({ prefix, rir });
  const countBlocks = async (): Promise<number> => Number((await db.query('SELECT count(*) AS n FROM blocks'))[0].n);

  describe('registration', () => {
    it('registers a block as unverified, for the caller as holder', async () => {
      const s = aSlash16();
      const res = await register(holder, `${s}.64.0/22`);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ prefix: `${s}.64.0/22`, rir: 'RIPE', holderOrgId: holder.id, status: 'unverified', country: null, evidence: null });
      const list = await t.http.get('/v1/blocks?limit=500').set(bearer(holder.apiKey));
      expect(list.body.data.map((b: { id: string }) => b.id)).toContain(res.body.id);
      const theirs = await t.http.get('/v1/blocks?limit=500').set(bearer(other.apiKey));
      expect(theirs.body.data.map((b: { id: string }) => b.id)).not.toContain(res.body.id);
    });

    it.each([
      ['45.91.20.1/22', 'CIDR.NOT_NETWORK_ADDRESS'],
      ['045.91.20.0/22', 'CIDR.MALFORMED'],
      [' 45.91.20.0/22', 'CIDR.MALFORMED'],
      ['45.91.20.0 /22', 'CIDR.MALFORMED'],
      ['45.91.20.0', 'CIDR.MALFORMED'],
      ['45.91.20.0/', 'CIDR.MALFORMED'],
      ['45.91.256.0/24', 'CIDR.MALFORMED'],
      ['٤٥.91.20.0/22', 'CIDR.MALFORMED'],
      ['', 'CIDR.MALFORMED'],
      ['2001:db8::/32', 'CIDR.IPV6_UNSUPPORTED'],
      ['45.91.20.0/25', 'CIDR.TOO_LONG'],
      ['45.91.20.128/32', 'CIDR.TOO_LONG'],
      ['44.0.0.0/7', 'CIDR.TOO_SHORT'],
      ['10.0.0.0/8', 'CIDR.SPECIAL_PURPOSE'],
      ['10.20.0.0/16', 'CIDR.SPECIAL_PURPOSE'],
      ['172.16.0.0/12', 'CIDR.SPECIAL_PURPOSE'],
      ['192.168.10.0/24', 'CIDR.SPECIAL_PURPOSE'],
      ['100.64.0.0/10', 'CIDR.SPECIAL_PURPOSE'],
      ['127.0.0.0/8', 'CIDR.SPECIAL_PURPOSE'],
      ['169.254.1.0/24', 'CIDR.SPECIAL_PURPOSE'],
      ['192.0.2.0/24', 'CIDR.SPECIAL_PURPOSE'],
      ['198.18.0.0/15', 'CIDR.SPECIAL_PURPOSE'],
      ['198.51.100.0/24', 'CIDR.SPECIAL_PURPOSE'],
      ['203.0.113.0/24', 'CIDR.SPECIAL_PURPOSE'],
      ['224.0.0.0/8', 'CIDR.SPECIAL_PURPOSE'],
      ['240.0.0.0/8', 'CIDR.SPECIAL_PURPOSE'],
      ['192.0.0.0/8', 'CIDR.SPECIAL_PURPOSE'],
    ])('refuses %j with %s and stores nothing', async (prefix, code) => {
      const before = await countBlocks();
      const res = await register(holder, prefix);
      expectProblem(res, 422, code);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'body.prefix', code })]);
      expect(await countBlocks()).toBe(before);
    });

    it('says which network a prefix with host bits probably meant, and which special-purpose block it hits', async () => {
      const host = await register(holder, '45.91.20.1/22');
      expect(host.body.suggestion).toBe('45.91.20.0/22');
      const special = await register(holder, '192.168.0.0/16');
      expect(special.body.specialPurpose).toMatchObject({ prefix: '192.168.0.0/16' });
    });

    it.each([
      [{ prefix: 45, rir: 'RIPE' }, 'body.prefix'],
      [{ prefix: '45.91.20.0/22', rir: 'IANA' }, 'body.rir'],
      [{ prefix: '45.91.20.0/22' }, 'body.rir'],
      [{ prefix: '45.91.20.0/22', rir: 'RIPE', holderOrgId: 'x' }, 'body.holderOrgId'],
    ])('refuses the body %j naming %s', async (body, field) => {
      const before = await countBlocks();
      const res = await t.http.post('/v1/blocks').set(bearer(holder.apiKey)).send(body);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await countBlocks()).toBe(before);
    });

    it('refuses overlaps (equal, inside, covering) with 409 BLOCK.OVERLAPS, also across organisations, and accepts adjacent space', async () => {
      const s = aSlash16();
      expect((await register(holder, `${s}.4.0/22`)).status).toBe(201);
      for (const [org, prefix] of [
        [holder, `${s}.4.0/22`],
        [holder, `${s}.5.0/24`],
        [holder, `${s}.0.0/20`],
        [other, `${s}.6.0/23`],
        [other, `${s}.0.0/16`],
      ] as const) {
        const res = await register(org, prefix);
        expectProblem(res, 409, 'BLOCK.OVERLAPS');
        expect(JSON.stringify(res.body)).not.toContain(holder.id); // whose space it is stays unsaid
      }
      expect((await register(holder, `${s}.8.0/22`)).status).toBe(201);
      expect((await register(other, `${s}.0.0/22`)).status).toBe(201);
    });

    it('lets exactly one of 50 concurrent overlapping registrations through', async () => {
      const s = aSlash16();
      const candidates = [`${s}.128.0/24`, `${s}.128.0/23`, `${s}.128.0/22`, `${s}.128.0/21`, `${s}.128.0/20`, `${s}.128.0/18`, `${s}.128.0/17`];
      const orgs = [holder, other, broker];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => register(orgs[i % orgs.length]!, candidates[i % candidates.length]!)),
      );
      const statuses = results.map((r) => r.status);
      expect(results.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body)).toEqual([]);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);
      const rows = await db.query(`SELECT count(*) AS n FROM blocks WHERE prefix && $1::cidr`, [`${s}.128.0/17`]);
      expect(Number(rows[0].n)).toBe(1);
    });

    it.each([
      ['not base64 JSON', 'garbage'],
      ['the year 0000', Buffer.from(JSON.stringify(['0000-01-01T00:00:00Z', '7c1d1f9e-8a3b-4c2d-9e0f-112233445566'])).toString('base64url')],
    ])('refuses a block-list cursor that is %s with 422', async (_what, cursor) => {
      expectProblem(await t.http.get('/v1/blocks').query({ cursor }).set(bearer(holder.apiKey)), 422, 'PAGINATION.INVALID_CURSOR');
    });

    it('keeps blocks to their organisation: 404 for others, 403 for roles that may not register', async () => {
      const s = aSlash16();
      const block = (await register(holder, `${s}.0.0/24`)).body;
      for (const path of [`/v1/blocks/${block.id}`, `/v1/blocks/${block.id}/mandates`]) {
        expectProblem(await t.http.get(path).set(bearer(other.apiKey)), 404, 'BLOCK.NOT_FOUND');
      }
      expectProblem(await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(other.apiKey)), 404, 'BLOCK.NOT_FOUND');
      const viewer = await aKey(t, holder.id, 'viewer');
      expectProblem(await t.http.post('/v1/blocks').set(bearer(viewer.apiKey)).send({ prefix: `${s}.1.0/24`, rir: 'RIPE' }), 403, 'AUTH.FORBIDDEN');
      expect((await t.http.get(`/v1/blocks/${block.id}`).set(bearer(viewer.apiKey))).status).toBe(200);
      expect((await t.http.get(`/v1/blocks/${block.id}`).set(bearer(t.adminToken))).status).toBe(200);
    });
  });

  describe('verification against the registry (RDAP over HTTP, in the worker)', () => {
    it('verifies a block inside a network whose registrant is a confirmed handle, keeping the evidence', async () => {
      const s = aSlash16();
      const entity = await aConfirmedHolder(t, holder, `${s}.0.0/16`);
      const block = (await register(holder, `${s}.20.0/22`)).body;
      const accepted = await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
      expect(accepted.status).toBe(202);
      expect(accepted.body.status).toBe('verifying');
      const done = await verified(t, holder, block.id);
      expect(done).toMatchObject({ status: 'verified', country: 'NL', registeredAt: '2014-03-01T00:00:00.000Z', failureReason: null });
      expect(done.evidence).toMatchObject({
        matchedHandle: entity.handle,
        registrants: [entity.handle],
        network: { startAddress: `${s}.0.0`, endAddress: `${s}.255.255` },
        rdap: { objectClassName: 'ip network' },
      });
      expect(Date.parse((done.evidence as { checkedAt: string }).checkedAt)).not.toBeNaN();
    });

    it('verifies again a block whose first /24 the holder has sub-assigned (leased out)', async () => {
      const s = aSlash16();
      const entity = await aConfirmedHolder(t, holder, `${s}.0.0/16`);
      const block = (await register(holder, `${s}.0.0/22`)).body;
      await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
      expect(await verified(t, holder, block.id)).toMatchObject({ status: 'verified' });
      // A lessee's sub-assignment now answers for the block's first address.
      const written = await t.app
        .get(RegistryGateways)
        .gatewayFor('RIPE')
        .create({ rir: 'RIPE', kind: 'assignment', prefix: `${s}.0.0/24`, asn: 213415, customer: { handle: 'C-LESSEE1', name: 'Lessee Ltd' } });
      expect(written.kind).toBe('done');
      expect((await rdapGet(registry.baseUrl, `ip/${s}.0.1`)).body).toMatchObject({ startAddress: `${s}.0.0`, endAddress: `${s}.0.255` });
      await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
      const again = await verified(t, holder, block.id);
      expect(again).toMatchObject({ status: 'verified', evidence: { matchedHandle: entity.handle, network: { startAddress: `${s}.0.0`, endAddress: `${s}.255.255` } } });
    });

    it('fails when another organisation is the registrant', async () => {
      const s = aSlash16();
      const stranger = aHandle();
      await sandbox.resource({ prefix: `${s}.0.0/16`, rir: 'RIPE', holderHandle: stranger, holderName: 'Someone Else', holderEmail: anEmail() });
      await aConfirmedHolder(t, holder, `${aSlash16()}.0.0/16`); // the holder has a confirmed handle, just not this one
      const block = (await register(holder, `${s}.0.0/24`)).body;
      await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
      const done = await verified(t, holder, block.id);
      expect(done.status).toBe('verification_failed');
      expect(done.failureReason).toContain(stranger);
      expect(done.evidence).toMatchObject({ failure: 'REGISTRANT_MISMATCH' });
    });

    it('fails when the registry network does not cover the whole block', async () => {
      const s = aSlash16();
      await aConfirmedHolder(t, holder, `${s}.0.0/24`);
      const block = (await register(holder, `${s}.0.0/22`)).body;
      await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
      const done = await verified(t, holder, block.id);
      expect(done).toMatchObject({ status: 'verification_failed', evidence: { failure: 'NETWORK_DOES_NOT_COVER_BLOCK' } });
    });

    it('survives an RDAP service that is down for a while (retried with backoff)', async () => {
      const s = aSlash16();
      await aConfirmedHolder(t, holder, `${s}.0.0/16`);
      const block = (await register(holder, `${s}.0.0/24`)).body;
      await sandbox.behaviour({ rir: 'RIPE', rdap: 'down' });
      try {
        await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
        await sleep(1500); // the first attempt fails; the next waits for its backoff
        const during = await t.http.get(`/v1/blocks/${block.id}`).set(bearer(holder.apiKey));
        expect(during.body.status).toBe('verifying');
      } finally {
        await sandbox.behaviour({ rir: 'RIPE', rdap: 'up' });
      }
      expect(await verified(t, holder, block.id, 20_000)).toMatchObject({ status: 'verified' });
    });

    it('fails with the reason once the last attempt finds the RDAP service still down', async () => {
      const s = aSlash16();
      await aConfirmedHolder(t, holder, `${s}.0.0/16`);
      const block = (await register(holder, `${s}.0.0/24`)).body;
      await sandbox.behaviour({ rir: 'RIPE', rdap: 'down' });
      try {
        const started = await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
        const [{ verify_round: round }] = await db.query('SELECT verify_round FROM blocks WHERE id = $1', [block.id]);
        expect(started.body.status).toBe('verifying');
        // The queue's last attempt, run directly rather than after minutes of backoff.
        const outcome = await worker.get(BlockVerification).verify({ blockId: block.id, round }, true);
        expect(outcome).toBe('verification_failed');
      } finally {
        await sandbox.behaviour({ rir: 'RIPE', rdap: 'up' });
      }
      const done = await verified(t, holder, block.id);
      expect(done.status).toBe('verification_failed');
      expect(done.failureReason).toMatch(/unavailable/);
    });

    it('runs one verification at a time: a second request while verifying changes nothing', async () => {
      const s = aSlash16();
      const block = (await register(holder, `${s}.0.0/24`)).body;
      await sandbox.behaviour({ rir: 'RIPE', rdap: 'down' });
      try {
        await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
        await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
        const rows = await db.query(`SELECT count(*) AS n FROM outbox WHERE job_name = 'inventory.verify-block' AND payload->>'blockId' = $1`, [block.id]);
        expect(Number(rows[0].n)).toBe(1);
      } finally {
        await sandbox.behaviour({ rir: 'RIPE', rdap: 'up' });
      }
    });
  });

  describe('mandates', () => {
    async function aBlock(): Promise<{ id: string; prefix: string }> {
      const res = await register(holder, `${aSlash16()}.0.0/24`);
      expect(res.status).toBe(201);
      return res.body;
    }
    // Relative to the sandbox clock, which other tests of the run may have moved forward.
    let now = 0;
    beforeEach(async () => {
      const clock = await t.http.get('/v1/sandbox/clock').set(bearer(t.adminToken));
      now = Date.parse(clock.body.now);
    });
    const inDays = (d: number) => new Date(now + d * 86_400_000).toISOString();
    const grant = (org: TestOrg, blockId: string, body: Record<string, unknown>) =>
      t.http.post(`/v1/blocks/${blockId}/mandates`).set(bearer(org.apiKey)).send(body);

    it('lets the holder grant a broker a mandate, which shows the block to the broker, until revoked', async () => {
      const block = await aBlock();
      const granted = await grant(holder, block.id, { brokerOrgId: broker.id, expiresAt: inDays(30) });
      expect(granted.status).toBe(201);
      expect(granted.body).toMatchObject({ blockId: block.id, brokerOrgId: broker.id, grantedByOrgId: holder.id, status: 'active' });
      expect((await t.http.get(`/v1/blocks/${block.id}`).set(bearer(broker.apiKey))).status).toBe(200);
      const mine = await t.http.get('/v1/mandates').set(bearer(broker.apiKey));
      expect(mine.body.data.map((m: { id: string }) => m.id)).toContain(granted.body.id);
      const theirs = await t.http.get(`/v1/blocks/${block.id}/mandates`).set(bearer(broker.apiKey));
      expect(theirs.body.data).toHaveLength(1);
      // The broker cannot pass it on, nor revoke it.
      expectProblem(await grant(broker, block.id, { brokerOrgId: other.id, expiresAt: inDays(5) }), 404, 'BLOCK.NOT_FOUND');
      expectProblem(await t.http.delete(`/v1/blocks/${block.id}/mandates/${granted.body.id}`).set(bearer(broker.apiKey)), 404, 'BLOCK.NOT_FOUND');
      expectProblem(await grant(holder, block.id, { brokerOrgId: broker.id, expiresAt: inDays(60) }), 409, 'MANDATE.EXISTS');

      const revoked = await t.http.delete(`/v1/blocks/${block.id}/mandates/${granted.body.id}`).set(bearer(holder.apiKey));
      expect(revoked.status).toBe(204);
      expect((await t.http.delete(`/v1/blocks/${block.id}/mandates/${granted.body.id}`).set(bearer(holder.apiKey))).status).toBe(204);
      expectProblem(await t.http.get(`/v1/blocks/${block.id}`).set(bearer(broker.apiKey)), 404, 'BLOCK.NOT_FOUND');
      const [listed] = await t.http
        .get(`/v1/blocks/${block.id}/mandates`)
        .set(bearer(holder.apiKey))
        .then((r) => r.body.data);
      expect(listed).toMatchObject({ id: granted.body.id, status: 'revoked' });
      // The listings context is told once, through the outbox.
      const told = await db.query(`SELECT payload FROM outbox WHERE job_name = 'listings.mandate-ended' AND payload->>'mandateId' = $1`, [granted.body.id]);
      expect(told).toEqual([{ payload: { mandateId: granted.body.id, blockId: block.id, brokerOrgId: broker.id } }]);
      // A new mandate may follow the ended one.
      expect((await grant(holder, block.id, { brokerOrgId: broker.id, expiresAt: inDays(10) })).status).toBe(201);
    });

    it('withdraws the broker\'s listing when the holder revokes its mandate (API, outbox, worker)', async () => {
      const s = aSlash16();
      await aConfirmedHolder(t, holder, `${s}.0.0/16`);
      const block = (await register(holder, `${s}.0.0/23`)).body;
      await t.http.post(`/v1/blocks/${block.id}/verify`).set(bearer(holder.apiKey));
      expect((await verified(t, holder, block.id)).status).toBe('verified');
      const mandate = (await grant(holder, block.id, { brokerOrgId: broker.id, expiresAt: inDays(90) })).body;
      const listing = await t.http
        .post('/v1/listings')
        .set(bearer(broker.apiKey))
        .send({ blockId: block.id, kind: 'lease', lease: { pricePerIpMonth: { amountMinor: 42, currency: 'USD' }, unitPrefixLength: 24, minTermMonths: 1 } });
      expect(listing.status).toBe(201);
      expect(listing.body).toMatchObject({ listerOrgId: broker.id, holderOrgId: holder.id, status: 'active' });

      expect((await t.http.delete(`/v1/blocks/${block.id}/mandates/${mandate.id}`).set(bearer(holder.apiKey))).status).toBe(204);
      const withdrawn = await waitFor('the broker listing to be withdrawn', async () => {
        const res = await t.http.get(`/v1/listings/${listing.body.id}`).set(bearer(broker.apiKey));
        return res.body.status === 'withdrawn' ? res.body : undefined;
      });
      expect(withdrawn.status).toBe('withdrawn');
      const search = await t.http.get('/v1/listings?kind=lease&limit=500').set(bearer(other.apiKey));
      expect(search.body.data.map((l: { id: string }) => l.id)).not.toContain(listing.body.id);
    });

    it.each([
      ['the holder itself', () => ({ brokerOrgId: holder.id, expiresAt: inDays(5) }), 'MANDATE.SELF'],
      ['an expiry in the past', () => ({ brokerOrgId: broker.id, expiresAt: inDays(-1) }), 'MANDATE.EXPIRY_IN_PAST'],
      ['an expiry beyond five years', () => ({ brokerOrgId: broker.id, expiresAt: inDays(6 * 366) }), 'MANDATE.EXPIRY_TOO_FAR'],
      ['an unknown broker', () => ({ brokerOrgId: '7c1d1f9e-8a3b-4c2d-9e0f-112233445566', expiresAt: inDays(5) }), 'MANDATE.BROKER_NOT_FOUND'],
      ['a malformed expiry', () => ({ brokerOrgId: broker.id, expiresAt: 'next week' }), 'REQUEST.VALIDATION_FAILED'],
      ['a malformed broker id', () => ({ brokerOrgId: 'acme', expiresAt: inDays(5) }), 'REQUEST.VALIDATION_FAILED'],
    ])('refuses a mandate to %s, storing nothing', async (_what, body, code) => {
      const block = await aBlock();
      const res = await grant(holder, block.id, body());
      expectProblem(res, 422, code);
      expect(await db.query('SELECT 1 FROM mandates WHERE block_id = $1', [block.id])).toEqual([]);
    });

    it('ends a mandate when the sandbox clock passes its expiry', async () => {
      const block = await aBlock();
      const granted = await grant(holder, block.id, { brokerOrgId: broker.id, expiresAt: inDays(1) });
      expect(granted.status).toBe(201);
      const advanced = await t.http.post('/v1/sandbox/clock/advance').set(bearer(t.adminToken)).send({ by: 'P2D' });
      expect(advanced.status).toBe(200);
      // Hidden from the broker at once, by the clock...
      expectProblem(await t.http.get(`/v1/blocks/${block.id}`).set(bearer(broker.apiKey)), 404, 'BLOCK.NOT_FOUND');
      // ...and ended by the scheduled scan (run here directly rather than waiting a minute).
      expect(await worker.get(MandatesService).endExpired()).toBeGreaterThanOrEqual(1);
      const [row] = await db.query('SELECT ended_at, revoked_at FROM mandates WHERE id = $1', [granted.body.id]);
      expect(row.ended_at).toBeInstanceOf(Date);
      expect(row.revoked_at).toBeNull();
      const told = await db.query(`SELECT 1 FROM outbox WHERE job_name = 'listings.mandate-ended' AND payload->>'mandateId' = $1`, [granted.body.id]);
      expect(told).toHaveLength(1);
      expect(await worker.get(MandatesService).endExpired()).toBe(0);
    });
  });
});
