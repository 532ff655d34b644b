import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { generateApiKey } from '@app/identity';
import { type ListingFilter, SEARCH_TYPES, searchQuery } from '@app/listings';
import { runMigrations } from '@app/platform';
import { ApiProcess, BenchDatabase, dropRedisKeys, log, newRunId, onceCleanup } from './support/harness.js';
import { seedListings } from './support/seed-listings.js';

/**
 * `npm run bench:listings-search`: GET /v1/listings against a million listings, beside the
 * same SQL through a raw pg pool, measured in the same run on the same machine.
 *
 *   (a) the endpoint: autocannon, 50 connections, 10 s, a mix of filters (and second pages);
 *   (b) the SQL the endpoint runs for the same mix, through a raw pg Pool at 50 concurrency;
 *   (c) the endpoint at a fixed 1,000 requests/s: p50 and p99 latency.
 *
 * Goals (issue 3): (a)/(b) >= 0.5, and p99 < 25 ms in (c). Works in its own database
 * ipv4market_bench_listings_<run> (dropped at the end, also on SIGINT) and Redis key prefix;
 * only 127.0.0.1 is targeted. The API's own output (at LOG_LEVEL=warn) is shown as it comes.
 *
 * Two things this machine (2 cores shared by PostgreSQL, the API and the load generator)
 * makes worth printing beside the headline figures:
 * - Pool size. 50 connections contend for 2 cores: the API runs with DATABASE_POOL_SIZE=8
 *   (measured: ~1,900 req/s against ~1,450 with the default 20), and (b) is printed with a
 *   pool of 50 (the issue's "at 50 concurrency") and with a pool of the API's size, 50
 *   callers sharing it, so that each ratio can be read like for like.
 * - autocannon's fixed rate is bursty: each connection sends its quota for the second
 *   back to back as the second starts, then waits. With 50 connections, (c) measures 50
 *   requests in flight at once at the top of each second, not 1,000 evenly spaced
 *   requests; (c) is printed with 50 connections and with 10.
 *
 * Settings: BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_REDIS_URL, BENCH_LISTINGS (default 1000000), BENCH_SECONDS (default 10),
 * BENCH_API_POOL_SIZE (default 8).
 */

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LISTINGS = Number(process.env.BENCH_LISTINGS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const API_POOL_SIZE = Number(process.env.BENCH_API_POOL_SIZE ?? 8);
const CONCURRENCY = 50;
const FIXED_RATE = 1000;
const RUN_ID = newRunId();
const REDIS_PREFIX = `ipv4m-bench-${RUN_ID}`;

/** A realistic mix: what buyers filter on, mostly first pages, some second pages. */
const MIX: ListingFilter[] = [
  { kind: 'lease' },
  { kind: 'lease', rir: 'RIPE' },
  { kind: 'lease', rir: 'ARIN', currency: 'USD', maxPricePerIpMinor: 60n },
  { kind: 'sale', country: 'DE' },
  { kind: 'lease', minUnitPrefixLength: 24, minFreeUnits: 2 },
  { kind: 'sale', rir: 'APNIC', currency: 'USD', maxPricePerIpMinor: 4000n },
  { rir: 'LACNIC', country: 'BR' },
  { kind: 'lease', currency: 'EUR', maxPricePerIpMinor: 45n },
  { kind: 'lease', rir: 'AFRINIC', minUnitPrefixLength: 23 },
  {},
];

function urlOf(f: ListingFilter, cursor?: string): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) q.set(k, String(v));
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return `/v1/listings${s ? `?${s}` : ''}`;
}

interface Variant {
  filter: ListingFilter;
  after: { createdAt: string; id: string } | null;
  path: string;
}

/** The mix, plus the second page of every other filter (a cursor taken from the live API). */
async function variants(base: string, headers: Record<string, string>): Promise<Variant[]> {
  const out: Variant[] = MIX.map((filter) => ({ filter, after: null, path: urlOf(filter) }));
  for (const filter of MIX.filter((_, i) => i % 2 === 0)) {
    const page = (await (await fetch(`${base}${urlOf(filter)}`, { headers })).json()) as { nextCursor: string | null };
    if (!page.nextCursor) continue;
    const [createdAt, id] = JSON.parse(Buffer.from(page.nextCursor, 'base64url').toString('utf8')) as [string, string];
    out.push({ filter, after: { createdAt, id }, path: urlOf(filter, page.nextCursor) });
  }
  return out;
}

async function checkSameRows(base: string, headers: Record<string, string>, pool: pg.Pool, mix: Variant[]): Promise<void> {
  for (const v of mix) {
    const api = (await (await fetch(`${base}${v.path}`, { headers })).json()) as { data: { id: string }[] };
    const q = searchQuery(v.filter, new Date(), v.after, 50);
    const raw = (await pool.query<{ id: string }>({ name: q.name, text: q.text, values: q.values, types: SEARCH_TYPES })).rows.slice(0, 50);
    if (JSON.stringify(api.data.map((r) => r.id)) !== JSON.stringify(raw.map((r) => r.id))) {
      throw new Error(`the API and the raw SQL disagree on ${v.path}`);
    }
  }
}

function cannon(
  base: string,
  headers: Record<string, string>,
  mix: Variant[],
  o: { seconds: number; overallRate?: number; connections?: number },
): Promise<Result> {
  return autocannon({
    url: base,
    connections: o.connections ?? CONCURRENCY,
    duration: o.seconds,
    headers,
    requests: mix.map((v) => ({ method: 'GET', path: v.path })),
    ...(o.overallRate ? { overallRate: o.overallRate } : {}),
  });
}

