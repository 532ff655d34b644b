import 'reflect-metadata';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { type LedgerAccount, LedgerModule, LedgerService, type LineInput } from '@app/ledger';
import { allocate, money } from '@app/money';
import { Transactions, createDataSource, runMigrations } from '@app/platform';
import { BenchDatabase, log, newRunId, onceCleanup } from './support/harness.js';

/**
 * `npm run bench:ledger`: balanced journal entries through LedgerService.post, in process (no
 * HTTP), beside raw INSERTs of the same rows through pg, in one run.
 *
 *   (a) 8 concurrent clients post through LedgerService (a Nest application context with the
 *       platform's DataSource, pool of 8, and Transactions) for BENCH_SECONDS, after a 2 s
 *       warm-up that is not counted. Each entry is, at random, a 2-line funding (debit a
 *       deal's clearing account, credit its escrow) or a 4-line release (debit the escrow,
 *       credit the seller's payable, the broker's commission and the deal's fees, split
 *       92.5 / 5 / 2.5 % by allocate), of a deal drawn at random from BENCH_DEALS, with every
 *       invariant on: the balance trigger and its non-negative CHECK (escrow accounts may not
 *       go negative; each is funded with 10^12 first), the deferred per-entry and per-line
 *       balance checks, the append-only triggers, the foreign keys.
 *   (b) 8 concurrent clients insert the same rows (the entry and its lines, in the same one
 *       statement) through a raw pg Pool of 8 into plain copies of journal_entries and
 *       journal_lines (same columns, defaults and indexes; no trigger, CHECK or foreign key,
 *       no balance row to update), with the same warm-up.
 *   Both shapes are measured: the entry as its own transaction (one statement, which is how
 *   post runs outside a caller's transaction) and inside BEGIN ... COMMIT (how it runs in a
 *   caller's transaction: escrow, billing). (a) and (b) alternate, so that both see the same
 *   machine. Then the rates, their ratio and the issue's goal, >= 5,000 entries/s.
 *   (c) One hot account: 2-line entries that all debit one platform clearing account, through
 *       the service, for half of BENCH_SECONDS: every posting queues on that balance row's lock.
 *
 * Checked after the run and printed at the end: the entries posted against those counted,
 * every entry at least 2 lines and netting to zero per currency, every balance equal to the
 * sum of its account's lines, no account that may not go negative below zero, the trial
 * balance's debits equal to its credits, the raw rows against those counted.
 *
 * Works in its own database ipv4market_bench_ledger_<run> (dropped at the end, also on SIGINT).
 * Settings: BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_SECONDS (default 10), BENCH_DEALS (default 1000).
 */

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const DEALS = Number(process.env.BENCH_DEALS ?? 1000);
const CLIENTS = 8;
const WARM_UP_SECONDS = 2;
const GOAL = 5000;
const RUN_ID = newRunId();
const ESCROW_FUNDING = 10n ** 12n;
const SPLIT = [9250, 500, 250];

interface Deal {
  readonly clearing: LedgerAccount;
  readonly escrow: LedgerAccount;
  readonly payable: LedgerAccount;
  readonly commission: LedgerAccount;
  readonly fees: LedgerAccount;
}

interface Entry {
  readonly key: string;
  readonly reference: string;
  readonly lines: readonly (LineInput & { readonly currency: string })[];
}

type Shape = 'statement' | 'transaction';

interface Outcome {
  done: number;
  twoLine: number;
  fourLine: number;
  seconds: number;
  /** CPU time of this (the client) process, in seconds. */
  clientCpu: number;
  readonly errors: Map<string, number>;
}

let sequence = 0;

const randomDeal = (deals: readonly Deal[]) => deals[Math.floor(Math.random() * deals.length)]!;
const randomAmount = () => BigInt(100 + Math.floor(Math.random() * 100_000));

/** Money in for a deal: debit a clearing account (the deal's unless given), credit the deal's escrow. */
function funding(d: Deal, phase: string, clearingId = d.clearing.id): Entry {
  const amount = randomAmount();
  return {
    key: `${RUN_ID}:${phase}:${++sequence}`,
    reference: `bench:${d.escrow.reference}:funded`,
    lines: [
      { accountId: clearingId, currency: 'USD', amountMinor: amount },
      { accountId: d.escrow.id, currency: 'USD', amountMinor: -amount },
    ],
  };
}

