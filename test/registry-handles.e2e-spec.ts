import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { QUEUES } from '@app/platform';
import { RegistryHandles } from '@app/registry';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { MailDeliverHandler } from '../apps/worker/src/registry/mail-deliver.handler.js';
import { type TestApp, startApi, startWorker } from './support/app.js';
import { type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { expectProblem } from './support/problem.js';
import { QueueProbe } from './support/queues.js';
import { type MailboxItem, Sandbox, type SandboxEntity, aHandle, anEmail, codeIn, mailboxOf, waitForMail } from './support/registry-fixtures.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * RIR handles (API.md "Identity"): a claim looks the handle up over RDAP in the sandbox
 * registry (reached over HTTP), mails a one-time code through the outbox and the worker
 * (the sandbox keeps it in its mailbox), and the code confirms the claim.
 */
describe('registry handles (e2e)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let worker: INestApplicationContext;
  let db: DataSource;
  let sandbox: Sandbox;
  let probe: QueueProbe;

  beforeAll(async () => {
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    worker = (await startWorker({ SANDBOX_BASE_URL: registry.baseUrl })).worker;
    db = t.app.get(DataSource);
    sandbox = new Sandbox(t);
    probe = new QueueProbe(t.config, QUEUES.mail);
  });
  afterAll(async () => {
    await sandbox?.allUp();
    await probe?.close();
    await worker?.close();
    await t?.close();
    await registry?.close();
  });

  const claim = (org: TestOrg, body: Record<string, unknown>) => t.http.post('/v1/registry-handles').set(bearer(org.apiKey)).send(body);
  const confirm = (org: TestOrg, id: string, code: string) => t.http.post(`/v1/registry-handles/${id}/confirm`).set(bearer(org.apiKey)).send({ code });

  /** Claims `entity` for `org` and returns the claim and the code mailed for it. */
  async function claimed(org: TestOrg, entity: SandboxEntity): Promise<{ id: string; code: string; mail: MailboxItem; body: Record<string, unknown> }> {
    const before = (await mailboxOf(t, entity.email)).length;
    const res = await claim(org, { rir: entity.rir, handle: entity.handle });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    const [mail] = await waitForMail(t, entity.email, before + 1);
    return { id: res.body.id, code: codeIn(mail!), mail: mail!, body: res.body };
  }

  /** A code that is not `code` (same format). */
  const wrong = (code: string) => String((Number(code) + 1) % 1e8).padStart(8, '0');

  async function claimRows(orgId: string): Promise<{ status: string }[]> {
    return db.query('SELECT status FROM registry_handle_claims WHERE org_id = $1 ORDER BY created_at', [orgId]);
  }

  async function auditActions(orgId: string): Promise<string[]> {
    const rows: { action: string }[] = await db.query(`SELECT action FROM audit_log WHERE org_id = $1 AND action LIKE 'registry_handle.%' ORDER BY id`, [orgId]);
    return rows.map((r) => r.action);
  }

  it('claims a handle, mails an 8-digit code to the RDAP e-mail, and confirms with it', async () => {
    const org = await anOrg(t);
    const entity = await sandbox.entity({ rir: 'RIPE', email: anEmail('nina') });
    const res = await claim(org, { rir: 'RIPE', handle: entity.handle.toLowerCase() });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      orgId: org.id,
      rir: 'RIPE',
      handle: entity.handle,
      status: 'pending',
      sentTo: `n***@example.net`,
      expiresAt: expect.any(String),
      attemptsLeft: 5,
      createdAt: expect.any(String),
      confirmedAt: null,
    });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(30 * 60_000);

    // Delivered by the worker's mail.deliver job, kept by the sandbox.
    const [mail] = await waitForMail(t, entity.email);
    expect(mail).toMatchObject({ to: entity.email, subject: expect.stringContaining(entity.handle), sentAt: expect.any(String) });
    expect(mail!.body).toContain(org.name);
    const code = codeIn(mail!);
    expect(code).toMatch(/^[0-9]{8}$/);
    const [{ id: mailId }] = await db.query('SELECT id FROM outgoing_mail WHERE to_address = $1', [entity.email]);
    const job = await probe.waitForState(`mail:${mailId}:deliver`, ['completed']);
    expect(job.returnvalue).toEqual({ outcome: 'kept' });

    // The code is stored only as a hash.
    const [stored] = await db.query('SELECT code_hash, code_salt, sent_to FROM registry_handle_claims WHERE id = $1', [res.body.id]);
    expect(stored.sent_to).toBe(entity.email);
    expect(stored.code_hash).toHaveLength(32);
    expect(JSON.stringify(await db.query('SELECT * FROM registry_handle_claims WHERE id = $1', [res.body.id]))).not.toContain(code);
    expect(stored.code_hash.toString('hex')).not.toContain(Buffer.from(code).toString('hex'));

    const ok = await confirm(org, res.body.id, code);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: res.body.id, rir: 'RIPE', handle: entity.handle, status: 'confirmed', attemptsLeft: 0, confirmedAt: expect.any(String) });
    const [after] = await db.query('SELECT status, code_hash FROM registry_handle_claims WHERE id = $1', [res.body.id]);
    expect(after).toEqual({ status: 'confirmed', code_hash: null });

    const list = await t.http.get('/v1/registry-handles').set(bearer(org.apiKey));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ data: [expect.objectContaining({ id: res.body.id, status: 'confirmed' })], nextCursor: null });
    await expect(t.app.get(RegistryHandles).confirmedHandles(org.id, 'RIPE')).resolves.toEqual([entity.handle]);
    await expect(t.app.get(RegistryHandles).confirmedHandles(org.id, 'ARIN')).resolves.toEqual([]);
    expect(await auditActions(org.id)).toEqual(['registry_handle.claimed', 'registry_handle.confirmed']);

    // Single use.
    expectProblem(await confirm(org, res.body.id, code), 422, 'HANDLE.CODE_USED');
    // Confirmed already: claiming again is refused, and sends nothing.
    expectProblem(await claim(org, { rir: 'RIPE', handle: entity.handle }), 409, 'HANDLE.ALREADY_CONFIRMED');
    expect(await mailboxOf(t, entity.email)).toHaveLength(1);
  });

  it('delivers each mail once even when mail.deliver runs again', async () => {
    const org = await anOrg(t);
    const entity = await sandbox.entity();
    const { mail } = await claimed(org, entity);
    const [before] = await db.query('SELECT id, status, sent_at FROM outgoing_mail WHERE id = $1', [mail.id]);
    const again = await worker.get(MailDeliverHandler).handle({ data: { mailId: mail.id } } as Parameters<MailDeliverHandler['handle']>[0]);
    expect(again).toEqual({ outcome: 'already-delivered' });
    const [after] = await db.query('SELECT id, status, sent_at FROM outgoing_mail WHERE id = $1', [mail.id]);
    expect(after).toEqual(before);
    expect(await mailboxOf(t, entity.email)).toHaveLength(1);
  });

  it('refuses a wrong code with the attempts left, and still takes the right one', async () => {
    const org = await anOrg(t);
    const { id, code } = await claimed(org, await sandbox.entity());
    const res = await confirm(org, id, wrong(code));
    expectProblem(res, 422, 'HANDLE.WRONG_CODE');
    expect(res.body.attemptsLeft).toBe(4);
    const shown = await t.http.get(`/v1/registry-handles/${id}`).set(bearer(org.apiKey));
    expect(shown.body).toMatchObject({ status: 'pending', attemptsLeft: 4 });
    expect((await confirm(org, id, code)).body).toMatchObject({ status: 'confirmed' });
    expect(await auditActions(org.id)).toEqual(['registry_handle.claimed', 'registry_handle.wrong_code', 'registry_handle.confirmed']);
  });

  it('does not count a malformed code as an attempt (422 validation)', async () => {
    const org = await anOrg(t);
    const { id } = await claimed(org, await sandbox.entity());
    for (const code of ['1234567', '123456789', 'abcdefgh', '１２３４５６７８']) {
      expectProblem(await confirm(org, id, code), 422, 'REQUEST.VALIDATION_FAILED');
    }
    const [row] = await db.query('SELECT failed_attempts FROM registry_handle_claims WHERE id = $1', [id]);
    expect(row.failed_attempts).toBe(0);
  });

  it('locks the claim after 5 wrong codes; the right code no longer works; claiming again sends a new code that does', async () => {
    const org = await anOrg(t);
    const entity = await sandbox.entity();
    const { id, code } = await claimed(org, entity);
    const answers: { status: number; code: string; attemptsLeft: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const res: Response = await confirm(org, id, wrong(code));
      answers.push({ status: res.status, code: res.body.code, attemptsLeft: res.body.attemptsLeft });
    }
    expect(answers).toEqual([
      { status: 422, code: 'HANDLE.WRONG_CODE', attemptsLeft: 4 },
      { status: 422, code: 'HANDLE.WRONG_CODE', attemptsLeft: 3 },
      { status: 422, code: 'HANDLE.WRONG_CODE', attemptsLeft: 2 },
      { status: 422, code: 'HANDLE.WRONG_CODE', attemptsLeft: 1 },
      { status: 422, code: 'HANDLE.LOCKED', attemptsLeft: 0 },
    ]);
    expectProblem(await confirm(org, id, code), 422, 'HANDLE.LOCKED');
    expect((await t.http.get(`/v1/registry-handles/${id}`).set(bearer(org.apiKey))).body).toMatchObject({ status: 'locked', attemptsLeft: 0 });

    const fresh = await claimed(org, entity);
    expect(fresh.id).not.toBe(id);
    expect((await confirm(org, fresh.id, fresh.code)).body).toMatchObject({ status: 'confirmed' });
    expect(await claimRows(org.id)).toEqual([{ status: 'locked' }, { status: 'confirmed' }]);
    expect(await auditActions(org.id)).toContain('registry_handle.locked');
  });

  it('lets only the newest code of a claim work (a new claim supersedes the pending one)', async () => {
    const org = await anOrg(t);
    const entity = await sandbox.entity();
    const first = await claimed(org, entity);
    const second = await claimed(org, entity);
    expectProblem(await confirm(org, first.id, first.code), 422, 'HANDLE.SUPERSEDED');
    expect((await confirm(org, second.id, second.code)).body).toMatchObject({ status: 'confirmed' });
  });

  it('refuses a code after 30 minutes by the sandbox clock (422 HANDLE.CODE_EXPIRED)', async () => {
    const org = await anOrg(t);
    const { id, code } = await claimed(org, await sandbox.entity());
    const advanced = await t.http.post('/v1/sandbox/clock/advance').set(bearer(t.adminToken)).send({ by: 'PT31M' });
    expect(advanced.status).toBe(200);
    expectProblem(await confirm(org, id, code), 422, 'HANDLE.CODE_EXPIRED');
    expect((await t.http.get(`/v1/registry-handles/${id}`).set(bearer(org.apiKey))).body).toMatchObject({ status: 'expired' });
    expect(await claimRows(org.id)).toEqual([{ status: 'pending' }]);
  });

  it("answers 404 for another organisation's claim, and lists only the caller's own", async () => {
    const owner = await anOrg(t);
    const other = await anOrg(t);
    const { id, code } = await claimed(owner, await sandbox.entity());
    expectProblem(await confirm(other, id, code), 404, 'HANDLE.CLAIM_NOT_FOUND');
    expectProblem(await t.http.get(`/v1/registry-handles/${id}`).set(bearer(other.apiKey)), 404, 'HANDLE.CLAIM_NOT_FOUND');
    expect((await t.http.get('/v1/registry-handles').set(bearer(other.apiKey))).body).toEqual({ data: [], nextCursor: null });
    expectProblem(await t.http.post('/v1/registry-handles/not-a-uuid/confirm').set(bearer(owner.apiKey)).send({ code }), 404);
    // The owner's claim is untouched: its code still works.
    expect((await confirm(owner, id, code)).body).toMatchObject({ status: 'confirmed' });
  });

  it('refuses a handle another organisation has confirmed (409 HANDLE.CLAIMED), at claim and at confirmation', async () => {
    const first = await anOrg(t);
    const second = await anOrg(t);
    const entity = await sandbox.entity();
    const pendingOfSecond = await claimed(second, entity);
    const confirmedByFirst = await claimed(first, entity);
    expect((await confirm(first, confirmedByFirst.id, confirmedByFirst.code)).body).toMatchObject({ status: 'confirmed' });

    expectProblem(await confirm(second, pendingOfSecond.id, pendingOfSecond.code), 409, 'HANDLE.CLAIMED');
    const mails = (await mailboxOf(t, entity.email)).length;
    expectProblem(await claim(second, { rir: entity.rir, handle: entity.handle }), 409, 'HANDLE.CLAIMED');
    expect(await mailboxOf(t, entity.email)).toHaveLength(mails);
    await expect(t.app.get(RegistryHandles).confirmedHandles(second.id, 'RIPE')).resolves.toEqual([]);
  });

  it('answers 503 REGISTRY.UNAVAILABLE while the RIR is down, and stores nothing', async () => {
    const org = await anOrg(t);
    const entity = await sandbox.entity({ rir: 'APNIC', handle: aHandle('AP') });
    const outboxBefore = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE job_name = 'mail.deliver'`);
    try {
      await sandbox.behaviour({ rir: 'APNIC', rdap: 'down' });
      expectProblem(await claim(org, { rir: 'APNIC', handle: entity.handle }), 503, 'REGISTRY.UNAVAILABLE');
    } finally {
      await sandbox.behaviour({ rir: 'APNIC', rdap: 'up' });
    }
    expect(await claimRows(org.id)).toEqual([]);
    expect(await auditActions(org.id)).toEqual([]);
    expect(await db.query('SELECT count(*)::int AS n FROM outgoing_mail WHERE to_address = $1', [entity.email])).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM outbox WHERE job_name = 'mail.deliver'`)).toEqual(outboxBefore);
    // Up again: the same claim goes through.
    expect((await claimed(org, entity)).body).toMatchObject({ status: 'pending', rir: 'APNIC' });
  });

  it.each([
    ['a handle the registry does not know', () => ({ rir: 'RIPE', handle: aHandle() }), 422, 'HANDLE.NOT_FOUND_AT_REGISTRY'],
    ['an unknown RIR', () => ({ rir: 'IANA', handle: aHandle() }), 422, 'REQUEST.VALIDATION_FAILED'],
    ['a malformed handle', () => ({ rir: 'RIPE', handle: 'no spaces please' }), 422, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', () => ({ rir: 'RIPE', handle: aHandle(), note: 'x' }), 422, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s (%d %s), storing nothing', async (_what, body, status, code) => {
    const org = await anOrg(t);
    expectProblem(await claim(org, body()), status, code);
    expect(await claimRows(org.id)).toEqual([]);
  });

  it('refuses a handle that is an account at another RIR (422 HANDLE.NOT_AT_RIR)', async () => {
    const org = await anOrg(t);
    const entity = await sandbox.entity({ rir: 'ARIN', handle: aHandle('ARIN') });
    expectProblem(await claim(org, { rir: 'RIPE', handle: entity.handle }), 422, 'HANDLE.NOT_AT_RIR');
    expect(await claimRows(org.id)).toEqual([]);
    expect(await mailboxOf(t, entity.email)).toEqual([]);
  });

  it('lets only admins claim and confirm; any role of the organisation may list', async () => {
    const org = await anOrg(t);
    const { id, code } = await claimed(org, await sandbox.entity());
    for (const role of ['trader', 'finance', 'ops', 'viewer'] as const) {
      const key = await aKey(t, org.id, role);
      expectProblem(await t.http.post('/v1/registry-handles').set(bearer(key.apiKey)).send({ rir: 'RIPE', handle: aHandle() }), 403, 'AUTH.FORBIDDEN');
      expectProblem(await t.http.post(`/v1/registry-handles/${id}/confirm`).set(bearer(key.apiKey)).send({ code }), 403, 'AUTH.FORBIDDEN');
      const list = await t.http.get('/v1/registry-handles').set(bearer(key.apiKey));
      expect({ status: list.status, ids: list.body.data.map((c: { id: string }) => c.id) }).toEqual({ status: 200, ids: [id] });
    }
    expectProblem(await t.http.get('/v1/registry-handles'), 401, 'AUTH.UNAUTHENTICATED');
    const [row] = await db.query('SELECT status, failed_attempts FROM registry_handle_claims WHERE id = $1', [id]);
    expect(row).toEqual({ status: 'pending', failed_attempts: 0 });
  });

  it('lists claims newest first, page by page', async () => {
    const org = await anOrg(t);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await claimed(org, await sandbox.entity())).id);
    const first = await t.http.get('/v1/registry-handles').query({ limit: 2 }).set(bearer(org.apiKey));
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const second = await t.http.get('/v1/registry-handles').query({ limit: 2, cursor: first.body.nextCursor }).set(bearer(org.apiKey));
    expect(second.body).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
  });
});
