import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import {
  type AppConfig,
  Clock,
  JOBS,
  JobHandlerRegistry,
  Outbox,
  type OutboxMessage,
  OutboxRelay,
  QUEUES,
  QueueRegistry,
  SandboxClock,
  SystemClock,
  Transactions,
} from '@app/platform';
import { AuditLog } from '@app/identity';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { VerifyAuditChainHandler } from '../apps/worker/src/audit/verify-chain.handler.js';
import { type TestApp, startApi, startWorker } from './support/app.js';
import { QueueProbe, sleep, waitFor, within } from './support/queues.js';

const DAY_MS = 24 * 3600_000;
/** Far enough ahead that a job parked with it never runs during the test run. */
const PARKED_MS = 3600_000;

type Worker = { worker: INestApplicationContext; config: AppConfig };

/**
 * The worker process (BullMQ processors and the outbox relay) against the real PostgreSQL and
 * Redis, with the API as the producer. The database and the Redis prefix are shared with the
 * other test files of the run, so everything here is found by the ids and markers it made.
 */
describe('worker', () => {
  let api: TestApp;
  let db: DataSource;
  let probe: QueueProbe;

  beforeAll(async () => {
    api = await startApi();
    db = api.app.get(DataSource);
    probe = new QueueProbe(api.config, QUEUES.maintenance);
  });
  afterAll(async () => {
    await probe?.close();
    await api?.close();
  });

  /** Commits one outbox row through the API process's transaction; returns its id. */
  function enqueue(message: OutboxMessage, app: INestApplicationContext = api.app): Promise<bigint> {
    return app.get(Transactions).tx(() => app.get(Outbox).add(message));
  }

  async function outboxRow(id: bigint): Promise<{ id: bigint; dispatched_at: Date | null } | undefined> {
    const rows: { id: bigint; dispatched_at: Date | null }[] = await db.query('SELECT id, dispatched_at FROM outbox WHERE id = $1', [
      id.toString(),
    ]);
    return rows[0];
  }

  function waitDispatched(id: bigint, timeoutMs = 10_000): Promise<Date> {
    return waitFor(`outbox row ${id} to be dispatched`, async () => (await outboxRow(id))?.dispatched_at, { timeoutMs });
  }

  /** Resolves once `relay` has finished `n` rounds that started after this call (each a full SELECT ... FOR UPDATE SKIP LOCKED pass). */
  async function relayRounds(relay: OutboxRelay, n: number): Promise<void> {
    const original = relay.relayOnce.bind(relay);
    let finished = 0;
    const spy = jest.spyOn(relay, 'relayOnce').mockImplementation(async (limit) => {
      try {
        return await original(limit);
      } finally {
        finished++;
      }
    });
    try {
      await waitFor(`${n} relay rounds`, async () => finished >= n, { timeoutMs: 5_000 });
    } finally {
      spy.mockRestore();
    }
  }

  describe('with one worker', () => {
    let w: Worker;
    let relay: OutboxRelay;

    beforeAll(async () => {
      w = await startWorker();
      relay = w.worker.get(OutboxRelay);
    });
    afterAll(async () => {
      await w?.worker.close();
    });

    it('starts with exactly one handler resolved for every job name of queue-names.ts', () => {
      const handlers = w.worker.get(JobHandlerRegistry).resolve();
      expect([...handlers.keys()].sort()).toEqual(Object.keys(JOBS).sort());
      expect(handlers.get('audit.verify-chain')).toBe(w.worker.get(VerifyAuditChainHandler));
    });

    it('relays a committed outbox row to BullMQ as job outbox-<id> and marks it dispatched, only after commit', async () => {
      const marker = randomUUID();
      let id: bigint | undefined;
      await api.app.get(Transactions).tx(async () => {
        id = await api.app.get(Outbox).add({ job: 'audit.verify-chain', data: { marker } });
        // Not committed yet: other connections do not see the row, so the relay cannot send it.
        await relayRounds(relay, 3);
        expect(await outboxRow(id)).toBeUndefined();
        expect(await probe.job(`outbox-${id}`)).toBeUndefined();
      });
      expect(typeof id).toBe('bigint');
      const jobId = `outbox-${id}`;

      const dispatchedAt = await waitDispatched(id!);
      expect(dispatchedAt).toBeInstanceOf(Date);
      const job = await probe.waitForState(jobId, ['waiting', 'active', 'completed', 'prioritized']);
      expect(job.id).toBe(jobId);
      expect(job.name).toBe('audit.verify-chain');
      expect(job.queueName).toBe(QUEUES.maintenance);
      expect(job.data).toEqual({ marker });
      // Under the configured prefix, in the queue that queue-names.ts gives the job.
      expect(await probe.redis.exists(`${w.config.redisKeyPrefix}:maintenance:${jobId}`)).toBe(1);
      expect((await probe.jobsMarked(marker)).map((j) => j.id)).toEqual([jobId]);
      await probe.waitForState(jobId, ['completed']);
    });

    it('leaves no row and no job when the transaction rolls back', async () => {
      const marker = randomUUID();
      let id: bigint | undefined;
      await expect(
        api.app.get(Transactions).tx(async () => {
          id = await api.app.get(Outbox).add({ job: 'audit.verify-chain', data: { marker } });
          throw new Error('use case failed after enqueueing');
        }),
      ).rejects.toThrow('use case failed after enqueueing');
      expect(typeof id).toBe('bigint');

      await relayRounds(relay, 4);
      expect(await outboxRow(id!)).toBeUndefined();
      const [{ n }] = await db.query(`SELECT count(*) AS n FROM outbox WHERE payload->>'marker' = $1`, [marker]);
      expect(n).toBe(0n);
      expect(await probe.job(`outbox-${id}`)).toBeUndefined();
      expect(await probe.jobsMarked(marker)).toEqual([]);
    });

    it('refuses Outbox.add outside a transaction', async () => {
      const marker = randomUUID();
      const outbox = api.app.get(Outbox);
      await expect(outbox.add({ job: 'audit.verify-chain', data: { marker } })).rejects.toThrow('Outbox.add must run inside a transaction');
      // Nor with a manager that is not in a transaction.
      await expect(outbox.add({ job: 'audit.verify-chain', data: { marker } }, db.manager)).rejects.toThrow(
        'Outbox.add must run inside a transaction',
      );
      const [{ n }] = await db.query(`SELECT count(*) AS n FROM outbox WHERE payload->>'marker' = $1`, [marker]);
      expect(n).toBe(0n);
    });

    it('collapses a row relayed twice into one job that runs once', async () => {
      const marker = randomUUID();
      const id = await enqueue({ job: 'audit.verify-chain', data: { marker } });
      const jobId = `outbox-${id}`;
      await waitDispatched(id);
      const first = await probe.waitForState(jobId, ['completed']);

      // As after a crash between addBulk and the UPDATE: the row is pending again.
      const queue = w.worker.get(QueueRegistry).queue(QUEUES.maintenance);
      const addBulk = jest.spyOn(queue, 'addBulk');
      try {
        await db.query('UPDATE outbox SET dispatched_at = NULL WHERE id = $1', [id.toString()]);
        await relay.relayOnce();
        await waitDispatched(id);
        await relayRounds(relay, 3);
        // It really was sent to BullMQ a second time (by this call or the relay's own round)...
        const sent = addBulk.mock.calls.flatMap(([jobs]) => jobs.map((j) => j.opts?.jobId));
        expect(sent.filter((s) => s === jobId)).toHaveLength(1);
      } finally {
        addBulk.mockRestore();
      }
      // ...and BullMQ kept the one job it had: same job, not run again.
      const marked = await probe.jobsMarked(marker);
      expect(marked.map((j) => j.id)).toEqual([jobId]);
      const again = (await probe.job(jobId))!;
      expect(await again.getState()).toBe('completed');
      expect(again.timestamp).toBe(first.timestamp);
      expect(again.processedOn).toBe(first.processedOn);
      expect(again.finishedOn).toBe(first.finishedOn);
      expect(again.attemptsMade).toBe(first.attemptsMade);
    });

    it('runs audit.verify-chain and records a clean check of the intact chain', async () => {
      // Rows of our own, so the check has something to verify.
      for (let i = 0; i < 2; i++) {
        const res = await api.http
          .post('/v1/orgs')
          .set('authorization', `Bearer ${api.adminToken}`)
          .send({ name: `worker-spec-${randomUUID()}` });
        expect(res.status).toBe(201);
      }
      const audit = w.worker.get(AuditLog);
      await audit.seal();
      const intact = await audit.verify();
      expect(intact.ok).toBe(true);
      const [{ total, head }] = await db.query('SELECT count(*) AS total, max(seq) AS head FROM audit_log');
      expect(total).toBeGreaterThanOrEqual(4n);
      const [{ last }] = await db.query('SELECT coalesce(max(id), 0) AS last FROM audit_chain_checks');

      const id = await enqueue({ job: 'audit.verify-chain', data: { marker: randomUUID() } });
      const job = await probe.waitForState(`outbox-${id}`, ['completed', 'failed']);
      expect([await job.getState(), job.failedReason]).toEqual(['completed', undefined]);
      expect(job.returnvalue).toEqual({ ok: true, rowsChecked: Number(total) });

      const checks: { ok: boolean; rows_checked: bigint; first_bad_seq: bigint | null; reason: string | null; head_seq: bigint }[] =
        await db.query(
          `SELECT ok, rows_checked, first_bad_seq, reason, head_seq FROM audit_chain_checks
            WHERE id > $1 AND rows_checked = $2 AND checked_at BETWEEN $3 AND $4 ORDER BY id`,
          // Written while the job ran (same host clock; a little slack for rounding).
          [last.toString(), total.toString(), new Date(job.processedOn! - 50), new Date(job.finishedOn! + 50)],
        );
      expect(checks.length).toBeGreaterThanOrEqual(1);
      for (const check of checks) {
        expect(check).toEqual({ ok: true, rows_checked: total, first_bad_seq: null, reason: null, head_seq: head });
      }
    });

    it('fails a job whose name no handler knows, instead of dropping it silently', async () => {
      const job = await probe.queue.add('nobody.handles-this', { marker: randomUUID() }, { attempts: 1 });
      const failed = await probe.waitForState(job.id!, ['failed']);
      expect(failed.failedReason).toBe('unknown job nobody.handles-this');
      await failed.remove();
    });

    it('moves Clock.now() of the worker by a day when the API advances the sandbox clock', async () => {
      const clock = w.worker.get(Clock);
      expect(clock).toBeInstanceOf(SandboxClock);
      const skew = async () => (await clock.now()).getTime() - Date.now();
      const before = await skew();
      const res = await api.http
        .post('/v1/sandbox/clock/advance')
        .set('authorization', `Bearer ${api.adminToken}`)
        .send({ by: 'P1D' });
      expect(res.status).toBe(200);
      expect(res.body.timeTravel).toBe(true);
      const after = await skew();
      // Allow for the milliseconds between reading Date.now() and the clock.
      expect(Math.abs(after - before - DAY_MS)).toBeLessThan(1_000);
      expect(Math.abs(res.body.offsetMs - after)).toBeLessThan(1_000);
      const got = await api.http.get('/v1/sandbox/clock').set('authorization', `Bearer ${api.adminToken}`);
      expect(got.status).toBe(200);
      expect(got.body.offsetMs).toBe(res.body.offsetMs);
    });
  });

  describe('when Redis loses the job schedulers', () => {
    let w: Worker;

    beforeAll(async () => {
      w = await startWorker({ WORKER_SCHEDULE_CHECK_MS: '200', DEADLINES_SCAN_INTERVAL_MS: '45000' });
    });
    afterAll(async () => {
      await w?.worker.close();
    });

    it('restores each of its schedulers, with its interval, within WORKER_SCHEDULE_CHECK_MS', async () => {
      const queues = w.worker.get(QueueRegistry);
      const scans = queues.queue(JOBS['deadlines.scan']);
      const audit = queues.queue(JOBS['audit.verify-chain']);
      await waitFor('the schedulers to be registered', async () => (await scans.getJobScheduler('deadlines.scan.every')) !== undefined, { timeoutMs: 10_000 });
      // What an emptied Redis (or a failover to an empty replica) leaves: no schedulers.
      expect(await scans.removeJobScheduler('deadlines.scan.every')).toBe(true);
      expect(await audit.removeJobScheduler('audit.verify-chain.hourly')).toBe(true);
      // (No look in between: the keeper may put them back within its 200 ms.)
      await waitFor(
        'both schedulers to be back',
        async () => Boolean((await scans.getJobScheduler('deadlines.scan.every')) && (await audit.getJobScheduler('audit.verify-chain.hourly'))),
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      expect(await scans.getJobScheduler('deadlines.scan.every')).toMatchObject({ every: 45_000, name: 'deadlines.scan' });
      expect(await audit.getJobScheduler('audit.verify-chain.hourly')).toMatchObject({ every: 3_600_000, name: 'audit.verify-chain' });
      // Nothing to restore when nothing is missing.
      await expect(queues.restoreSchedules()).resolves.toEqual([]);
    });
  });

  describe('with two relays at once', () => {
    let a: Worker;
    let b: Worker;

    beforeAll(async () => {
      [a, b] = await Promise.all([startWorker(), startWorker()]);
    });
    afterAll(async () => {
      await Promise.all([a?.worker.close(), b?.worker.close()]);
    });

    it('dispatches each of 200 rows exactly once', async () => {
      const marker = randomUUID();
      const sent: { relay: string; jobId: string }[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      const entered = new Set<string>();
      let openBarrier!: () => void;
      const barrier = new Promise<void>((resolve) => (openBarrier = resolve));

      // Each relay's addBulk, for batches of this test's rows, waits (bounded) until the other
      // relay is inside addBulk too: both then hold row locks at the same moment.
      const instrument = (label: string, ctx: Worker) => {
        const queue = ctx.worker.get(QueueRegistry).queue(QUEUES.maintenance);
        const original = queue.addBulk.bind(queue);
        return jest.spyOn(queue, 'addBulk').mockImplementation(async (jobs) => {
          const mine = jobs.filter((j) => (j.data as { marker?: string }).marker === marker);
          if (mine.length === 0) return original(jobs);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            entered.add(label);
            if (entered.size === 2) openBarrier();
            await within('the other relay', 3_000, barrier).catch(() => undefined);
            for (const j of mine) sent.push({ relay: label, jobId: j.opts!.jobId! });
            return await original(jobs);
          } finally {
            inFlight--;
          }
        });
      };
      const spies = [instrument('a', a), instrument('b', b)];

      try {
        // 20 transactions of 10 rows, committed one after another.
        const ids: bigint[] = [];
        for (let wave = 0; wave < 20; wave++) {
          await api.app.get(Transactions).tx(async () => {
            for (let i = 0; i < 10; i++) {
              ids.push(await api.app.get(Outbox).add({ job: 'audit.verify-chain', data: { marker }, delayMs: PARKED_MS }));
            }
          });
          await sleep(15);
        }
        const expected = ids.map((id) => `outbox-${id}`).sort();

        await waitFor(
          'all 200 rows to be dispatched',
          async () => {
            const [{ n }] = await db.query('SELECT count(*) AS n FROM outbox WHERE id = ANY($1::bigint[]) AND dispatched_at IS NOT NULL', [
              ids.map(String),
            ]);
            return n === 200n;
          },
          { timeoutMs: 20_000 },
        );
        await relayRounds(a.worker.get(OutboxRelay), 2);
        await relayRounds(b.worker.get(OutboxRelay), 2);

        // Both relays took part, at the same time, and no row went out twice.
        expect(maxInFlight).toBe(2);
        const byRelay = (r: string) => sent.filter((s) => s.relay === r).length;
        expect(byRelay('a')).toBeGreaterThan(0);
        expect(byRelay('b')).toBeGreaterThan(0);
        expect(sent.map((s) => s.jobId).sort()).toEqual(expected);

        const jobs = await probe.jobsMarked(marker);
        expect(jobs.map((j) => j.id).sort()).toEqual(expected);
        expect(new Set(await Promise.all(jobs.map((j) => j.getState())))).toEqual(new Set(['delayed']));
        await Promise.all(jobs.map((j: Job) => j.remove()));
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    });
  });

  describe('at shutdown', () => {
    let s: Worker;
    let closed = false;

    beforeAll(async () => {
      s = await startWorker();
    });
    afterAll(async () => {
      if (!closed) await s?.worker.close();
    });

    it('lets an active job finish before the worker closes (what SIGTERM runs)', async () => {
      const audit = s.worker.get(AuditLog);
      const original = audit.verifyAndRecord.bind(audit);
      let finishedAt = 0;
      jest.spyOn(audit, 'verifyAndRecord').mockImplementation(async () => {
        await sleep(1_500);
        const verdict = await original();
        finishedAt = Date.now();
        return verdict;
      });

      const id = await enqueue({ job: 'audit.verify-chain', data: { marker: randomUUID() } });
      const jobId = `outbox-${id}`;
      await probe.waitForState(jobId, ['active']);
      expect(finishedAt).toBe(0);

      const closing = Date.now();
      await s.worker.close();
      closed = true;
      const closedAt = Date.now();

      expect(finishedAt).toBeGreaterThan(closing);
      expect(finishedAt).toBeLessThanOrEqual(closedAt);
      const job = (await probe.job(jobId))!;
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toEqual({ ok: true, rowsChecked: expect.any(Number) });
      expect(job.finishedOn).toBeLessThanOrEqual(closedAt);
      expect(job.attemptsMade).toBe(1);
    });
  });

  describe('with SANDBOX_TIME_TRAVEL=false', () => {
    let plainApi: TestApp;
    let plain: Worker;

    beforeAll(async () => {
      [plainApi, plain] = await Promise.all([startApi({ SANDBOX_TIME_TRAVEL: 'false' }), startWorker({ SANDBOX_TIME_TRAVEL: 'false' })]);
    });
    afterAll(async () => {
      await Promise.all([plainApi?.close(), plain?.worker.close()]);
    });

    it('reads the system clock, whatever offset the sandbox stored', async () => {
      // Another process with time travel on moves the shared offset...
      const res = await api.http
        .post('/v1/sandbox/clock/advance')
        .set('authorization', `Bearer ${api.adminToken}`)
        .send({ by: 'P1D' });
      expect(res.status).toBe(200);
      expect(res.body.offsetMs).toBeGreaterThanOrEqual(DAY_MS);
      // ...and these ignore it.
      for (const ctx of [plain.worker, plainApi.app]) {
        const clock = ctx.get(Clock);
        expect(clock).toBeInstanceOf(SystemClock);
        const before = Date.now();
        const now = (await clock.now()).getTime();
        expect(now).toBeGreaterThanOrEqual(before);
        expect(now).toBeLessThanOrEqual(Date.now());
      }
    });

    it('answers 404 SANDBOX.TIME_TRAVEL_DISABLED on the sandbox clock routes and leaves the offset alone', async () => {
      const [{ offset_ms: before }] = await db.query('SELECT offset_ms FROM sandbox_clock');
      const got = await plainApi.http.get('/v1/sandbox/clock').set('authorization', `Bearer ${plainApi.adminToken}`);
      expect(got.status).toBe(404);
      expect(got.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(got.body).toMatchObject({ status: 404, code: 'SANDBOX.TIME_TRAVEL_DISABLED' });

      const advance = await plainApi.http
        .post('/v1/sandbox/clock/advance')
        .set('authorization', `Bearer ${plainApi.adminToken}`)
        .send({ by: 'P1D' });
      expect(advance.status).toBe(404);
      expect(advance.body).toMatchObject({ code: 'SANDBOX.TIME_TRAVEL_DISABLED' });
      const [{ offset_ms: after }] = await db.query('SELECT offset_ms FROM sandbox_clock');
      expect(after).toBe(before);
    });
  });
});
