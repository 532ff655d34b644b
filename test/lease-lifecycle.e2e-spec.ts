import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { DueLeases } from '@app/leases';
import { DataSource } from 'typeorm';
import { type TestApp, startApi, startWorker } from './support/app.js';
import { type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { type LeaseJson, type LeaseListing, aLease, aLeaseListing, aLeaseRequest, getLease, leaseReaches, leaseRowsOf, postLease } from './support/lease-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { expectProblem } from './support/problem.js';
import { waitFor } from './support/queues.js';
import { Sandbox, rdapGet } from './support/registry-fixtures.js';

/**
 * A lease's life with the worker running: provisioning at the (sandbox) registry, checked
 * over HTTP the way an operator would (RDAP, the published VRPs), notice, the end on the
 * sandbox clock, offboarding checked the same way, renewal, suspension, termination, and a
 * registry that refuses the changes.
 */

const DAY_MS = 24 * 3600_000;
const ASN = 213415;

interface Vrp {
  asn: string;
  prefix: string;
  maxLength: number;
  ta: string;
}

describe('lease lifecycle (e2e, with the worker)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let workers: INestApplicationContext[] = [];
  let db: DataSource;
  let sandbox: Sandbox;
  let lessee: TestOrg;

  beforeAll(async () => {
    registry = await startListeningApi();
    const env = { SANDBOX_BASE_URL: registry.baseUrl, LEASE_SCAN_INTERVAL_MS: '300', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' };
    t = await startApi(env);
    // Two workers, as two processes would run: every job and scan may land on either.
    workers = [(await startWorker(env)).worker, (await startWorker(env)).worker];
    db = t.app.get(DataSource);
    sandbox = new Sandbox(t);
    lessee = await anOrg(t);
  });
  afterAll(async () => {
    for (const rir of ['RIPE', 'APNIC', 'AFRINIC']) await sandbox?.behaviour({ rir, changes: 'apply', changeDelayMs: 0 });
    for (const w of workers) await w.close();
    await t?.close();
    await registry?.close();
  });

  const vrps = async (): Promise<Vrp[]> => {
    const res = await fetch(`${registry.baseUrl}/sandbox/rpki/vrps.json`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { roas: Vrp[] }).roas;
  };
  const roaOf = async (prefix: string, asn = ASN) => (await vrps()).filter((v) => v.prefix === prefix && v.asn === `AS${asn}`);
  const rdapOf = async (prefix: string) => {
    const res = await rdapGet(registry.baseUrl, `ip/${prefix.split('/')[0]}`);
    expect(res.status).toBe(200);
    const entities = (res.body.entities ?? []) as { handle: string; roles: string[] }[];
    return {
      handle: res.body.handle as string,
      range: `${res.body.startAddress as string}-${res.body.endAddress as string}`,
      registrants: entities.filter((e) => e.roles.includes('registrant')).map((e) => e.handle),
    };
  };
  const sandboxNow = async (): Promise<Date> => {
    const res = await t.http.get('/v1/sandbox/clock').set(bearer(t.adminToken));
    expect(res.status).toBe(200);
    return new Date(res.body.now);
  };
  /** Moves the sandbox clock to just after `when` (never back). */
  const advancePast = async (when: string | Date, slackMs = 3600_000): Promise<void> => {
    const ms = new Date(when).getTime() + slackMs - (await sandboxNow()).getTime();
    if (ms <= 0) return;
    const res = await t.http.post('/v1/sandbox/clock/advance').set(bearer(t.adminToken)).send({ by: `PT${Math.ceil(ms / 60_000)}M` });
    expect(res.status).toBe(200);
  };
  const eventsOf = (lease: LeaseJson): string[] => lease.events.map((e) => e.event);

  it('provisions, ends on notice, offboards, and frees the unit: checked through RDAP and the VRPs', async () => {
    const space: LeaseListing = await aLeaseListing(t, db, { length: 24, rir: 'RIPE' });
    const created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id, { termMonths: 2, noticeDays: 14, autoRenew: true }));
    const prefix = created.prefix;
    expect(prefix).toBe(space.block.prefix);

    const active = await leaseReaches(t, lessee.apiKey, created.id, 'active');
    // The registry shows it the way the world sees it: the lessee is the registrant of the
    // unit's network, and an exact-length ROA (RFC 9319) authorises its ASN.
    const assigned = await rdapOf(prefix);
    expect(assigned.registrants).toHaveLength(1);
    expect(assigned.registrants[0]).not.toBe(space.holderHandle);
    expect(await roaOf(prefix)).toEqual([expect.objectContaining({ prefix, asn: `AS${ASN}`, maxLength: 24 })]);
    expect(active.registryChanges.filter((c: { status: string }) => c.status === 'applied')).toHaveLength(3);
    expect(active.risks.find((r: { risk: string }) => r.risk === 'routing')).toMatchObject({ status: 'mitigated', bearer: 'lessee' });
    expect(eventsOf(active)).toEqual(['created', 'registry_change_applied', 'registry_change_applied', 'registry_change_applied', 'provisioned']);

    // Notice by the lessee before the deadline: ending, and it will not renew.
    const noticed = await t.http.post(`/v1/leases/${created.id}/notice`).set(bearer(lessee.apiKey)).send({ reason: 'renumbering into our own space' });
    expect(noticed.status).toBe(200);
    expect(noticed.body).toMatchObject({ status: 'ending', endReason: 'notice', notice: { givenBy: 'lessee' } });
    expect((await getLease(t, lessee.apiKey, created.id)).risks.find((r: { risk: string }) => r.risk === 'renewal_lapse')).toMatchObject({ status: 'open' });

    // The unit is not free while the lease is ending.
    const waiting = await anOrg(t);
    expectProblem(await postLease(t, waiting.apiKey, aLeaseRequest(space.listing.id, { prefix })), 409, 'LEASE.UNIT_UNAVAILABLE');

    await advancePast(active.endsAt);
    const ended = await leaseReaches(t, lessee.apiKey, created.id, 'ended');
    expect(eventsOf(ended)).toEqual([
      'created',
      'registry_change_applied',
      'registry_change_applied',
      'registry_change_applied',
      'provisioned',
      'notice',
      'deprovisioning',
      'registry_change_removed',
      'registry_change_removed',
      'registry_change_removed',
      'deprovisioned',
    ]);
    expect(ended.endedAt).not.toBeNull();
    // Offboarding is complete: RDAP answers with the holder's network, no ROA is left.
    const after = await rdapOf(prefix);
    expect(after.registrants).toEqual([space.holderHandle]);
    expect(await roaOf(prefix)).toEqual([]);
    expect(ended.risks.every((r: { status: string }) => r.status === 'closed')).toBe(true);
    // Each event carried its own placement: routing was open at creation, mitigated once provisioned.
    const routingAt = (event: string) => ended.events.find((e) => e.event === event)?.risks.find((r) => r.risk === 'routing')?.status;
    expect([routingAt('created'), routingAt('provisioned')]).toEqual(['open', 'mitigated']);

    // The same unit can be leased again.
    const again = await aLease(t, waiting.apiKey, aLeaseRequest(space.listing.id, { prefix }));
    expect(again.prefix).toBe(prefix);
    await leaseReaches(t, waiting.apiKey, again.id, 'active');
    // Exactly one write per change and phase reached the registry.
    const writes: { operation: string; object: string; n: number }[] = await db.query(
      `SELECT operation, object, count(*)::int AS n FROM sandbox_rir_requests WHERE prefix = $1::cidr AND outcome = 'applied' GROUP BY 1, 2 ORDER BY 1, 2`,
      [prefix],
    );
    expect(writes).toEqual([
      { operation: 'create', object: 'assignment', n: 2 },
      { operation: 'create', object: 'roa', n: 2 },
      { operation: 'create', object: 'route', n: 2 },
      { operation: 'delete', object: 'assignment', n: 1 },
      { operation: 'delete', object: 'roa', n: 1 },
      { operation: 'delete', object: 'route', n: 1 },
    ]);
  });

  it('auto-renews exactly once per term, with two workers scanning at once', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'RIPE' });
    const created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id, { termMonths: 1, noticeDays: 7, autoRenew: true }));
    const active = await leaseReaches(t, lessee.apiKey, created.id, 'active');
    const renewals = async () => eventsOf(await getLease(t, lessee.apiKey, created.id)).filter((e) => e === 'renewed').length;

    await advancePast(active.noticeDeadline);
    // Both workers' scans at once, several times over, besides the scheduled ones.
    for (let i = 0; i < 3; i++) await Promise.all(workers.flatMap((w) => [w.get(DueLeases).run(), w.get(DueLeases).run()]));
    const renewed = await getLease(t, lessee.apiKey, created.id);
    expect(renewed).toMatchObject({ status: 'active', termNumber: 2 });
    expect(await renewals()).toBe(1);
    const start = new Date(active.startsAt);
    const twoMonths = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 2, 1));
    expect(new Date(renewed.endsAt).getUTCMonth()).toBe(twoMonths.getUTCMonth());
    expect(new Date(renewed.endsAt).getTime() - new Date(renewed.noticeDeadline).getTime()).toBe(7 * DAY_MS);
    const renewal = renewed.events.find((e: { event: string }) => e.event === 'renewed');
    expect(renewal).toMatchObject({ from: 'active', to: 'active', actor: { type: 'system' }, evidence: { termNumber: 2 } });

    // Notice after the deadline of the term is refused; the lease has renewed.
    await advancePast(renewed.noticeDeadline);
    await Promise.all(workers.map((w) => w.get(DueLeases).run()));
    const third = await getLease(t, lessee.apiKey, created.id);
    expect(third.termNumber).toBe(3);
    expect(await renewals()).toBe(2);
  });

  it('suspends and resumes (the lessor), and terminates (either party) with offboarding', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'RIPE' });
    const created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id, { termMonths: 12 }));
    await leaseReaches(t, lessee.apiKey, created.id, 'active');

    expectProblem(await t.http.post(`/v1/leases/${created.id}/suspend`).set(bearer(lessee.apiKey)).send({ reason: 'why not' }), 403, 'LEASE.LESSOR_ONLY');
    const suspended = await t.http.post(`/v1/leases/${created.id}/suspend`).set(bearer(space.holder.apiKey)).send({ reason: 'abuse report 4411' });
    expect(suspended.body).toMatchObject({ status: 'suspended' });
    expectProblem(await t.http.post(`/v1/leases/${created.id}/suspend`).set(bearer(space.holder.apiKey)).send({ reason: 'again' }), 409, 'LEASE.INVALID_TRANSITION');
    const resumed = await t.http.post(`/v1/leases/${created.id}/resume`).set(bearer(space.holder.apiKey)).send({});
    expect(resumed.body).toMatchObject({ status: 'active' });

    const stranger = await anOrg(t);
    expectProblem(await t.http.post(`/v1/leases/${created.id}/terminate`).set(bearer(stranger.apiKey)).send({ reason: 'x' }), 404, 'LEASE.NOT_FOUND');
    expectProblem(await t.http.post(`/v1/leases/${created.id}/terminate`).set(bearer(lessee.apiKey)).send({}), 422);
    const terminated = await t.http.post(`/v1/leases/${created.id}/terminate`).set(bearer(space.holder.apiKey)).send({ reason: 'breach of AUP' });
    expect(terminated.body).toMatchObject({ status: 'deprovisioning', endReason: 'terminated' });
    const ended = await leaseReaches(t, lessee.apiKey, created.id, 'ended');
    expect(eventsOf(ended).slice(-5)).toEqual(['terminate', 'registry_change_removed', 'registry_change_removed', 'registry_change_removed', 'deprovisioned']);
    expect(await roaOf(created.prefix)).toEqual([]);
    expect(await leaseRowsOf(db, space.block.id)).toEqual({ leases: 1, commitments: 0 });
    expectProblem(await t.http.post(`/v1/leases/${created.id}/notice`).set(bearer(lessee.apiKey)).send({}), 409, 'LEASE.INVALID_TRANSITION');
  });

  it('a registry that refuses the changes: the lease fails, the commitment is released, the unit is free', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'APNIC' });
    await sandbox.behaviour({ rir: 'APNIC', changes: 'reject' });
    let failed: LeaseJson;
    try {
      const created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id));
      failed = await leaseReaches(t, lessee.apiKey, created.id, 'failed');
      await waitFor('the commitment to be released', async () => (await leaseRowsOf(db, space.block.id)).commitments === 0);
    } finally {
      await sandbox.behaviour({ rir: 'APNIC', changes: 'apply' });
    }
    expect(failed.failureReason).toMatch(/refused/);
    expect(failed.endReason).toBe('failed');
    expect(failed.registryChanges.some((c: { status: string; lastError: string | null }) => c.status === 'failed' && c.lastError)).toBe(true);
    expect(eventsOf(failed)).toContain('failed');
    expect(await roaOf(space.block.prefix)).toEqual([]);
    expect((await rdapOf(space.block.prefix)).registrants).toEqual([space.holderHandle]);
    // Free again: another lessee takes it, and this time the registry applies the changes.
    const other = await anOrg(t);
    const again = await aLease(t, other.apiKey, aLeaseRequest(space.listing.id));
    await leaseReaches(t, other.apiKey, again.id, 'active');
  });

  it('an unavailable registry: the changes are retried with backoff, their failures recorded, and the lease still becomes active', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'AFRINIC' });
    await sandbox.behaviour({ rir: 'AFRINIC', changes: 'unavailable' });
    let created: { id: string };
    try {
      created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id));
      const retried = await waitFor('a failed attempt to be recorded', async () => {
        const lease = await getLease(t, lessee.apiKey, created.id);
        return lease.registryChanges.find((c) => c.attempts >= 1 && c.lastError !== null && c.status === 'pending');
      });
      expect(retried.lastError).toMatch(/unavailable|503/i);
      expect((await getLease(t, lessee.apiKey, created.id)).status).toBe('provisioning');
    } finally {
      await sandbox.behaviour({ rir: 'AFRINIC', changes: 'apply' });
    }
    const active = await leaseReaches(t, lessee.apiKey, created.id, 'active', 30_000);
    expect(active.registryChanges.every((c) => c.status === 'applied' && c.lastError === null)).toBe(true);
  }, 45_000);

  it('terminating a lease still provisioning undoes whatever was made, then frees the unit', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'RIPE' });
    await sandbox.behaviour({ rir: 'RIPE', changeDelayMs: 300 });
    let created: { id: string; prefix: string };
    try {
      created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id));
      const terminated = await t.http.post(`/v1/leases/${created.id}/terminate`).set(bearer(lessee.apiKey)).send({ reason: 'ordered by mistake' });
      expect(terminated.body).toMatchObject({ status: 'deprovisioning', endReason: 'terminated' });
      await leaseReaches(t, lessee.apiKey, created.id, 'ended', 30_000);
    } finally {
      await sandbox.behaviour({ rir: 'RIPE', changeDelayMs: 0 });
    }
    expect(await roaOf(created.prefix)).toEqual([]);
    expect((await rdapOf(created.prefix)).registrants).toEqual([space.holderHandle]);
    expect(await leaseRowsOf(db, space.block.id)).toEqual({ leases: 1, commitments: 0 });
  }, 45_000);

  it('replays a lease creation for the same Idempotency-Key and body, and refuses the key with another body', async () => {
    const space = await aLeaseListing(t, db, { length: 23, rir: 'RIPE' });
    const key = `lease-${Date.now()}`;
    const first = await postLease(t, lessee.apiKey, aLeaseRequest(space.listing.id), key);
    expect(first.status).toBe(201);
    const replay = await postLease(t, lessee.apiKey, aLeaseRequest(space.listing.id), key);
    expect({ status: replay.status, body: replay.body }).toEqual({ status: 201, body: first.body });
    expectProblem(await postLease(t, lessee.apiKey, aLeaseRequest(space.listing.id, { termMonths: 24 }), key), 422);
    expect(await leaseRowsOf(db, space.block.id)).toEqual({ leases: 1, commitments: 1 });
  });

  it('without auto-renew: ending at the notice deadline, ended after the term, and late notice refused', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'RIPE' });
    const created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id, { termMonths: 3, noticeDays: 30, autoRenew: false }));
    const active = await leaseReaches(t, lessee.apiKey, created.id, 'active');
    expect(active.risks.find((r) => r.risk === 'renewal_lapse')).toMatchObject({ status: 'open', bearer: 'lessee' });
    await advancePast(active.noticeDeadline);
    const ending = await leaseReaches(t, lessee.apiKey, created.id, 'ending');
    expect(ending).toMatchObject({ endReason: 'no_renewal', notice: null, termNumber: 1 });
    expectProblem(await t.http.post(`/v1/leases/${created.id}/notice`).set(bearer(space.holder.apiKey)).send({}), 409, 'LEASE.INVALID_TRANSITION');
    await advancePast(active.endsAt);
    const ended = await leaseReaches(t, lessee.apiKey, created.id, 'ended');
    expect(eventsOf(ended)).toContain('ending');
    expect(await roaOf(created.prefix)).toEqual([]);
  });

  it('refuses notice once the deadline has passed (the lease has renewed)', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'RIPE' });
    const created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id, { termMonths: 1, noticeDays: 7, autoRenew: true }));
    const active = await leaseReaches(t, lessee.apiKey, created.id, 'active');
    // Past the deadline but before any scan has renewed it: notice is too late.
    await Promise.all(workers.map((w) => w.close()));
    try {
      await advancePast(active.noticeDeadline, 60_000);
      expectProblem(await t.http.post(`/v1/leases/${created.id}/notice`).set(bearer(lessee.apiKey)).send({}), 409, 'LEASE.NOTICE_TOO_LATE');
    } finally {
      const env = { SANDBOX_BASE_URL: registry.baseUrl, LEASE_SCAN_INTERVAL_MS: '300', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' };
      workers = [(await startWorker(env)).worker, (await startWorker(env)).worker];
    }
    expect((await waitFor('the renewal', async () => {
      const lease = await getLease(t, lessee.apiKey, created.id);
      return lease.termNumber === 2 ? lease : undefined;
    })).status).toBe('active');
  });

  it('the reconciler re-creates registry-change jobs lost with Redis, from the database', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'RIPE' });
    await Promise.all(workers.map((w) => w.close()));
    let created: { id: string };
    try {
      created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id));
      // As if the relay had handed the jobs to a Redis that then lost them: the outbox says
      // dispatched, no job exists, and the changes have been quiet for an hour.
      const [, lost]: [unknown, number] = await db.query(
        `UPDATE outbox SET dispatched_at = now() WHERE dispatched_at IS NULL AND job_name = 'leases.registry-change'
            AND (payload->>'changeId')::uuid IN (SELECT id FROM lease_registry_changes WHERE lease_id = $1)`,
        [created.id],
      );
      expect(lost).toBe(3);
      await db.query(`UPDATE lease_registry_changes SET queued_at = now() - interval '1 hour' WHERE lease_id = $1`, [created.id]);
    } finally {
      const env = { SANDBOX_BASE_URL: registry.baseUrl, LEASE_SCAN_INTERVAL_MS: '300', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' };
      workers = [(await startWorker(env)).worker, (await startWorker(env)).worker];
    }
    const active = await leaseReaches(t, lessee.apiKey, created.id, 'active');
    const rounds: { round: number }[] = await db.query('SELECT round FROM lease_registry_changes WHERE lease_id = $1', [created.id]);
    expect(rounds.map((r) => r.round)).toEqual([2, 2, 2]);
    expect(active.registryChanges.every((c) => c.status === 'applied')).toBe(true);
  });

  it('bills each lease-month once on the ledger: the lessee owes it, the lessor is owed it less the fee; the trial balance holds', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'RIPE', pricePerIpMonth: 40 });
    const tenant = await anOrg(t);
    const created = await aLease(t, tenant.apiKey, aLeaseRequest(space.listing.id, { termMonths: 12, noticeDays: 30 }));
    await leaseReaches(t, tenant.apiKey, created.id, 'active');
    const balanceOf = async (orgId: string, purpose: string): Promise<bigint> => {
      const [row] = await db.query(
        `SELECT b.balance_minor FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
          WHERE a.owner_org_id = $1 AND a.purpose = $2 AND a.currency = 'USD'`,
        [orgId, purpose],
      );
      return row?.balance_minor ?? 0n;
    };
    const monthly = 40n * 256n;
    // The workers' scan bills it (every 300 ms); a scan behind a backlog of other files' leases, on a busy machine, may take a while.
    await waitFor('month 1 billed', async () => (await balanceOf(tenant.id, 'receivable')) === monthly, { timeoutMs: 30_000 });
    expect(await balanceOf(space.holder.id, 'payable')).toBe(monthly - monthly / 10n);

    // A month later, both workers scanning at once: the second month is charged once.
    await advancePast(new Date(new Date(created.startsAt as string).getTime() + 32 * DAY_MS), 0);
    await Promise.all(workers.flatMap((w) => [w.get(DueLeases).run(), w.get(DueLeases).run()]));
    expect(await balanceOf(tenant.id, 'receivable')).toBe(2n * monthly);
    expect(await balanceOf(space.holder.id, 'payable')).toBe(2n * (monthly - monthly / 10n));
    const entries: { idempotency_key: string }[] = await db.query(`SELECT idempotency_key FROM journal_entries WHERE reference = $1 ORDER BY id`, [
      `lease:${created.id}`,
    ]);
    expect(entries.map((e) => e.idempotency_key)).toEqual([`lease:${created.id}:month:0`, `lease:${created.id}:month:1`]);

    // Both parties see it through the ledger API; debits equal credits in every currency.
    const tenantFinance = await aKey(t, tenant.id, 'finance');
    const accounts = await t.http.get('/v1/ledger/accounts').set(bearer(tenantFinance.apiKey));
    expect(accounts.body.data).toEqual([expect.objectContaining({ purpose: 'receivable', balance: { amountMinor: Number(2n * monthly), currency: 'USD' } })]);
    const tb = await t.http.get('/v1/ledger/trial-balance').set(bearer(t.adminToken));
    for (const c of tb.body.currencies) expect(c.debitsMinor).toBe(c.creditsMinor);
  });
});