/** A random funding (2 lines) or release (4 lines) of a random deal; a release takes far less than an escrow was funded with. */
function randomEntry(deals: readonly Deal[], phase: string): Entry {
  const d = randomDeal(deals);
  if (Math.random() < 0.5) return funding(d, phase);
  const amount = randomAmount();
  const [seller, broker, platform] = allocate(money(amount, 'USD'), SPLIT).map((m) => m.amountMinor);
  return {
    key: `${RUN_ID}:${phase}:${++sequence}`,
    reference: `bench:${d.escrow.reference}:released`,
    lines: [
      { accountId: d.escrow.id, currency: 'USD', amountMinor: amount },
      { accountId: d.payable.id, currency: 'USD', amountMinor: -seller! },
      { accountId: d.commission.id, currency: 'USD', amountMinor: -broker! },
      { accountId: d.fees.id, currency: 'USD', amountMinor: -platform! },
    ],
  };
}

/** CLIENTS concurrent loops of `post` until time is up; errors counted by code, not thrown. */
async function drive(seconds: number, next: () => Entry, post: (e: Entry) => Promise<unknown>): Promise<Outcome> {
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  const cpu = process.cpuUsage();
  const out: Outcome = { done: 0, twoLine: 0, fourLine: 0, seconds: 0, clientCpu: 0, errors: new Map() };
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until) {
        const entry = next();
        try {
          await post(entry);
          out.done++;
          if (entry.lines.length === 2) out.twoLine++;
          else out.fourLine++;
        } catch (err) {
          const e = err as { code?: string; driverError?: { code?: string } };
          const code = e.code ?? e.driverError?.code ?? String(err);
          out.errors.set(code, (out.errors.get(code) ?? 0) + 1);
        }
      }
    }),
  );
  out.seconds = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  out.clientCpu = (used.user + used.system) / 1e6;
  return out;
}

const RAW_TABLES = `
  CREATE TABLE raw_journal_entries (LIKE journal_entries INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
  CREATE TABLE raw_journal_lines (LIKE journal_lines INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);`;

/** The service's statement, on the raw tables, with the currency given rather than read from the account. */
const RAW_SQL = `
  WITH e AS (
    INSERT INTO raw_journal_entries (idempotency_key, reference, description, reverses, created_by)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, posted_at),
  l AS (
    INSERT INTO raw_journal_lines (entry_id, account_id, currency, amount_minor)
    SELECT e.id, x.account_id, x.currency, x.amount_minor
      FROM e CROSS JOIN unnest($6::uuid[], $7::text[], $8::bigint[]) WITH ORDINALITY AS x (account_id, currency, amount_minor, n)
     ORDER BY x.n
    RETURNING id, account_id, currency, amount_minor)
  SELECT e.id, e.posted_at, l.account_id, l.currency, l.amount_minor FROM e CROSS JOIN l ORDER BY l.id`;

async function rawPost(pool: pg.Pool, shape: Shape, e: Entry): Promise<void> {
  const lines = [...e.lines].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  const params = [e.key, e.reference, '', null, 'bench', lines.map((l) => l.accountId), lines.map((l) => l.currency), lines.map((l) => l.amountMinor)];
  if (shape === 'statement') {
    await pool.query(RAW_SQL, params);
    return;
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(RAW_SQL, params);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function setUpDeals(ledger: LedgerService, db: pg.Client): Promise<Deal[]> {
  const { rows: orgs } = await db.query<{ id: string }>(
    `INSERT INTO organisations (name) SELECT 'bench-org-' || g FROM generate_series(1, 200) g RETURNING id`,
  );
  const deals: Deal[] = [];
  for (let start = 0; start < DEALS; start += CLIENTS) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(CLIENTS, DEALS - start) }, async (_, j) => {
        const i = start + j;
        const deal = `deal-${i}`;
        const seller = orgs[i % 100]!.id;
        const broker = orgs[100 + (i % 100)]!.id;
        return {
          clearing: await ledger.account({ owner: 'platform', purpose: 'clearing', currency: 'USD', reference: deal }),
          escrow: await ledger.account({ owner: 'platform', purpose: 'escrow', currency: 'USD', reference: deal }),
          payable: await ledger.account({ owner: { orgId: seller }, purpose: 'payable', currency: 'USD', reference: deal }),
          commission: await ledger.account({ owner: { orgId: broker }, purpose: 'commission', currency: 'USD', reference: deal }),
          fees: await ledger.account({ owner: 'platform', purpose: 'fees', currency: 'USD', reference: deal }),
        };
      }),
    );
    deals.push(...batch);
  }
  for (let start = 0; start < deals.length; start += CLIENTS) {
    await Promise.all(
      deals.slice(start, start + CLIENTS).map((d) =>
        ledger.post({
          idempotencyKey: `${RUN_ID}:seed:${d.escrow.id}`,
          reference: `bench:${d.escrow.reference}:seed`,
          createdBy: 'bench-seed',
          lines: [
            { accountId: d.clearing.id, amountMinor: ESCROW_FUNDING },
            { accountId: d.escrow.id, amountMinor: -ESCROW_FUNDING },
          ],
        }),
      ),
    );
  }
  return deals;
}

