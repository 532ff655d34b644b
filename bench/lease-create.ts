import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type Request, type Result } from 'autocannon';
import pg from 'pg';
import { generateApiKey } from '@app/identity';
import { runMigrations } from '@app/platform';
import { ApiProcess, BenchDatabase, dropRedisKeys, log, newRunId, onceCleanup } from './support/harness.js';
import { type LeaseSeed, UNITS_PER_BLOCK, seedLeaseListings } from './support/seed-leases.js';

/**
 * `npm run bench:lease-create`: POST /v1/leases with 100,000 live commitments already in
 * space_commitments, beside the bare commitment INSERT through a raw pg pool, in one run.
 *
 *   (a) the endpoint: autocannon, 50 connections, BENCH_SECONDS, after a 2 s warm-up that is
 *       not counted. Every request has a new Idempotency-Key and a listing drawn at random
 *       from all of them (one per block, so that most requests do not queue on one block's
 *       lock), and takes the lowest free /24 of it. The rate is 201 answers per second;
 *       other answers are counted apart, by status and problem code.
 *   (b) the same commitment INSERT the endpoint makes, one per BEGIN/COMMIT, from 50
 *       concurrent callers through a raw pg Pool of 50, then through a Pool of the API's size
 *       (50 callers sharing it); each a free /24 of a random block, taken from the top of the
 *       block down (the API takes from the bottom up), so none conflicts. A 2 s warm-up first.
 *   (c) both rates, their ratio, and the issue's goal: >= 1,000 leases/s through the API.
 *
 * The seed (set-based): a holder with BENCH_BLOCKS verified /16 blocks from 11.0.0.0, one
 * active lease listing of /24 units on each (256 units), BENCH_COMMITMENTS live commitments
 * (the bottom /24s of each block, 50 per block by default: 206 units stay free), and a
 * lessee organisation with a trader key. ANALYZE after seeding.
 *
 * The API runs without the worker: lease jobs pile up in the outbox and nothing is sent to
 * the (sandbox) registry; the measured work is the request's transaction alone.
 *
 * Checked after the run and printed at the end: the leases in the table against the 201s
 * counted (requests in flight when autocannon stopped may have created leases it did not
 * count: at most 50 per run), every lease on its own commitment, units_free of every
 * listing equal to its block's free units (before (b), whose bare inserts do not update
 * it), and no two live commitments overlapping.
 *
 * Works in its own database ipv4market_bench_leases_<run> (dropped at the end, also on
 * SIGINT) and Redis key prefix; only 127.0.0.1 is targeted.
 * Settings: BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_REDIS_URL, BENCH_BLOCKS (default 2000), BENCH_COMMITMENTS (default 100000),
 * BENCH_SECONDS (default 10), BENCH_API_POOL_SIZE (the API's DATABASE_POOL_SIZE, default 20).
 */

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 2000);
const COMMITMENTS = Number(process.env.BENCH_COMMITMENTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const API_POOL_SIZE = Number(process.env.BENCH_API_POOL_SIZE ?? 20);
const CONCURRENCY = 50;
const WARM_UP_SECONDS = 2;
const GOAL = 1000;
const RUN_ID = newRunId();
const REDIS_PREFIX = `ipv4m-bench-${RUN_ID}`;

const COMMIT_SQL = `INSERT INTO space_commitments (block_id, prefix, period, kind, reference, created_at)
                    VALUES ($1, $2::cidr, tstzrange($3, NULL, '[)'), 'lease', $4, $3) RETURNING id`;

/** Answers other than 201, by status and problem code, with the first few bodies. */
class Refusals {
  readonly byCode = new Map<string, number>();
  readonly samples: string[] = [];

  record(status: number, body: string): void {
    let code = '';
    try {
      code = (JSON.parse(body) as { code?: string }).code ?? '';
    } catch {
      // not problem+json
    }
    const key = `${status} ${code}`.trim();
    this.byCode.set(key, (this.byCode.get(key) ?? 0) + 1);
    if (this.samples.length < 3) this.samples.push(`${status} ${body.slice(0, 300)}`);
  }
}

function leaseRequests(seed: LeaseSeed, apiKey: string, refusals: Refusals): Request[] {
  const body = { lesseeAsn: 213415, termMonths: 12, autoRenew: true, noticeDays: 30 };
  return [
    {
      method: 'POST',
      path: '/v1/leases',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      setupRequest: (req) => ({
        ...req,
        headers: { ...req.headers, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ listingId: seed.blocks[Math.floor(Math.random() * seed.blocks.length)]!.listingId, ...body }),
      }),
      onResponse: (status, resBody) => status !== 201 && refusals.record(status, resBody),
    },
  ];
}

const created = (r: Result) => r.statusCodeStats['201']?.count ?? 0;

/** Dotted quad of an IPv4 address given as a number. */
const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/**
 * `CONCURRENCY` callers, each committing a free /24 of a random block in a transaction of
 * its own until time is up. `next[b]` is the next unit (counting down) of block b, `floor[b]`
 * the lowest unit it may take (the one above the highest unit committed before).
 */
