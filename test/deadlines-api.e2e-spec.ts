import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { type TestBlock, aMandate, aVerifiedBlock } from './support/inventory-fixtures.js';
import { expectProblem } from './support/problem.js';
import { Sandbox, anEmail } from './support/registry-fixtures.js';

/**
 * GET /v1/deadlines, PUT /v1/blocks/{id}/rir-standing and the notification settings through
 * the API, without a worker and without moving the clock. Every date here is 200 days or more
 * ahead, so that the clock file (deadlines.clock-e2e-spec.ts, a month of travel) changes
 * nothing here should the two run side by side.
 */

const DAY = 86_400_000;
const FAR = 'P1000D';

interface DeadlineJson {
  id: string;
  kind: string;
  dueAt: string;
  subject: { type: string; id: string };
  status: string;
  orgIds: string[];
}

describe('deadlines and notification settings (e2e, API only)', () => {
  let t: TestApp;
  let db: DataSource;
  let holder: TestOrg;
  let broker: TestOrg;
  let stranger: TestOrg;
  let blocks: TestBlock[];
  /** The holder's mandates to the broker, soonest first: 200, 300 and 400 days ahead. */
  let mandates: { id: string; expiresAt: Date }[];

  const get = (path: string, token: string, query: Record<string, string> = {}) => t.http.get(path).query(query).set(bearer(token));
  const ok = (res: Response) => expect({ status: res.status, body: res.status === 200 ? undefined : (res.body as unknown) }).toEqual({ status: 200, body: undefined });
  /** Every page of GET /v1/deadlines for the token, `limit` rows a page. */
  const allPages = async (token: string, query: Record<string, string>, limit = 500): Promise<{ rows: DeadlineJson[]; pages: number }> => {
    const rows: DeadlineJson[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get('/v1/deadlines', token, { ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      ok(res);
      expect(res.body.data.length).toBeLessThanOrEqual(limit);
      rows.push(...(res.body.data as DeadlineJson[]));
      cursor = res.body.nextCursor as string | null;
      if (++pages > 10_000) throw new Error('page loop');
    } while (cursor);
    return { rows, pages };
  };
  const expectSoonestFirst = (rows: readonly DeadlineJson[]) => {
    const keys = rows.map((d) => [d.dueAt, d.id] as const);
    const sorted = [...keys].sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1));
    expect(keys).toEqual(sorted);
  };

  beforeAll(async () => {
    t = await startApi();
    db = t.app.get(DataSource);
    holder = await anOrg(t);
    broker = await anOrg(t);
    stranger = await anOrg(t);
    const now = await new Sandbox(t).now();
    blocks = [];
    for (let i = 0; i < 3; i++) blocks.push(await aVerifiedBlock(db, { holderOrgId: holder.id, rir: 'ARIN' }));
    // Made out of date order, so that the order served is the API's own.
    const made = [];
    for (const [i, days] of [300, 400, 200].entries()) made.push(await aMandate(db, { block: blocks[i]!, brokerOrgId: broker.id, expiresAt: new Date(now.getTime() + days * DAY) }));
    mandates = [...made].sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('GET /v1/deadlines', () => {
    it("lists the organisation's deadlines soonest first, its own part of each, and the platform sees them all", async () => {
      const mine = await get('/v1/deadlines', holder.apiKey, { within: FAR });
      ok(mine);
      expect(mine.body.nextCursor).toBeNull();
      expect(mine.body.data).toEqual(
        mandates.map((m) => ({
          id: `mandate.expiry:${m.id}`,
          kind: 'mandate.expiry',
          dueAt: m.expiresAt.toISOString(),
          subject: { type: 'mandate', id: m.id },
          status: 'upcoming',
          title: expect.stringContaining('expires'),
          orgIds: [holder.id],
        })),
      );
      expect(new Date(mine.body.now).getTime()).toBeLessThan(mandates[0]!.expiresAt.getTime());
      // The broker sees the same deadlines, with itself as the organisation concerned.
      const brokers = await get('/v1/deadlines', broker.apiKey, { within: FAR });
      ok(brokers);
      expect(brokers.body.data.map((d: DeadlineJson) => [d.id, d.orgIds])).toEqual(mandates.map((m) => [`mandate.expiry:${m.id}`, [broker.id]]));

      const all = await allPages(t.adminToken, { within: FAR, kind: 'mandate.expiry' });
      expectSoonestFirst(all.rows);
      for (const m of mandates) {
        expect(all.rows.filter((d) => d.subject.id === m.id).map((d) => [...d.orgIds].sort())).toEqual([[broker.id, holder.id].sort()]);
      }
    });

    it('filters by kind and by horizon (overdue ones are always in)', async () => {
      const byKind = await get('/v1/deadlines', holder.apiKey, { within: FAR, kind: 'mandate.expiry' });
      ok(byKind);
      expect(byKind.body.data.map((d: DeadlineJson) => d.subject.id)).toEqual(mandates.map((m) => m.id));
      const otherKind = await get('/v1/deadlines', holder.apiKey, { within: FAR, kind: 'lease.end' });
      ok(otherKind);
      expect(otherKind.body.data).toEqual([]);
      // 200 days out: inside P250D, the next (300 days) outside; the default horizon (P90D) holds none.
      const near = await get('/v1/deadlines', holder.apiKey, { within: 'P250D' });
      ok(near);
      expect(near.body.data.map((d: DeadlineJson) => d.subject.id)).toEqual([mandates[0]!.id]);
      const byDefault = await get('/v1/deadlines', holder.apiKey);
      ok(byDefault);
      expect(byDefault.body.data).toEqual([]);
      // An expired mandate stays listed, overdue, whatever the horizon.
      const lapsedBlock = await aVerifiedBlock(db, { holderOrgId: holder.id, rir: 'ARIN' });
      const lapsed = await aMandate(db, { block: lapsedBlock, brokerOrgId: broker.id, expiresAt: new Date((await new Sandbox(t).now()).getTime() - DAY) });
      const withLapsed = await get('/v1/deadlines', holder.apiKey, { within: 'PT1H' });
      ok(withLapsed);
      expect(withLapsed.body.data.map((d: DeadlineJson) => [d.subject.id, d.status])).toEqual([[lapsed.id, 'overdue']]);
      await db.query('DELETE FROM mandates WHERE id = $1', [lapsed.id]);
    });

    it('pages with limit=1 and the cursor, in the same order as one page', async () => {
      const whole = await allPages(holder.apiKey, { within: FAR, kind: 'mandate.expiry' });
      const paged = await allPages(holder.apiKey, { within: FAR, kind: 'mandate.expiry' }, 1);
      expect(whole.pages).toBe(1);
      expect(paged.pages).toBe(3);
      expect(paged.rows.map((d) => d.id)).toEqual(whole.rows.map((d) => d.id));
      expect(paged.rows.map((d) => d.subject.id)).toEqual(mandates.map((m) => m.id));
    });

    it('refuses bad queries with problem+json and a stable code', async () => {
      for (const within of ['P0D', 'PT0S', '30D', 'P30', '-P1D', 'P3651D', 'soon', '']) {
        const res = await get('/v1/deadlines', holder.apiKey, { within });
        expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
        expect({ within, errors: res.body.errors }).toEqual({ within, errors: [expect.objectContaining({ field: 'query.within' })] });
      }
      const unknownKind = await get('/v1/deadlines', holder.apiKey, { kind: 'lease.start' });
      expectProblem(unknownKind, 422, 'REQUEST.VALIDATION_FAILED');
      expect(unknownKind.body.errors).toEqual([expect.objectContaining({ field: 'query.kind' })]);
      const unknownParam = await get('/v1/deadlines', holder.apiKey, { org: stranger.id });
      expectProblem(unknownParam, 422, 'REQUEST.VALIDATION_FAILED');
      expect(unknownParam.body.errors).toEqual([expect.objectContaining({ field: 'query.org', code: 'VALIDATION.UNKNOWN_FIELD' })]);
      for (const limit of ['0', '501', 'ten']) expectProblem(await get('/v1/deadlines', holder.apiKey, { limit }), 422, 'REQUEST.VALIDATION_FAILED');
      const crafted = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
      for (const cursor of ['not-a-cursor', crafted(['0000-01-01T00:00:00.000Z', 'x']), crafted([42, 'x']), crafted(['2030-01-01T00:00:00.000Z']), crafted({})]) {
        expectProblem(await get('/v1/deadlines', holder.apiKey, { cursor }), 422, 'PAGINATION.INVALID_CURSOR');
      }
      expectProblem(await get('/v1/notifications', holder.apiKey, { kind: 'lease.start' }), 422, 'REQUEST.VALIDATION_FAILED');
      expectProblem(await get('/v1/notifications', holder.apiKey, { cursor: 'not-a-cursor' }), 422, 'PAGINATION.INVALID_CURSOR');
      expectProblem(await t.http.get('/v1/deadlines'), 401);
    });
  });

  describe('RIR standing and tenants', () => {
    it("shows no organisation another's deadlines, and lets only the holder (or the platform) set a block's RIR standing", async () => {
      const theirs = await get('/v1/deadlines', stranger.apiKey, { within: FAR });
      ok(theirs);
      expect(theirs.body.data).toEqual([]);
      const told = await get('/v1/notifications', stranger.apiKey);
      ok(told);
      expect(told.body.data).toEqual([]);

      const block = blocks[1]!;
      const paidUntil = new Date((await new Sandbox(t).now()).getTime() + 300 * DAY);
      const put = (token: string, id = block.id, body: unknown = { paidUntil: paidUntil.toISOString() }) =>
        t.http.put(`/v1/blocks/${id}/rir-standing`).set(bearer(token)).send(body as object);
      expectProblem(await put(stranger.apiKey), 404, 'BLOCK.NOT_FOUND');
      // The broker may read the block (its mandate), but the standing is the holder's to declare.
      expectProblem(await put(broker.apiKey), 404, 'BLOCK.NOT_FOUND');
      expectProblem(await put((await aKey(t, holder.id, 'viewer')).apiKey), 403);
      expectProblem(await put(holder.apiKey, randomUUID()), 404, 'BLOCK.NOT_FOUND');
      expectProblem(await put(holder.apiKey, block.id, { paidUntil: 'next year' }), 422, 'REQUEST.VALIDATION_FAILED');
      expectProblem(await put(holder.apiKey, block.id, { paidUntil: new Date(paidUntil.getTime() + 11 * 365 * DAY).toISOString() }), 422, 'BLOCK.INVALID_PAID_UNTIL');
      expectProblem(await put(holder.apiKey, block.id, { paidUntil: paidUntil.toISOString(), by: 'me' }), 422, 'REQUEST.VALIDATION_FAILED');
      const [untouched] = await db.query('SELECT rir_paid_until FROM blocks WHERE id = $1', [block.id]);
      expect(untouched.rir_paid_until).toBeNull();

      const set = await put(holder.apiKey);
      expect({ status: set.status, body: set.body as unknown }).toMatchObject({ status: 200, body: { id: block.id } });
      // Fees due at the date, services stop 120 days later, revocation at 180: each a deadline of the holder.
      const rir = (await allPages(holder.apiKey, { within: FAR })).rows.filter((d) => d.kind.startsWith('rir.'));
      expect(rir.map((d) => [d.kind, d.subject, d.dueAt, d.status])).toEqual([
        ['rir.fees_due', { type: 'block', id: block.id }, paidUntil.toISOString(), 'upcoming'],
        ['rir.services_stop', { type: 'block', id: block.id }, new Date(paidUntil.getTime() + 120 * DAY).toISOString(), 'upcoming'],
        ['rir.revocation', { type: 'block', id: block.id }, new Date(paidUntil.getTime() + 180 * DAY).toISOString(), 'upcoming'],
      ]);
      const again = await get('/v1/deadlines', stranger.apiKey, { within: FAR });
      ok(again);
      expect(again.body.data).toEqual([]);
      // The platform may set it too.
      const byPlatform = await put(t.adminToken, blocks[2]!.id);
      expect(byPlatform.status).toBe(200);
    });
  });

  describe('notification settings (ops contacts)', () => {
    it('stores the ops contacts lower-cased without duplicates, and refuses a bad address storing nothing', async () => {
      const org = await anOrg(t);
      const initial = await get('/v1/notification-settings', org.apiKey);
      ok(initial);
      expect(initial.body).toEqual({ orgId: org.id, opsEmails: [], updatedAt: null });

      const a = anEmail('ops');
      const b = anEmail('noc');
      const put = (token: string, opsEmails: unknown, query: Record<string, string> = {}) =>
        t.http.put('/v1/notification-settings').query(query).set(bearer(token)).send({ opsEmails });
      const set = await put(org.apiKey, [a.toUpperCase(), a, b]);
      expect({ status: set.status, body: set.body as unknown }).toMatchObject({ status: 200, body: { orgId: org.id, opsEmails: [a, b], updatedAt: expect.any(String) } });

      const bad = await put(org.apiKey, [anEmail(), 'not an address', 'ops@', 'a@b@example.net']);
      expectProblem(bad, 422, 'NOTIFICATIONS.INVALID_EMAIL');
      expect(bad.body.errors.map((e: { field: string; code: string }) => [e.field, e.code])).toEqual([
        ['body.opsEmails[1]', 'NOTIFICATIONS.INVALID_EMAIL'],
        ['body.opsEmails[2]', 'NOTIFICATIONS.INVALID_EMAIL'],
        ['body.opsEmails[3]', 'NOTIFICATIONS.INVALID_EMAIL'],
      ]);
      expectProblem(await put(org.apiKey, Array.from({ length: 21 }, () => anEmail())), 422, 'REQUEST.VALIDATION_FAILED');
      expectProblem(await put(org.apiKey, 'ops@example.net'), 422, 'REQUEST.VALIDATION_FAILED');
      const kept = await get('/v1/notification-settings', org.apiKey);
      ok(kept);
      expect(kept.body).toEqual(set.body);

      // Another organisation's settings: not found for a member, reachable for the platform.
      expectProblem(await get('/v1/notification-settings', stranger.apiKey, { orgId: org.id }), 404, 'ORG.NOT_FOUND');
      expectProblem(await put(stranger.apiKey, [anEmail()], { orgId: org.id }), 404, 'ORG.NOT_FOUND');
      const viewer = await aKey(t, org.id, 'viewer');
      ok(await get('/v1/notification-settings', viewer.apiKey));
      expectProblem(await put(viewer.apiKey, [anEmail()]), 403);
      expect((await get('/v1/notification-settings', org.apiKey)).body).toEqual(set.body);
      const c = anEmail('ops');
      const byPlatform = await put(t.adminToken, [c], { orgId: org.id });
      expect({ status: byPlatform.status, body: byPlatform.body as unknown }).toMatchObject({ status: 200, body: { orgId: org.id, opsEmails: [c] } });

      const cleared = await put(org.apiKey, []);
      expect({ status: cleared.status, body: cleared.body as unknown }).toMatchObject({ status: 200, body: { opsEmails: [] } });
    });
  });
});
