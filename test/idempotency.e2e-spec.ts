import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { expectProblem } from './support/problem.js';

/**
 * The Idempotency-Key machinery (libs/platform/src/http/idempotency.ts), driven through the
 * one idempotent endpoint of the foundation: POST /v1/sandbox/clock/advance. The database is
 * shared with every other test file of the run, so every check compares before and after.
 */
describe('Idempotency-Key', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;
  const ADVANCE = '/v1/sandbox/clock/advance';
  const HOUR = 3_600_000n;
  const MINUTE = 60_000n;

  const offset = async (): Promise<bigint> => {
    const rows: { offset_ms: string }[] = await db.query('SELECT offset_ms::text AS offset_ms FROM sandbox_clock');
    expect(rows).toHaveLength(1);
    return BigInt(rows[0]!.offset_ms);
  };
  const storedRows = (key: string): Promise<{ scope: string; request_hash: string; response_status: number; response_body: unknown }[]> =>
    db.query('SELECT scope, request_hash, response_status, response_body FROM idempotency_keys WHERE key = $1 ORDER BY scope', [key]);
  const clockAudits = async (): Promise<number> => {
    const [row]: { n: string }[] = await db.query(`SELECT count(*)::text AS n FROM audit_log WHERE action = 'sandbox.clock_advanced'`);
    return Number(row!.n);
  };
  const advance = (key: string | undefined, body: unknown, token = admin) => {
    const req = t.http.post(ADVANCE).set('authorization', token);
    if (key !== undefined) void req.set('idempotency-key', key);
    return req.send(body as object);
  };
  const newKey = (label: string) => `${label}-${randomUUID()}`;
  const replayed = (res: Response) => res.headers['idempotent-replayed'];

  beforeAll(async () => {
    t = await startApi();
    db = t.app.get(DataSource);
    admin = `Bearer ${t.adminToken}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('moves the clock on every request without a key (the key is optional here)', async () => {
    const before = await offset();
    const a = await advance(undefined, { by: 'PT1M' });
    const b = await advance(undefined, { by: 'PT1M' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(replayed(b)).toBeUndefined();
    expect(await offset()).toBe(before + 2n * MINUTE);
  });

  it('replays the first response for the same key and body, moving the clock once', async () => {
    const key = newKey('replay');
    const before = await offset();
    const auditsBefore = await clockAudits();

    const first = await advance(key, { by: 'PT1H' });
    expect(first.status).toBe(200);
    expect(replayed(first)).toBeUndefined();
    const afterFirst = await offset();
    expect(afterFirst).toBe(before + HOUR);
    expect(first.body).toEqual({ now: expect.any(String), offsetMs: Number(afterFirst), timeTravel: true });

    for (let i = 0; i < 3; i++) {
      const again = await advance(key, { by: 'PT1H' });
      expect(again.status).toBe(200);
      expect(replayed(again)).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(again.text).toBe(first.text);
      expect(again.headers['content-type']).toBe(first.headers['content-type']);
    }
    expect(await offset()).toBe(afterFirst);
    expect(await clockAudits()).toBe(auditsBefore + 1);

    const rows = await storedRows(key);
    expect(rows).toEqual([{ scope: 'platform-admin-token', request_hash: expect.stringMatching(/^[0-9a-f]{64}$/), response_status: 200, response_body: first.body }]);
  });

  it('treats the same body under a new key as a new request', async () => {
    const before = await offset();
    const a = await advance(newKey('fresh'), { by: 'PT1H' });
    const b = await advance(newKey('fresh'), { by: 'PT1H' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(replayed(b)).toBeUndefined();
    expect(await offset()).toBe(before + 2n * HOUR);
  });

  it('refuses the same key with another body or URL (422 IDEMPOTENCY.KEY_REUSED) and changes nothing', async () => {
    const key = newKey('reused');
    const first = await advance(key, { by: 'PT1H' });
    expect(first.status).toBe(200);
    const [storedBefore] = await storedRows(key);
    const before = await offset();
    const auditsBefore = await clockAudits();

    const otherBody = await advance(key, { by: 'PT2H' });
    expectProblem(otherBody, 422, 'IDEMPOTENCY.KEY_REUSED');
    expect(replayed(otherBody)).toBeUndefined();

    const invalidBody = await advance(key, { by: 'P0D' });
    expectProblem(invalidBody, 422, 'IDEMPOTENCY.KEY_REUSED');

    const otherUrl = await t.http.post(`${ADVANCE}?by=PT1H`).set('authorization', admin).set('idempotency-key', key).send({ by: 'PT1H' });
    expectProblem(otherUrl, 422, 'IDEMPOTENCY.KEY_REUSED');

    expect(await offset()).toBe(before);
    expect(await clockAudits()).toBe(auditsBefore);
    expect(await storedRows(key)).toEqual([storedBefore]);

    const original = await advance(key, { by: 'PT1H' });
    expect(replayed(original)).toBe('true');
    expect(original.body).toEqual(first.body);
  });

  it('sees the same JSON value written with other whitespace as the same request', async () => {
    // The advance body has one field: key order is checked on requestHash in idempotency.spec.ts.
    const key = newKey('format');
    const first = await t.http.post(ADVANCE).set('authorization', admin).set('idempotency-key', key).set('content-type', 'application/json').send('{"by":"PT1M"}');
    const second = await t.http
      .post(ADVANCE)
      .set('authorization', admin)
      .set('idempotency-key', key)
      .set('content-type', 'application/json')
      .send('{\n  "by" : "PT1M"\n}\n');
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(replayed(second)).toBe('true');
    expect(second.body).toEqual(first.body);
  });

  it('runs 20 simultaneous requests with one key exactly once', async () => {
    const key = newKey('burst');
    const before = await offset();
    const auditsBefore = await clockAudits();

    const all = await Promise.all(Array.from({ length: 20 }, () => advance(key, { by: 'PT1M' })));

    expect(all.map((r) => r.status)).toEqual(Array(20).fill(200));
    const bodies = new Set(all.map((r) => r.text));
    expect(bodies.size).toBe(1);
    expect(all.filter((r) => replayed(r) === 'true')).toHaveLength(19);
    expect(await offset()).toBe(before + MINUTE);
    expect(all[0]!.body).toMatchObject({ offsetMs: Number(before + MINUTE) });
    expect(await clockAudits()).toBe(auditsBefore + 1);
    expect(await storedRows(key)).toHaveLength(1);
  });

  it('keeps keys per caller: the same key from another caller is another request', async () => {
    const me = await t.http.get('/v1/me').set('authorization', admin);
    expect(me.status).toBe(200);
    const platformOrgId = (me.body as { orgId: string }).orgId;
    const issued = await t.http.post(`/v1/orgs/${platformOrgId}/api-keys`).set('authorization', admin).send({ role: 'admin', label: 'idempotency scope test' });
    expect(issued.status).toBe(201);
    const platformKey = `Bearer ${(issued.body as { apiKey: string }).apiKey}`;

    const key = newKey('scoped');
    const before = await offset();
    const byToken = await advance(key, { by: 'PT1H' });
    const byKey = await advance(key, { by: 'PT1H' }, platformKey);
    expect([byToken.status, byKey.status]).toEqual([200, 200]);
    expect(replayed(byToken)).toBeUndefined();
    expect(replayed(byKey)).toBeUndefined();
    expect(await offset()).toBe(before + 2n * HOUR);
    expect((byKey.body as { offsetMs: number }).offsetMs).toBe((byToken.body as { offsetMs: number }).offsetMs + Number(HOUR));
    expect((await storedRows(key)).map((r) => r.scope).sort()).toEqual(['platform-admin-token', platformOrgId].sort());

    // Each caller replays its own response, not the other's.
    const againByKey = await advance(key, { by: 'PT1H' }, platformKey);
    expect(replayed(againByKey)).toBe('true');
    expect(againByKey.body).toEqual(byKey.body);
    const againByToken = await advance(key, { by: 'PT1H' });
    expect(againByToken.body).toEqual(byToken.body);
    // A reuse by one caller with another body does not disturb the other caller's key.
    expectProblem(await advance(key, { by: 'PT3H' }, platformKey), 422, 'IDEMPOTENCY.KEY_REUSED');
    expect(await offset()).toBe(before + 2n * HOUR);
  });

  it('stores nothing for a caller the guard refuses', async () => {
    const org = await t.http.post('/v1/orgs').set('authorization', admin).send({ name: `idem-${randomUUID()}` });
    expect(org.status).toBe(201);
    const key = newKey('refused');
    const before = await offset();
    const res = await advance(key, { by: 'PT1H' }, `Bearer ${(org.body as { apiKey: string }).apiKey}`);
    expectProblem(res, 403, 'AUTH.FORBIDDEN');
    expect(await storedRows(key)).toEqual([]);
    expect(await offset()).toBe(before);
  });

  it.each([
    ['300 characters', 'k'.repeat(300)],
    ['256 characters', 'k'.repeat(256)],
    ['an inner space', 'has space'],
    ['a tab', 'has\ttab'],
    ['a non-ASCII letter', 'clé-1'],
    ['nothing', ''],
  ])('refuses a key with %s (400 IDEMPOTENCY.KEY_INVALID) before doing anything', async (_what, key) => {
    const before = await offset();
    const res = await advance(key, { by: 'PT1H' });
    expectProblem(res, 400, 'IDEMPOTENCY.KEY_INVALID');
    expect((res.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['header.idempotency-key']);
    expect(await offset()).toBe(before);
  });

  it('accepts a key of 255 printable ASCII characters', async () => {
    const key = `${randomUUID()}!~"{}`.padEnd(255, '#');
    const before = await offset();
    const first = await advance(key, { by: 'PT1M' });
    const second = await advance(key, { by: 'PT1M' });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(replayed(second)).toBe('true');
    expect(await offset()).toBe(before + MINUTE);
  });

  it('stores nothing for a request that fails, so the key stays free for a retry', async () => {
    const key = newKey('failed');
    const before = await offset();

    const badType = await advance(key, { by: 30 });
    expectProblem(badType, 422, 'REQUEST.VALIDATION_FAILED');
    expect(await storedRows(key)).toEqual([]);

    const badDuration = await advance(key, { by: 'P0D' });
    expectProblem(badDuration, 422, 'CLOCK.INVALID_DURATION');
    expect(replayed(badDuration)).toBeUndefined();
    expect(await storedRows(key)).toEqual([]);

    const tooDeep = await t.http
      .post(ADVANCE)
      .set('authorization', admin)
      .set('idempotency-key', key)
      .set('content-type', 'application/json')
      .send(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    expectProblem(tooDeep, 422, 'REQUEST.VALIDATION_FAILED');
    expect(await storedRows(key)).toEqual([]);
    expect(await offset()).toBe(before);

    const fixed = await advance(key, { by: 'PT1M' });
    expect(fixed.status).toBe(200);
    expect(replayed(fixed)).toBeUndefined();
    expect(await offset()).toBe(before + MINUTE);
    expect(await storedRows(key)).toEqual([expect.objectContaining({ response_status: 200, response_body: fixed.body })]);
  });
});