async function rawCommitments(pool: pg.Pool, seed: LeaseSeed, next: number[], floor: number[], seconds: number) {
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  const errors = new Map<string, number>();
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        let b = Math.floor(Math.random() * seed.blocks.length);
        for (let tries = 0; next[b]! < floor[b]!; tries++) {
          if (tries > seed.blocks.length) throw new Error('(b) ran out of free units: more blocks or fewer seconds');
          b = (b + 1) % seed.blocks.length;
        }
        const unit = next[b]!--;
        const block = seed.blocks[b]!;
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(COMMIT_SQL, [block.id, `${dotted(block.base + unit * 256)}/24`, new Date(), randomUUID()]);
          await client.query('COMMIT');
          done++;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          const code = (err as { code?: string }).code ?? String(err);
          errors.set(code, (errors.get(code) ?? 0) + 1);
        } finally {
          client.release();
        }
      }
    }),
  );
  return { rate: done / ((Date.now() - started) / 1000), done, errors };
}

/** The free units of each block as of now: (b) takes from the top down to just above the highest committed unit. */
async function rawPlan(db: pg.Client, seed: LeaseSeed): Promise<{ next: number[]; floor: number[] }> {
  const { rows } = await db.query<{ block_id: string; top: string }>(
    `SELECT block_id, max(lower(addr))::text AS top FROM space_commitments WHERE released_at IS NULL GROUP BY block_id`,
  );
  const top = new Map(rows.map((r) => [r.block_id, Number(r.top)]));
  return {
    next: seed.blocks.map(() => UNITS_PER_BLOCK - 1),
    floor: seed.blocks.map((b) => (top.has(b.id) ? (top.get(b.id)! - b.base) / 256 + 1 : 0)),
  };
}

/** What the API's writes left behind, checked before (b) adds bare commitments. */
async function checkApiWrites(db: pg.Client) {
  const { rows } = await db.query<{ leases: number; stored_201: number; wrong_commitment: number; listings: number; units_free_wrong: number }>(
    `SELECT (SELECT count(*)::int FROM leases) AS leases,
            (SELECT count(*)::int FROM idempotency_keys WHERE response_status = 201) AS stored_201,
            (SELECT count(*)::int FROM leases l LEFT JOIN space_commitments c ON c.id = l.commitment_id
              WHERE c.id IS NULL OR c.prefix <> l.prefix OR c.block_id <> l.block_id OR c.released_at IS NOT NULL OR c.reference <> l.id) AS wrong_commitment,
            (SELECT count(*)::int FROM listings) AS listings,
            (SELECT count(*)::int FROM listings l
               LEFT JOIN (SELECT block_id, count(*)::int AS n FROM space_commitments WHERE released_at IS NULL GROUP BY block_id) c ON c.block_id = l.block_id
              WHERE l.units_free <> l.units_total - coalesce(c.n, 0)) AS units_free_wrong`,
  );
  return rows[0]!;
}

async function overlaps(db: pg.Client): Promise<{ live: number; overlapping: number }> {
  const { rows } = await db.query<{ live: number; overlapping: number }>(
    `SELECT (SELECT count(*)::int FROM space_commitments WHERE released_at IS NULL) AS live,
            (SELECT count(*)::int FROM space_commitments a JOIN space_commitments b
                ON b.block_id = a.block_id AND b.id > a.id AND b.addr && a.addr AND b.period && a.period
              WHERE a.released_at IS NULL AND b.released_at IS NULL) AS overlapping`,
  );
  return rows[0]!;
}

