import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * `npm run bench:commitments-constraint`: the candidate designs of the space-commitments
 * table (issue 4), rows (prefix cidr, period tstzrange, kind, ref) of which no two may
 * overlap in address AND period, measured at a million rows on this machine.
 *
 *   A  EXCLUDE USING gist (prefix inet_ops WITH &&, period WITH &&)
 *   B  an `addr int8range` column, [first address, last address + 1), written by the caller
 *      beside the cidr; EXCLUDE USING gist (addr WITH &&, period WITH &&)
 *   C  as B, but `addr` is a STORED generated column computed from the cidr, so it cannot
 *      disagree with it (the caller writes only the cidr)
 *
 * Per variant: the same million rows are copied in without the constraint, which is then
 * built in one go (timed), then
 *   (1) single-row INSERTs (autocommit, non-conflicting: a seeded /24 for a period in 2050,
 *       each unit once) from 1 connection and from 8 concurrent connections, ~SECONDS each;
 *   (2) conflicting INSERTs (a seeded row's unit, one day inside its period): every one must
 *       fail with SQLSTATE 23P01; median and p99 latency of the rejection;
 *   (3) "is this unit free for this period": EXISTS (... prefix && $1 AND period && $2), or
 *       the addr form, over PROBES random /24s and 12-month periods; median and p99.
 * Every loop is bounded by a count and by time.
 *
 * The seed (fixed seed, set-based): /22 blocks from 11.0.0.0; one block in twenty committed
 * as a single /22, the others as four /24 units; each unit has 1-4 consecutive periods of
 * 1-36 months from a random start in 2023-2025; cut at ROWS rows.
 *
 * Works in its own database (name contains 'bench'), dropped at the end, also on SIGINT.
 * Settings: BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_COMMITMENTS (default 1000000), BENCH_SECONDS (default 5), BENCH_PROBES (default 1000),
 * BENCH_BUILD_TIMEOUT_S (default 600: a variant whose constraint build takes longer is reported
 * as such and not measured; A took ~390 s here, B and C ~28 s).
 */

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.env.BENCH_COMMITMENTS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PROBES = Number(process.env.BENCH_PROBES ?? 1000);
const CONFLICTS = 500;
/** Bound on one constraint build (its check probes the new index once per row). */
const BUILD_TIMEOUT_S = Number(process.env.BENCH_BUILD_TIMEOUT_S ?? 600);
const CONCURRENCY = 8;
const RUN_ID = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const DB_NAME = `ipv4market_bench_commitments_${RUN_ID}`;
const BASE = 11 * 2 ** 24; // 11.0.0.0

const log = (msg: string) => process.stdout.write(`${msg}\n`);

/** The address range of a cidr, [first, last + 1), as SQL over column or parameter `x`. */
const addrOf = (x: string) => `int8range(${x} - '0.0.0.0'::inet, broadcast(${x}) - '0.0.0.0'::inet + 1)`;

interface Variant {
  key: string;
  label: string;
  /** Columns beyond (id, prefix, period, kind, ref). */
  extraColumns: string;
  /** Copies the seed into the table (no constraint yet). */
  load: string;
  constraint: string;
  insert: string;
  /** Values of `insert` for a cidr, its [first, last + 1) and a period. */
  insertValues: (cidr: string, range: string, period: string) => unknown[];
  probe: string;
  probeValues: (cidr: string, range: string, period: string) => unknown[];
}

const VARIANTS: Variant[] = [
  {
    key: 'B',
    label: 'B gist (addr int8range &&, period &&)',
    extraColumns: ', addr int8range NOT NULL',
    load: `INSERT INTO commitments_b (prefix, addr, period, kind, ref) SELECT prefix, ${addrOf('prefix')}, period, kind, ref FROM seed`,
    constraint: `ALTER TABLE commitments_b ADD CONSTRAINT commitments_b_no_overlap EXCLUDE USING gist (addr WITH &&, period WITH &&)`,
    insert: `INSERT INTO commitments_b (prefix, addr, period, kind, ref) VALUES ($1::cidr, $2::int8range, $3::tstzrange, 'lease', gen_random_uuid())`,
    insertValues: (cidr, range, period) => [cidr, range, period],
    probe: `SELECT EXISTS (SELECT 1 FROM commitments_b WHERE addr && $1::int8range AND period && $2::tstzrange) AS taken`,
    probeValues: (_cidr, range, period) => [range, period],
  },
  {
    key: 'C',
    label: 'C as B, addr GENERATED from the cidr',
    extraColumns: `, addr int8range NOT NULL GENERATED ALWAYS AS (${addrOf('prefix')}) STORED`,
    load: `INSERT INTO commitments_c (prefix, period, kind, ref) SELECT prefix, period, kind, ref FROM seed`,
    constraint: `ALTER TABLE commitments_c ADD CONSTRAINT commitments_c_no_overlap EXCLUDE USING gist (addr WITH &&, period WITH &&)`,
    insert: `INSERT INTO commitments_c (prefix, period, kind, ref) VALUES ($1::cidr, $2::tstzrange, 'lease', gen_random_uuid())`,
    insertValues: (cidr, _range, period) => [cidr, period],
    // The caller passes the cidr only; the range is computed the same way as the column.
    probe: `SELECT EXISTS (SELECT 1 FROM commitments_c WHERE addr && ${addrOf('$1::cidr')} AND period && $2::tstzrange) AS taken`,
    probeValues: (cidr, _range, period) => [cidr, period],
  },
  {
    key: 'A',
    label: 'A gist (prefix inet_ops &&, period &&)',
    extraColumns: '',
    load: `INSERT INTO commitments_a (prefix, period, kind, ref) SELECT prefix, period, kind, ref FROM seed`,
    constraint: `ALTER TABLE commitments_a ADD CONSTRAINT commitments_a_no_overlap EXCLUDE USING gist (prefix inet_ops WITH &&, period WITH &&)`,
    insert: `INSERT INTO commitments_a (prefix, period, kind, ref) VALUES ($1::cidr, $2::tstzrange, 'lease', gen_random_uuid())`,
    insertValues: (cidr, _range, period) => [cidr, period],
    probe: `SELECT EXISTS (SELECT 1 FROM commitments_a WHERE prefix && $1::cidr AND period && $2::tstzrange) AS taken`,
    probeValues: (cidr, _range, period) => [cidr, period],
  },
];

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The k-th seeded /24 unit (blocks committed whole as a /22 skipped). */
function unit24(k: number): { cidr: string; range: string } {
  // Blocks g with g % 20 = 0 are /22s; the others hold four /24s each.
  const block = Math.floor(k / 76) * 20 + 1 + Math.floor((k % 76) / 4);
  const first = BASE + block * 1024 + (k % 4) * 256;
  return { cidr: `${ipv4(first)}/24`, range: `[${first},${first + 256})` };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function seed(db: pg.Client): Promise<{ units24: number; seconds: number }> {
  const started = Date.now();
  await db.query(`SET synchronous_commit = off; SET maintenance_work_mem = '512MB'; SELECT setseed(0.42)`);
  // Units: ~ROWS / 2.5 of them (1-4 periods each, 2.5 on average), with margin; cut at ROWS rows below.
  const units = Math.ceil((ROWS / 2.5) * 1.1);
  const blocks = Math.ceil(units / 3.85) + 1;
  await db.query(
    `CREATE UNLOGGED TABLE seed AS
     WITH u AS (
       SELECT network(set_masklen(('11.0.0.0'::inet + g * 1024 + q * 256), CASE WHEN g % 20 = 0 THEN 22 ELSE 24 END))::cidr AS prefix,
              1 + floor(random() * 4)::int AS n,
              timestamptz '2023-01-01 00:00:00+00' + interval '1 day' * floor(random() * 1095) AS start
         FROM generate_series(0::bigint, $1::bigint - 1) g
         CROSS JOIN generate_series(0, 3) q
        WHERE g % 20 <> 0 OR q = 0
     ), p AS (
       SELECT u.prefix, u.start, k, 1 + floor(random() * 36)::int AS months
         FROM u CROSS JOIN LATERAL generate_series(1, u.n) k
     ), c AS (
       SELECT prefix, k,
              start + interval '1 month' * (sum(months) OVER w - months) AS lo,
              start + interval '1 month' * sum(months) OVER w AS hi
         FROM p WINDOW w AS (PARTITION BY prefix ORDER BY k)
     )
     SELECT prefix, tstzrange(lo, hi, '[)') AS period, CASE WHEN random() < 0.9 THEN 'lease' ELSE 'sale' END AS kind,
            gen_random_uuid() AS ref
       FROM c ORDER BY prefix, lo LIMIT $2`,
    [blocks, ROWS],
  );
  const { rows } = await db.query<{ n: string; max: string }>(`SELECT count(*) AS n, max(prefix)::text AS max FROM seed`);
  if (Number(rows[0]!.n) !== ROWS) throw new Error(`seeded ${rows[0]!.n} rows, wanted ${ROWS}`);
  const { rows: u } = await db.query<{ n: string }>(`SELECT count(DISTINCT prefix) AS n FROM seed WHERE masklen(prefix) = 24`);
  return { units24: Number(u[0]!.n), seconds: (Date.now() - started) / 1000 };
}

interface Figures {
  loadS: number;
  buildS: number;
  sizeMb: number;
  ins1: number;
  ins8: number;
  conflictP50: number;
  conflictP99: number;
  conflicts: number;
  probeP50: number;
  probeP99: number;
  probes: number;
  plan: string;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function measure(v: Variant, pool: pg.Pool, db: pg.Client, units24: number, nextUnit: () => number): Promise<Figures | null> {
  const table = `commitments_${v.key.toLowerCase()}`;
  await db.query(`CREATE TABLE ${table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, prefix cidr NOT NULL${v.extraColumns},
                   period tstzrange NOT NULL, kind text NOT NULL, ref uuid NOT NULL)`);
  const loadMs = await timed(() => db.query(v.load));
  await db.query(`SET statement_timeout = '${BUILD_TIMEOUT_S}s'`);
  let timedOut = false;
  const buildMs = await timed(async () => {
    try {
      await db.query(v.constraint);
    } catch (e) {
      if ((e as { code?: string }).code !== '57014') throw e;
      timedOut = true;
    }
  });
  await db.query(`SET statement_timeout = 0`);
  if (timedOut) {
    log(`  ${v.key}: constraint build cancelled after ${(buildMs / 1000).toFixed(0)} s (BENCH_BUILD_TIMEOUT_S); not measured`);
    return null;
  }
  await db.query(`VACUUM (ANALYZE) ${table}`);
  const { rows: size } = await db.query<{ b: string }>(`SELECT pg_relation_size('${table}_no_overlap') AS b`);
  log(`  ${v.key}: copied ${ROWS} rows in ${(loadMs / 1000).toFixed(1)} s, constraint built in ${(buildMs / 1000).toFixed(1)} s`);

  // (1) Non-conflicting single-row inserts: a seeded /24, each at most once, for 2050.
  const period2050 = '[2050-01-01 00:00:00+00,2051-01-01 00:00:00+00)';
  const insertRun = async (connections: number): Promise<number> => {
    const until = Date.now() + SECONDS * 1000;
    const maxPerRun = Math.floor(units24 / 4);
    let done = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        const c = await pool.connect();
        try {
          while (Date.now() < until && done < maxPerRun) {
            const u = unit24(nextUnit());
            await c.query({ name: `ins_${v.key}`, text: v.insert, values: v.insertValues(u.cidr, u.range, period2050) });
            done++;
          }
        } finally {
          c.release();
        }
      }),
    );
    return done / ((Date.now() - started) / 1000);
  };
  await insertRun(1); // warm-up (plan, caches), its rows stay
  const ins1 = await insertRun(1);
  const ins8 = await insertRun(CONCURRENCY);

  // (2) Conflicting inserts: a seeded commitment's prefix, one day inside its period.
  const { rows: victims } = await db.query<{ prefix: string; range: string; period: string }>(
    `SELECT prefix::text AS prefix, (${addrOf('prefix')})::text AS range,
            tstzrange(lower(period) + interval '1 day', lower(period) + interval '2 days')::text AS period
       FROM ${table} TABLESAMPLE SYSTEM (1) REPEATABLE (7) WHERE id <= ${ROWS} LIMIT ${CONFLICTS}`,
  );
  const conflictMs: number[] = [];
  const c = await pool.connect();
  try {
    const until = Date.now() + SECONDS * 1000;
    for (const r of victims) {
      if (Date.now() > until) break;
      let code: string | undefined;
      const ms = await timed(async () => {
        try {
          await c.query({ name: `ins_${v.key}`, text: v.insert, values: v.insertValues(r.prefix, r.range, r.period) });
        } catch (e) {
          code = (e as { code?: string }).code;
        }
      });
      if (code !== '23P01') throw new Error(`${v.key}: a conflicting insert of ${r.prefix} ${r.period} gave ${code ?? 'no error'}, not 23P01`);
      conflictMs.push(ms);
    }

    // (3) Availability probes: a random seeded /24 (or, one in ten, an unseeded one) and a 12-month period.
    const probeMs: number[] = [];
    let taken = 0;
    const probeUntil = Date.now() + Math.max(SECONDS, 10) * 1000;
    let plan = '';
    for (let i = 0; i < PROBES && Date.now() < probeUntil; i++) {
      const u = unit24(Math.floor(Math.random() * (units24 * 1.1)));
      const from = new Date(Date.UTC(2023, Math.floor(Math.random() * 48), 1));
      const to = new Date(Date.UTC(from.getUTCFullYear() + 1, from.getUTCMonth(), 1));
      const period = `[${from.toISOString()},${to.toISOString()})`;
      const values = v.probeValues(u.cidr, u.range, period);
      if (i === 0) {
        const { rows: p } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${v.probe}`.replace(/\$1/g, `'${String(values[0])}'`).replace(/\$2/g, `'${period}'`));
        plan = p.map((x) => x['QUERY PLAN']).find((l) => /Scan/.test(l))?.trim().replace(/\s+\(cost.*$/, '') ?? '?';
      }
      const ms = await timed(async () => {
        const { rows } = await c.query<{ taken: boolean }>({ name: `probe_${v.key}`, text: v.probe, values });
        if (rows[0]!.taken) taken++;
      });
      probeMs.push(ms);
    }
    log(`  ${v.key}: ${taken} of ${probeMs.length} probes found the unit taken; plan: ${plan}`);
    return {
      loadS: loadMs / 1000,
      buildS: buildMs / 1000,
      sizeMb: Number(size[0]!.b) / 2 ** 20,
      ins1,
      ins8,
      conflictP50: quantile(conflictMs, 0.5),
      conflictP99: quantile(conflictMs, 0.99),
      conflicts: conflictMs.length,
      probeP50: quantile(probeMs, 0.5),
      probeP99: quantile(probeMs, 0.99),
      probes: probeMs.length,
      plan,
    };
  } finally {
    c.release();
  }
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${DB_NAME}`;
  let db: pg.Client | undefined;
  let pool: pg.Pool | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      await Promise.allSettled([pool?.end(), db?.end()]);
      await admin.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
      await admin.end();
      log(`dropped ${DB_NAME}`);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  try {
    await admin.query(`CREATE DATABASE "${DB_NAME}"`);
    log(`database ${DB_NAME}`);
    db = new pg.Client({ connectionString: dbUrl.toString() });
    await db.connect();
    const seeded = await seed(db);
    log(`seeded ${ROWS} commitments (${seeded.units24} /24 units) in ${seeded.seconds.toFixed(1)} s`);
    await db.query(`SET synchronous_commit = on`);
    pool = new pg.Pool({ connectionString: dbUrl.toString(), max: CONCURRENCY });
    const results: [Variant, Figures][] = [];
    const unbuilt: string[] = [];
    for (const v of VARIANTS) {
      // Each variant inserts its own sequence of units (shuffled by a stride), each unit once.
      let k = 0;
      const stride = seeded.units24 % 7919 === 0 ? 7907 : 7919;
      const nextUnit = () => (k++ * stride) % seeded.units24;
      const r = await measure(v, pool, db, seeded.units24, nextUnit);
      if (r) results.push([v, r]);
      else unbuilt.push(v.label);
      await db.query(`DROP TABLE commitments_${v.key.toLowerCase()}`); // keep shared buffers for the next variant
    }

    const f = (n: number, d = 0) => n.toFixed(d);
    log('');
    log(`space commitments: ${ROWS} rows, PostgreSQL ${(await db.query<{ v: string }>(`SELECT split_part(current_setting('server_version'), ' ', 1) AS v`)).rows[0]!.v}, ${SECONDS} s per insert figure, ${PROBES} probes`);
    log(
      `${'variant'.padEnd(40)} ${'build s'.padStart(7)} ${'idx MB'.padStart(6)} ${'ins/s 1c'.padStart(8)} ${'ins/s 8c'.padStart(8)} ${'23P01 p50/p99 ms'.padStart(16)} ${'probe p50/p99 ms'.padStart(16)}`,
    );
    for (const [v, r] of results) {
      log(
        `${v.label.padEnd(40)} ${f(r.buildS, 1).padStart(7)} ${f(r.sizeMb).padStart(6)} ${f(r.ins1).padStart(8)} ${f(r.ins8).padStart(8)} ${`${f(r.conflictP50, 2)} / ${f(r.conflictP99, 2)}`.padStart(16)} ${`${f(r.probeP50, 3)} / ${f(r.probeP99, 3)}`.padStart(16)}`,
      );
    }
    for (const label of unbuilt) log(`${label.padEnd(40)} > ${BUILD_TIMEOUT_S} s: the constraint build did not finish, nothing else measured`);
    const score = (r: Figures) => r.ins1 + r.ins8;
    const fastest = [...results].sort((x, y) => score(y[1]) - score(x[1]))[0]!;
    // C derives the range from the cidr, so the two cannot disagree: preferred when within 10 % of the fastest.
    const c = results.find(([v]) => v.key === 'C');
    const best = c && score(c[1]) >= 0.9 * score(fastest[1]) ? c : fastest;
    const a = results.find(([v]) => v.key === 'A')?.[1];
    log('');
    log(
      `recommendation: ${best[0].label} (${f(best[1].ins1)} / ${f(best[1].ins8)} inserts/s at 1 / 8 connections, ` +
        (a ? `${f(best[1].ins1 / a.ins1, 1)}x variant A at 1 connection` : `variant A's constraint did not even build within ${BUILD_TIMEOUT_S} s`) + `; probe median ${f(best[1].probeP50, 3)} ms)` +
        (best !== fastest ? `; within 10 % of ${fastest[0].key}, and its addr cannot disagree with the cidr` : ''),
    );
  } finally {
    await cleanup();
  }
}

await main();
