import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { anOrg, bearer } from './support/identity-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { emptyRunRedis, sleep } from './support/queues.js';
import { Sandbox } from './support/registry-fixtures.js';
import { baseEnv, testEnv } from './support/test-env.js';
import { killWorker, spawnWorker } from './support/worker-process.js';
import { aConfirmedHandle, aSaleListing, propose } from './support/transfer-fixtures.js';

/**
 * Crash safety of the transfer pipeline (issue 6): 200 deals in flight while worker
 * processes are killed (SIGKILL) at random moments and Redis is emptied once, with two
 * worker processes at a time. Finance (this test) confirms wires and payouts as they come.
 * Every deal must end completed, with no stage recorded twice, every escrow posting made
 * exactly once, and the ledger balanced.
 */
const DEALS = 200;
const PRICE_PER_IP = 1000;
const PRICE = PRICE_PER_IP * 256;

describe('the transfer pipeline through kills and a Redis flush (e2e, worker processes)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let db: DataSource;
  const workers = new Set<ChildProcess>();
  const admin = () => bearer(t.adminToken);

  const workerProcess = async (): Promise<ChildProcess> => {
    const { child } = await spawnWorker({ SANDBOX_BASE_URL: registry.baseUrl, WORKER_LOCK_MS: '1500', TRANSFERS_RECONCILE_INTERVAL_MS: '500' });
    workers.add(child);
    child.once('exit', () => workers.delete(child));
    return child;
  };
  const kill = killWorker;

  beforeAll(async () => {
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    db = t.app.get(DataSource);
    await new Sandbox(t).behaviour({ rir: 'RIPE', transfer: 'approve', delayMs: 0 });
  });
  afterAll(async () => {
    for (const w of [...workers]) await kill(w);
    await emptyRunRedis(testEnv().redisUrl, baseEnv().REDIS_KEY_PREFIX!);
    await t?.close();
    await registry?.close();
  });

  it('ends every deal completed, each stage and each escrow posting once, the ledger balanced', async () => {
    // The deals, proposed and accepted before any worker runs.
    const ids: string[] = [];
    for (let i = 0; i < DEALS; i++) {
      const sale = await aSaleListing(t, db, { askPerIp: PRICE_PER_IP });
      const buyer = await anOrg(t);
      await aConfirmedHandle(t, db, buyer, 'RIPE');
      const res = await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: PRICE_PER_IP, currency: 'USD' }, destinationRir: 'RIPE' });
      expect(res.status).toBe(201);
      expect((await t.http.post(`/v1/transfers/${res.body.id}/accept`).set(bearer(sale.seller.apiKey)).send({})).status).toBe(200);
      ids.push(res.body.id);
    }

    // Finance: confirms each wire once its escrow is open, and each payout once issued.
    let financeOn = true;
    const finance = (async () => {
      while (financeOn) {
        const due: { id: string }[] = await db.query(`SELECT id FROM transfers WHERE id = ANY($1) AND stage = 'awaiting_funds'`, [ids]);
        for (const { id } of due) {
          const res = await t.http.post(`/v1/transfers/${id}/escrow/confirm-funding`).set(admin()).set('idempotency-key', `fund-${id}`).send({ amount: { amountMinor: PRICE, currency: 'USD' }, reference: `WIRE-${id.slice(0, 8)}` });
          expect([200, 409]).toContain(res.status);
        }
        const payouts: { id: string }[] = await db.query(`SELECT id FROM payout_instructions WHERE status = 'pending' AND idempotency_key LIKE 'transfer:%'`);
        for (const { id } of payouts) {
          const res = await t.http.post(`/v1/payouts/${id}/confirm`).set(admin()).send({ bankReference: `OUT-${id.slice(0, 8)}` });
          expect(res.status).toBe(200);
        }
        await sleep(200);
      }
    })();

    const ended = async () => (await db.query(`SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1) AND stage = 'completed'`, [ids]))[0].n as number;
    // Two workers at a time; kill one at a random moment four times, and empty Redis once.
    await workerProcess();
    await workerProcess();
    const inFlightAtKills: number[] = [];
    {
      for (let round = 0; round < 4; round++) {
        await sleep(1500 + Math.floor(Math.random() * 2500));
        const [victim] = [...workers];
        if (victim) await kill(victim);
        inFlightAtKills.push(DEALS - (await ended()));
        // Redis lost: every queued job, every scheduler. The database still holds every fact.
        if (round === 1) await emptyRunRedis(testEnv().redisUrl, baseEnv().REDIS_KEY_PREFIX!);
        await workerProcess();
      }
    }
    // The kills (and the flush, at the second) came while deals were in flight.
    expect(inFlightAtKills[0]).toBeGreaterThan(0);
    expect(inFlightAtKills[1]).toBeGreaterThan(0);
    const deadline = Date.now() + 240_000;
    while ((await ended()) < DEALS && Date.now() < deadline) await sleep(500);
    financeOn = false;
    await finance;

    const stages: { stage: string; n: number }[] = await db.query(`SELECT stage, count(*)::int AS n FROM transfers WHERE id = ANY($1) GROUP BY stage`, [ids]);
    expect(stages).toEqual([{ stage: 'completed', n: DEALS }]);
    // Every stage once per deal, in the order of the pipeline.
    const [{ dupes }] = await db.query(`SELECT count(*)::int AS dupes FROM (SELECT 1 FROM transfer_events WHERE transfer_id = ANY($1) AND wait IS NULL GROUP BY transfer_id, stage HAVING count(*) > 1) d`, [ids]);
    expect(dupes).toBe(0);
    const [{ n: events }] = await db.query(`SELECT count(*)::int AS n FROM transfer_events WHERE transfer_id = ANY($1) AND wait IS NULL`, [ids]);
    expect(events).toBe(DEALS * 11);
    // Each escrow posting exactly once: one funding, one release per deal; one payout per deal and party.
    const postings: { kind: string; n: number }[] = await db.query(
      `SELECT kind, count(*)::int AS n FROM escrow_operations WHERE deal_id = ANY($1) GROUP BY kind ORDER BY kind`, [ids],
    );
    expect(postings).toEqual([{ kind: 'fund', n: DEALS }, { kind: 'release', n: DEALS }]);
    const [{ n: entries }] = await db.query(`SELECT count(*)::int AS n FROM journal_entries WHERE reference = ANY($1)`, [ids.map((id) => `escrow:${id}`)]);
    expect(entries).toBe(DEALS * 2);
    const [{ n: payouts }] = await db.query(`SELECT count(*)::int AS n FROM payout_instructions WHERE idempotency_key = ANY($1) AND status = 'confirmed'`, [ids.map((id) => `transfer:${id}:seller`)]);
    expect(payouts).toBe(DEALS);
    // Every escrow account empty; the books balanced.
    const [{ held }] = await db.query(
      `SELECT coalesce(sum(b.balance_minor), 0)::bigint AS held FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id WHERE a.purpose = 'escrow' AND a.reference = ANY($1)`, [ids],
    );
    expect(held).toBe(0n);
    const [{ sum }] = await db.query('SELECT coalesce(sum(amount_minor), 0)::bigint AS sum FROM journal_lines');
    expect(sum).toBe(0n);
  }, 600_000);
});