async function main(): Promise<void> {
  const wallStarted = Date.now();
  const database = new BenchDatabase(ADMIN_URL, `ipv4market_bench_leases_${RUN_ID}`);
  let api: ApiProcess | undefined;
  let db: pg.Client | undefined;
  const pools: pg.Pool[] = [];
  const cleanup = onceCleanup(async () => {
    await Promise.allSettled([db?.end(), ...pools.map((p) => p.end())]);
    await api?.stop();
    await database.drop();
    await dropRedisKeys(REDIS_URL, REDIS_PREFIX);
    log(`dropped ${database.name}`);
  });
  const newPool = (max: number) => {
    const pool = new pg.Pool({ connectionString: database.url, max });
    pools.push(pool);
    return pool;
  };
  try {
    await database.create();
    log(`database ${database.name}`);
    await runMigrations(database.url);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const seedStarted = Date.now();
    const seed = await seedLeaseListings(db, BLOCKS, COMMITMENTS, (m) => log(`  seed ${m}`));
    const key = generateApiKey();
    await db.query(
      `INSERT INTO api_keys (org_id, role, label, key_hash, key_prefix, created_by) VALUES ($1, 'trader', 'bench', $2, $3, 'bench')`,
      [seed.lesseeOrgId, key.hash, key.displayPrefix],
    );
    log(`seeded ${BLOCKS} listings and ${COMMITMENTS} commitments in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

    api = await ApiProcess.start({ databaseUrl: database.url, redisUrl: REDIS_URL, redisKeyPrefix: REDIS_PREFIX, poolSize: API_POOL_SIZE });
    const refusals = new Refusals();
    const cannon = (seconds: number) =>
      autocannon({ url: api!.base, connections: CONCURRENCY, duration: seconds, requests: leaseRequests(seed, key.secret, refusals) });

    const warmUp = await cannon(WARM_UP_SECONDS);
    if (created(warmUp) === 0) throw new Error(`the warm-up created no lease: ${refusals.samples.join(' | ') || `${warmUp.errors} errors`}`);
    const endpoint = await cannon(SECONDS);
    // Requests autocannon abandoned when time was up finish before anything is counted.
    await sleep(2000);
    const apiRate = created(endpoint) / endpoint.duration;
    const counted201 = created(warmUp) + created(endpoint);
    const apiWrites = await checkApiWrites(db);

    const plan = await rawPlan(db, seed);
    const rawWarmUp = await rawCommitments(newPool(CONCURRENCY), seed, plan.next, plan.floor, WARM_UP_SECONDS);
    const raw = await rawCommitments(pools[0]!, seed, plan.next, plan.floor, SECONDS);
    await pools[0]!.end();
    const rawSmall = await rawCommitments(newPool(API_POOL_SIZE), seed, plan.next, plan.floor, SECONDS);
    await pools[1]!.end();
    pools.length = 0;
    const after = await overlaps(db);

    const fmt = (n: number) => n.toFixed(0).padStart(6);
    const ratio = apiRate / raw.rate;
    const ratioSmall = apiRate / rawSmall.rate;
    const others = [...refusals.byCode].map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
    const rawErrors = (r: typeof raw) => [...r.errors].map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
    log('');
    log(`lease create: ${BLOCKS} lease listings (/16 of /24 units), ${COMMITMENTS} live commitments before, ${SECONDS} s per figure, API pool ${API_POOL_SIZE}, worker not running`);
    log(`(a)  POST /v1/leases, autocannon, 50 connections        ${fmt(apiRate)} leases/s         p50 ${endpoint.latency.p50} ms  p99 ${endpoint.latency.p99} ms`);
    log(`     201: ${created(endpoint)}  non-2xx: ${endpoint.non2xx}  errors: ${endpoint.errors}  timeouts: ${endpoint.timeouts}  (warm-up: 201 ${created(warmUp)}, non-2xx ${warmUp.non2xx}); other answers: ${others}`);
    log(`(b)  INSERT commitment, BEGIN/COMMIT, raw pg Pool of 50 ${fmt(raw.rate)} commitments/s    errors: ${rawErrors(raw)}`);
    log(`(b') the same, raw pg Pool of ${String(API_POOL_SIZE).padEnd(2)}, 50 callers          ${fmt(rawSmall.rate)} commitments/s    errors: ${rawErrors(rawSmall)}`);
    log('');
    log(`API leases/s            ${apiRate.toFixed(0)}`);
    log(`raw pg commitments/s    ${raw.rate.toFixed(0)} (pool 50), ${rawSmall.rate.toFixed(0)} (pool ${API_POOL_SIZE})`);
    log(`ratio (a)/(b)           ${ratio.toFixed(3)}  (a)/(b') ${ratioSmall.toFixed(3)}`);
    log(`goal >= 1,000 leases/s: ${apiRate >= GOAL ? 'met' : 'not met'}`);
    log('');
    const inFlight = apiWrites.leases - counted201;
    const ok = (good: boolean) => (good ? 'ok' : 'WRONG');
    log(`sanity: leases ${apiWrites.leases}, 201s counted ${counted201}, created by requests in flight at a stop ${inFlight} (0..${2 * CONCURRENCY}): ${ok(inFlight >= 0 && inFlight <= 2 * CONCURRENCY)}`);
    log(`sanity: idempotency keys stored with 201 ${apiWrites.stored_201} = leases: ${ok(apiWrites.stored_201 === apiWrites.leases)}`);
    log(`sanity: leases not on their own live commitment ${apiWrites.wrong_commitment}: ${ok(apiWrites.wrong_commitment === 0)}`);
    log(`sanity: listings whose units_free differs from their block's free units ${apiWrites.units_free_wrong} of ${apiWrites.listings}: ${ok(apiWrites.units_free_wrong === 0)}`);
    const expectedLive = COMMITMENTS + apiWrites.leases + rawWarmUp.done + raw.done + rawSmall.done;
    log(`sanity: live commitments ${after.live} (seed + leases + (b) with its warm-up = ${expectedLive}): ${ok(after.live === expectedLive)}; overlapping pairs ${after.overlapping}: ${ok(after.overlapping === 0)}`);
    log(`API output at LOG_LEVEL=warn: ${api.outputLines} lines`);
    if (api.outputLines > 0) for (const line of api.tail(20)) log(`  | ${line}`);
    if (refusals.samples.length) log(`first answers other than 201:\n  ${refusals.samples.join('\n  ')}`);
    log(`wall time ${((Date.now() - wallStarted) / 1000).toFixed(0)} s (seed, runs and checks; without the build)`);
  } catch (err) {
    if (api) {
      log(`failed; the API's last lines:`);
      for (const line of api.tail(40)) log(`  | ${line}`);
    }
    throw err;
  } finally {
    await cleanup();
  }
}

await main();
