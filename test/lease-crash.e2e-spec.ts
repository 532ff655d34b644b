import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { type TestOrg, anOrg } from './support/identity-fixtures.js';
import { aLease, aLeaseListing, aLeaseRequest, leaseReaches } from './support/lease-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { emptyRunRedis, waitFor } from './support/queues.js';
import { Sandbox } from './support/registry-fixtures.js';
import { baseEnv, testEnv } from './support/test-env.js';
import { killWorker, spawnWorker } from './support/worker-process.js';

/**
 * A worker killed (SIGKILL) in the middle of provisioning a lease, after the registry took a
 * change and before the worker recorded it: a second worker process takes the jobs back when
 * the dead one's locks lapse, finishes the lease, and sends no change to the registry twice
 * (it asks the registry what is already in place before writing).
 */
describe('a worker killed during provisioning (e2e, worker processes)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let db: DataSource;
  let sandbox: Sandbox;
  let lessee: TestOrg;
  const children: ChildProcess[] = [];

  const workerProcess = async (): Promise<ChildProcess> => {
    const { child } = await spawnWorker({ SANDBOX_BASE_URL: registry.baseUrl, WORKER_LOCK_MS: '2000', LEASE_SCAN_INTERVAL_MS: '500' });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    db = t.app.get(DataSource);
    sandbox = new Sandbox(t);
    lessee = await anOrg(t);
  });
  afterAll(async () => {
    await Promise.all(children.map(killWorker));
    // What the killed workers held (a scheduler's tick among them) must not stall the next file's work.
    await emptyRunRedis(testEnv().redisUrl, baseEnv().REDIS_KEY_PREFIX!);
    await sandbox?.behaviour({ rir: 'ARIN', changes: 'apply', changeDelayMs: 0 });
    await t?.close();
    await registry?.close();
  });

  it('finishes the lease after a restart, with exactly one write per change at the registry', async () => {
    const space = await aLeaseListing(t, db, { length: 24, rir: 'ARIN' });
    // A slow registry: each write waits 600 ms before it lands, so that the kill below finds
    // writes landed, under way and not yet started.
    await sandbox.behaviour({ rir: 'ARIN', changeDelayMs: 600 });
    const first = await workerProcess();
    const lease = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id));
    const writes = async (): Promise<{ object: string; outcome: string }[]> =>
      db.query(`SELECT object, outcome FROM sandbox_rir_requests WHERE prefix = $1::cidr AND operation = 'create' ORDER BY id`, [lease.prefix]);

    // Kill the worker the moment the registry has taken its first write.
    await waitFor('the registry to receive a first write', async () => (await writes()).length > 0, { timeoutMs: 15_000, intervalMs: 2 });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const [atKill] = await db.query(`SELECT status FROM leases WHERE id = $1`, [lease.id]);
    expect(atKill.status).toBe('provisioning');

    await workerProcess();
    const active = await leaseReaches(t, lessee.apiKey, lease.id, 'active', 45_000);
    expect(active.registryChanges.map((c) => `${c.phase}:${c.change}:${c.status}`).sort()).toEqual([
      'provision:assignment:applied',
      'provision:roa:applied',
      'provision:route:applied',
    ]);
    // One write per change reached the registry, and each was applied.
    const sent = await writes();
    expect(sent.map((w) => `${w.object}:${w.outcome}`).sort()).toEqual(['assignment:applied', 'roa:applied', 'route:applied']);
    const applied = active.events.filter((e) => e.event === 'registry_change_applied');
    expect(applied).toHaveLength(3);
  }, 90_000);
});
