import pg from 'pg';
import { DEADLINE_KIND_NAMES, type DeadlineKind, INCREMENTAL_KINDS, SCAN_OVERLAP_MS, type ScanMode, THRESHOLDS, type ThresholdName, notificationInsert } from '@app/deadlines';
import { runMigrations } from '@app/platform';
import { BenchDatabase, log, newRunId, onceCleanup } from './support/harness.js';
import { seedLeaseListings } from './support/seed-leases.js';

/**
 * `npm run bench:deadlines`: the deadline scan (job deadlines.scan, issue 7) over a million
 * leases, with the very statements NotificationScan runs (notificationInsert), through a raw
 * pg client, beside a baseline measured in the same run.
 *
 * The seed: LEASES active leases of a /24 each, 12-month terms started evenly over the last
 * 12 months (so their ends, and their notice deadlines 30 days before, fall evenly over the
 * next 12 months: ~8 % of them inside any 30 days), 70 % with auto-renew; plus the rows every
 * other kind reads, empty of deadlines (so each of the 44 statements runs, as in production).
 *
 *   (1) the first scan: a full sweep, every deadline within 30 days gets its notification
 *       (batches of 500 as the job does; SQL only: no e-mail, no webhook events, for there
 *       are no contacts);
 *   (2) the scan the job runs every minute once caught up: incremental for the big kinds
 *       (the dates that crossed a threshold since the last run, and the leases changed since,
 *       with SCAN_OVERLAP_MS of overlap), the small kinds whole; 44 statements; median and
 *       worst of BENCH_RUNS runs, each a minute after the one before. Goal (issue 7): < 100 ms;
 *   (3) the baseline: the same windows' source queries alone (SELECT count(*)), no anti-join,
 *       no insert: the least any scan must read;
 *   (4) the full sweep (the hourly safety net), caught up, beside its bands read alone;
 *   (5) the clock a day ahead: a day of crossings at once;
 *   (6) the query plans (EXPLAIN ANALYZE, BUFFERS) of the heaviest statements.
 *
 * Works in its own database (name contains 'bench'), dropped at the end, also on SIGINT.
 * Settings: BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_LEASES (default 1000000), BENCH_RUNS (default 7).
 */

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LEASES = Number(process.env.BENCH_LEASES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const BATCH = 500;
const DAY = 86_400_000;
const WINDOWS = { escrowFundingWindowMs: 14 * DAY, escrowRegistryProgressMs: 60 * DAY };

const ms = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function seed(db: pg.Client): Promise<void> {
  // /16 blocks of 256 units, at most half of each leased: 8,000 blocks carry a million /24s.
  const blocks = Math.max(1, Math.ceil(LEASES / 125));
  const s = await seedLeaseListings(db, blocks, LEASES, (m) => log(`  seed: ${m}`));
  const started = process.hrtime.bigint();
  await db.query(
    `INSERT INTO leases (listing_id, block_id, lessor_org_id, holder_org_id, lessee_org_id, prefix, rir, lessee_asn, term_months, auto_renew,
                         notice_days, price_minor, monthly_minor, currency, status, starts_at, ends_at, notice_deadline, commitment_id,
                         version, created_at, updated_at, next_bill_at)
     SELECT l.id, c.block_id, l.lister_org_id, l.holder_org_id, $1, c.prefix, l.rir, 64500, 12, (hashtext(c.id::text || 'renew') & 1023) < 717,
            30, 10240, 10240, 'USD', 'active', x.starts_at, x.starts_at + interval '12 months', x.starts_at + interval '12 months' - interval '30 days', c.id,
            1, date_trunc('milliseconds', x.starts_at), x.starts_at, x.starts_at + interval '12 months'
       FROM space_commitments c JOIN listings l ON l.block_id = c.block_id
       -- A start per row, spread evenly over the last year (a hash of the commitment: random() in
       -- a lateral subquery would be computed once for all rows).
       CROSS JOIN LATERAL (SELECT date_trunc('milliseconds', now() - ((hashtext(c.id::text) & 1048575) / 1048576.0) * interval '365 days') AS starts_at) x`,
    [s.lesseeOrgId],
  );
  // What the lease scan has done by now: a lease whose notice deadline passed renewed
  // (auto-renew) or is ending with its term.
  await db.query(`UPDATE leases SET term_number = 2, ends_at = ends_at + interval '12 months', notice_deadline = notice_deadline + interval '12 months'
                   WHERE notice_deadline <= now() AND auto_renew`);
  await db.query(`UPDATE leases SET status = 'ending', end_reason = 'no_renewal' WHERE notice_deadline <= now() AND NOT auto_renew`);
  log(`  seed: ${LEASES} leases: ${(ms(started) / 1000).toFixed(1)} s`);
  await db.query('VACUUM ANALYZE');
}

type Mode = { kind: 'full' } | { kind: 'incremental'; since: Date };

/**
 * Runs every statement of a scan at `now`, as NotificationScan.run does: each kind and
 * threshold until a statement inserts fewer than a batch (a full sweep continues after the
 * last row inserted); the big kinds as `mode` says, the others whole. Answers the time and the
 * rows inserted.
 */
async function scan(db: pg.Client, now: Date, mode: Mode): Promise<{ ms: number; inserted: number; statements: number; slowest: { what: string; ms: number } }> {
  const started = process.hrtime.bigint();
  let inserted = 0;
  let statements = 0;
  let slowest = { what: '', ms: 0 };
  for (const kind of DEADLINE_KIND_NAMES) {
    for (const { name } of THRESHOLDS) {
      let after: { dueAt: Date; id: string } | null = null;
      for (;;) {
        const step: ScanMode = mode.kind === 'incremental' && INCREMENTAL_KINDS.has(kind) ? mode : { kind: 'full', after };
        const { sql, params } = notificationInsert(kind, name, now, WINDOWS, BATCH, step);
        const one = process.hrtime.bigint();
        const { rows } = await db.query<{ due_at: Date; deadline_id: string }>(sql, params);
        const took = ms(one);
        statements++;
        if (took > slowest.ms) slowest = { what: `${kind} ${name}`, ms: took };
        inserted += rows.length;
        if (rows.length < BATCH) break;
        const last = rows.reduce((a, b) => (a.due_at > b.due_at || (a.due_at.getTime() === b.due_at.getTime() && a.deadline_id > b.deadline_id) ? a : b));
        after = { dueAt: last.due_at, id: last.deadline_id };
      }
    }
  }
  return { ms: ms(started), inserted, statements, slowest };
}

/** The baseline: the source queries of the same windows alone, counted (no anti-join, no insert). */
async function baseline(db: pg.Client, now: Date, mode: Mode): Promise<{ ms: number; rows: number }> {
  const started = process.hrtime.bigint();
  let rows = 0;
  for (const kind of DEADLINE_KIND_NAMES) {
    for (const { name } of THRESHOLDS) {
      const step: ScanMode = mode.kind === 'incremental' && INCREMENTAL_KINDS.has(kind) ? mode : { kind: 'full' };
      const { sql, params } = notificationInsert(kind, name, now, WINDOWS, BATCH, step);
      const source = sql.slice(sql.indexOf('WITH d AS (') + 'WITH d AS ('.length, sql.indexOf('),\n            fresh AS'));
      const used = params.slice(0, (source.match(/\$\d+/g) ?? []).reduce((m, p) => Math.max(m, Number(p.slice(1))), 0));
      const { rows: r } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${source}) s`, used);
      rows += r[0]!.n;
    }
  }
  return { ms: ms(started), rows };
}

async function plan(db: pg.Client, kind: DeadlineKind, threshold: ThresholdName, now: Date, mode: Mode, label: string): Promise<void> {
  const { sql, params } = notificationInsert(kind, threshold, now, WINDOWS, BATCH, mode.kind === 'incremental' ? mode : { kind: 'full' });
  await db.query('BEGIN');
  try {
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
    log(`\n(6) plan of ${kind} ${threshold}, ${label}:`);
    for (const r of rows) log(`    ${r['QUERY PLAN']}`);
  } finally {
    await db.query('ROLLBACK');
  }
}

async function main(): Promise<void> {
  const database = new BenchDatabase(ADMIN_URL, `ipv4market_bench_deadlines_${newRunId()}`);
  let db: pg.Client | null = null;
  const cleanup = onceCleanup(async () => {
    await db?.end().catch(() => undefined);
    await database.drop();
  });
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    await database.create();
    await runMigrations(database.url);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    log(`bench:deadlines, ${LEASES} leases, database ${database.name}`);
    await seed(db);
    const now = new Date();
    const [{ n: within }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM leases WHERE ends_at <= $1::timestamptz + interval '30 days' OR notice_deadline <= $1::timestamptz + interval '30 days'`, [now])).rows;
    log(`  leases with a notice deadline or an end within 30 days: ${within}`);

    const first = await scan(db, now, { kind: 'full' });
    log(`\n(1) first scan (full): ${first.inserted} notifications in ${(first.ms / 1000).toFixed(2)} s (${first.statements} statements; slowest ${first.slowest.what} ${first.slowest.ms.toFixed(1)} ms)`);
    await db.query('VACUUM ANALYZE notifications');

    // (2) what the job does every minute: incremental from the last run (a minute ago, less the overlap).
    const ticks: number[] = [];
    const bases: number[] = [];
    let inserted = 0;
    let worst = { what: '', ms: 0 };
    let baseRows = 0;
    let at = now;
    for (let i = 0; i < RUNS; i++) {
      const since = new Date(at.getTime() - SCAN_OVERLAP_MS);
      at = new Date(at.getTime() + 60_000);
      const s = await scan(db, at, { kind: 'incremental', since });
      ticks.push(s.ms);
      inserted += s.inserted;
      if (s.slowest.ms > worst.ms) worst = s.slowest;
      const b = await baseline(db, at, { kind: 'incremental', since });
      bases.push(b.ms);
      baseRows = b.rows;
    }
    log(`\n(2) the scan each minute (incremental, 44 statements): median ${median(ticks).toFixed(1)} ms, worst ${Math.max(...ticks).toFixed(1)} ms over ${RUNS} runs` +
      ` (${inserted} notifications inserted in all; slowest statement ${worst.what} ${worst.ms.toFixed(1)} ms). Goal < 100 ms: ${median(ticks) < 100 ? 'met' : 'NOT met'}`);
    log(`(3) baseline, the same windows read alone (${baseRows} rows, no anti-join, no insert): median ${median(bases).toFixed(1)} ms; scan / baseline ${(median(ticks) / median(bases)).toFixed(2)}`);

    // (4) the hourly full sweep once caught up: whole bands, nothing new.
    const sweeps: number[] = [];
    for (let i = 0; i < Math.min(RUNS, 3); i++) sweeps.push((await scan(db, at, { kind: 'full' })).ms);
    const sweepBase = await baseline(db, at, { kind: 'full' });
    log(`(4) the full sweep (hourly safety net), caught up: median ${median(sweeps).toFixed(1)} ms; its bands read alone (${sweepBase.rows} rows): ${sweepBase.ms.toFixed(1)} ms`);

    const since = new Date(at.getTime() - SCAN_OVERLAP_MS);
    const dayLater = new Date(at.getTime() + DAY);
    const jump = await scan(db, dayLater, { kind: 'incremental', since });
    log(`(5) the clock a day ahead (a day of crossings at once): ${jump.inserted} notifications in ${jump.ms.toFixed(1)} ms (${jump.statements} statements)`);

    const tick = { kind: 'incremental' as const, since: new Date(dayLater.getTime() + 60_000 - SCAN_OVERLAP_MS - 60_000) };
    await plan(db, 'lease.notice', 'P30D', new Date(dayLater.getTime() + 60_000), tick, 'incremental (a minute later)');
    await plan(db, 'lease.end', 'overdue', new Date(dayLater.getTime() + 60_000), tick, 'incremental (a minute later)');
    await plan(db, 'lease.notice', 'P30D', new Date(dayLater.getTime() + 60_000), { kind: 'full' }, 'full sweep');
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