/** `CONCURRENCY` loops, each running the next query of the mix as soon as its last one returned. */
async function rawSql(pool: pg.Pool, mix: Variant[], seconds: number): Promise<{ rps: number; done: number }> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const v = mix[next++ % mix.length]!;
        const q = searchQuery(v.filter, new Date(), v.after, 50);
        // Exactly as the endpoint runs it: the same statement name, text, values and row parsers.
        await pool.query({ name: q.name, text: q.text, values: q.values, types: SEARCH_TYPES });
        done++;
      }
    }),
  );
  return { rps: done / ((Date.now() - started) / 1000), done };
}

function checkClean(r: Result, what: string): void {
  if (r.errors || r.timeouts || r.non2xx) throw new Error(`${what}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`);
}

async function main(): Promise<void> {
  const database = new BenchDatabase(ADMIN_URL, `ipv4market_bench_listings_${RUN_ID}`);
  let api: ApiProcess | undefined;
  let pool: pg.Pool | undefined;
  let smallPool: pg.Pool | undefined;
  // Once, whether the run ends, fails or is interrupted: stop the API, drop the database and the Redis keys.
  const cleanup = onceCleanup(async () => {
    await Promise.allSettled([pool?.end(), smallPool?.end()]);
    // Requests autocannon abandoned at the end of its last run finish first.
    await api?.stop();
    await database.drop();
    await dropRedisKeys(REDIS_URL, REDIS_PREFIX);
    log(`dropped ${database.name}`);
  });
  try {
    await database.create();
    log(`database ${database.name}`);
    await runMigrations(database.url);
    const seedStarted = Date.now();
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    let apiKey: string;
    try {
      await seedListings(db, LISTINGS, 2000, (m) => log(`  seed ${m}`));
      const key = generateApiKey();
      await db.query(
        `INSERT INTO api_keys (org_id, role, label, key_hash, key_prefix, created_by)
         SELECT id, 'viewer', 'bench', $1, $2, 'bench' FROM organisations WHERE name = 'bench-org-1'`,
        [key.hash, key.displayPrefix],
      );
      apiKey = key.secret;
    } finally {
      await db.end();
    }
    log(`seeded ${LISTINGS} listings in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

    api = await ApiProcess.start({
      databaseUrl: database.url,
      redisUrl: REDIS_URL,
      redisKeyPrefix: REDIS_PREFIX,
      poolSize: API_POOL_SIZE,
      showOutput: true,
    });
    const base = api.base;
    const headers = { authorization: `Bearer ${apiKey}` };
    pool = new pg.Pool({ connectionString: database.url, max: CONCURRENCY });
    smallPool = new pg.Pool({ connectionString: database.url, max: API_POOL_SIZE });
    const mix = await variants(base, headers);
    await checkSameRows(base, headers, pool, mix);
    log(`mix: ${mix.length} URLs (${mix.filter((v) => v.after).length} of them second pages), e.g. ${mix[2]!.path}`);

    // Warm both paths (JIT, plan caches, shared buffers) before measuring either.
    checkClean(await cannon(base, headers, mix, { seconds: 5 }), 'warm-up');
    await rawSql(pool, mix, 3);
    await rawSql(smallPool, mix, 3);

    const endpoint = await cannon(base, headers, mix, { seconds: SECONDS });
    checkClean(endpoint, '(a)');
    const endpointRps = endpoint.requests.total / endpoint.duration;
    const raw = await rawSql(pool, mix, SECONDS);
    const rawSmall = await rawSql(smallPool, mix, SECONDS);
    const fixed = await cannon(base, headers, mix, { seconds: SECONDS, overallRate: FIXED_RATE });
    checkClean(fixed, '(c)');
    const fixed10 = await cannon(base, headers, mix, { seconds: SECONDS, overallRate: FIXED_RATE, connections: 10 });
    checkClean(fixed10, '(c) 10 connections');

    const rps = (r: Result) => (r.requests.total / r.duration).toFixed(0).padStart(6);
    const goal = (ok: boolean) => (ok ? 'met' : 'MISSED');
    const ratio = endpointRps / raw.rps;
    const ratioSmall = endpointRps / rawSmall.rps;
    log('');
    log(`listings search: ${LISTINGS} listings, ${mix.length} URLs, ${SECONDS} s per figure, API pool ${API_POOL_SIZE}`);
    log(`(a)  GET /v1/listings, autocannon, 50 connections   ${rps(endpoint)} req/s      p50 ${endpoint.latency.p50} ms  p99 ${endpoint.latency.p99} ms`);
    log(`(b)  same SQL, raw pg Pool of 50, 50 callers        ${raw.rps.toFixed(0).padStart(6)} queries/s  ratio (a)/(b)  ${ratio.toFixed(2)}  goal >= 0.5: ${goal(ratio >= 0.5)}`);
    log(`(b') same SQL, raw pg Pool of ${String(API_POOL_SIZE).padEnd(2)}, 50 callers        ${rawSmall.rps.toFixed(0).padStart(6)} queries/s  ratio (a)/(b') ${ratioSmall.toFixed(2)}  goal >= 0.5: ${goal(ratioSmall >= 0.5)}`);
    log(`(c)  GET /v1/listings at ${FIXED_RATE} req/s, 50 connections ${rps(fixed)} req/s      p50 ${fixed.latency.p50} ms  p99 ${fixed.latency.p99} ms  goal p99 < 25 ms: ${goal(fixed.latency.p99 < 25)}`);
    log(`(c') GET /v1/listings at ${FIXED_RATE} req/s, 10 connections ${rps(fixed10)} req/s      p50 ${fixed10.latency.p50} ms  p99 ${fixed10.latency.p99} ms  goal p99 < 25 ms: ${goal(fixed10.latency.p99 < 25)}`);
  } finally {
    await cleanup();
  }
}

await main();