async function sanity(db: pg.Client) {
  const { rows } = await db.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM journal_entries WHERE created_by = 'bench') AS entries,
            (SELECT count(*)::int FROM (SELECT 1 FROM journal_lines GROUP BY entry_id, currency HAVING sum(amount_minor) <> 0) t) AS unbalanced,
            (SELECT count(*)::int FROM (SELECT 1 FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id GROUP BY e.id HAVING count(l.id) < 2) t) AS short,
            (SELECT count(*)::int FROM ledger_balances b
               LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM journal_lines GROUP BY account_id) s ON s.account_id = b.account_id
              WHERE b.balance_minor <> b.sign * coalesce(s.total, 0)) AS wrong_balances,
            (SELECT count(*)::int FROM ledger_balances) AS balances,
            (SELECT count(*)::int FROM ledger_balances WHERE NOT may_go_negative AND balance_minor < 0) AS negative,
            (SELECT count(*)::int FROM raw_journal_entries) AS raw_entries,
            (SELECT count(*)::int FROM journal_lines) AS lines,
            (SELECT count(*)::int FROM raw_journal_lines) AS raw_lines`,
  );
  return rows[0]!;
}

@Global()
@Module({})
class BenchDatabaseModule {
  static forUrl(url: string) {
    return {
      module: BenchDatabaseModule,
      providers: [
        { provide: DataSource, useFactory: () => createDataSource({ databaseUrl: url, poolSize: CLIENTS, applicationName: 'bench-ledger' }).initialize() },
        Transactions,
      ],
      exports: [DataSource, Transactions],
    };
  }
}

async function main(): Promise<void> {
  const wallStarted = Date.now();
  const database = new BenchDatabase(ADMIN_URL, `ipv4market_bench_ledger_${RUN_ID}`);
  let ctx: INestApplicationContext | undefined;
  let db: pg.Client | undefined;
  let pool: pg.Pool | undefined;
  const cleanup = onceCleanup(async () => {
    await Promise.allSettled([db?.end(), pool?.end(), ctx?.get(DataSource).destroy().then(() => ctx?.close())]);
    await database.drop();
    log(`dropped ${database.name}`);
  });
  try {
    await database.create();
    log(`database ${database.name}`);
    await runMigrations(database.url);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    await db.query(RAW_TABLES);

    @Module({ imports: [BenchDatabaseModule.forUrl(database.url), LedgerModule] })
    class BenchLedgerModule {}
    ctx = await NestFactory.createApplicationContext(BenchLedgerModule, { logger: false });
    const ledger = ctx.get(LedgerService);
    const tx = ctx.get(Transactions);
    pool = new pg.Pool({ connectionString: database.url, max: CLIENTS, application_name: 'bench-ledger-raw' });

    const seedStarted = Date.now();
    const deals = await setUpDeals(ledger, db);
    await db.query('ANALYZE');
    log(`set up ${deals.length} deals (5 accounts each), escrows funded, in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

    const service = (shape: Shape) => (e: Entry) => {
      const input = { idempotencyKey: e.key, reference: e.reference, createdBy: 'bench', lines: e.lines.map(({ accountId, amountMinor }) => ({ accountId, amountMinor })) };
      return shape === 'statement' ? ledger.post(input) : tx.tx(() => ledger.post(input));
    };
    const results = new Map<string, Outcome>();
    const counted = { service: 0, raw: 0 };
    for (const shape of ['statement', 'transaction'] as const) {
      await drive(WARM_UP_SECONDS, () => randomEntry(deals, 'warm-up'), service(shape)).then((o) => (counted.service += o.done));
      await drive(WARM_UP_SECONDS, () => randomEntry(deals, 'warm-up'), (e) => rawPost(pool!, shape, e)).then((o) => (counted.raw += o.done));
      const a = await drive(SECONDS, () => randomEntry(deals, 'a'), service(shape));
      const b = await drive(SECONDS, () => randomEntry(deals, 'b'), (e) => rawPost(pool!, shape, e));
      counted.service += a.done;
      counted.raw += b.done;
      results.set(`a:${shape}`, a);
      results.set(`b:${shape}`, b);
    }

    // (c) one hot account: every entry debits the same platform clearing account.
    const hot = await ledger.account({ owner: 'platform', purpose: 'clearing', currency: 'USD', reference: 'bench-hot' });
    const hotEntry = () => funding(randomDeal(deals), 'c', hot.id);
    const c = await drive(SECONDS / 2, hotEntry, service('statement'));
    counted.service += c.done;

    const checked = await sanity(db);
    const trial = await ledger.trialBalance();

    const rate = (o: Outcome) => o.done / o.seconds;
    const errors = (o: Outcome) => [...o.errors].map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
    const fmt = (n: number) => n.toFixed(0).padStart(6);
    const line = (label: string, o: Outcome) =>
      log(
        `${label} ${fmt(rate(o))} entries/s   (${o.done} in ${o.seconds.toFixed(1)} s: ${o.twoLine} 2-line, ${o.fourLine} 4-line; ` +
          `client CPU ${((100 * o.clientCpu) / o.seconds).toFixed(0)}% of a core; errors: ${errors(o)})`,
      );
    log('');
    log(`ledger: ${DEALS} deals x 5 accounts, ${CLIENTS} concurrent clients, ${SECONDS} s per figure, entries half 2-line and half 4-line`);
    line('(a)  LedgerService.post, entry as its own statement     ', results.get('a:statement')!);
    line('(b)  raw pg INSERT, same statement, plain tables         ', results.get('b:statement')!);
    line("(a') LedgerService.post inside BEGIN ... COMMIT (tx.tx)  ", results.get('a:transaction')!);
    line("(b') raw pg BEGIN, the same INSERT, COMMIT               ", results.get('b:transaction')!);
    line('(c)  LedgerService.post, every entry on one hot account  ', c);
    log('');
    const a = rate(results.get('a:statement')!);
    const b = rate(results.get('b:statement')!);
    const a2 = rate(results.get('a:transaction')!);
    const b2 = rate(results.get('b:transaction')!);
    log(`ledger entries/s        ${a.toFixed(0)} (own statement), ${a2.toFixed(0)} (in a transaction)`);
    log(`raw pg entries/s        ${b.toFixed(0)} (own statement), ${b2.toFixed(0)} (in a transaction)`);
    log(`ratio (a)/(b)           ${(a / b).toFixed(3)}  (a')/(b') ${(a2 / b2).toFixed(3)}`);
    log(`goal >= 5,000 entries/s: ${a >= GOAL ? 'met' : 'not met'} (${a.toFixed(0)} entries/s with every invariant on)`);
    log('');
    const ok = (good: boolean) => (good ? 'ok' : 'WRONG');
    log(`sanity: entries posted by the bench ${checked.entries}, counted ${counted.service}: ${ok(checked.entries === counted.service)}`);
    log(`sanity: entries with fewer than 2 lines ${checked.short}, (entry, currency) not netting to zero ${checked.unbalanced}: ${ok(checked.short === 0 && checked.unbalanced === 0)}`);
    log(`sanity: balances not equal to the sum of their lines ${checked.wrong_balances} of ${checked.balances}: ${ok(checked.wrong_balances === 0)}`);
    log(`sanity: accounts that may not go negative below zero ${checked.negative}: ${ok(checked.negative === 0)}`);
    log(`sanity: trial balance ${trial.map((t) => `${t.currency} debits ${t.debitsMinor} credits ${t.creditsMinor}`).join('; ')}: ${ok(trial.every((t) => t.debitsMinor === t.creditsMinor))}`);
    log(`sanity: raw entries ${checked.raw_entries}, counted ${counted.raw}: ${ok(checked.raw_entries === counted.raw)}; lines ${checked.lines} (ledger), ${checked.raw_lines} (raw)`);
    log(`wall time ${((Date.now() - wallStarted) / 1000).toFixed(0)} s (set-up, runs and checks; without the build)`);
  } finally {
    await cleanup();
  }
}

await main();
