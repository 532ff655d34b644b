import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { type AccountSpec, type LedgerAccount, LedgerModule, LedgerService, type LineInput } from '@app/ledger';
import { allocate, money } from '@app/money';
import { Transactions, createDataSource } from '@app/platform';
import { migrate } from './support/app.js';
import { baseEnv } from './support/test-env.js';

/**
 * The ledger against the real database: the service, and the triggers that hold the
 * invariants whoever writes (raw SQL through pg). The database is shared with the other test
 * files of the run: every test makes accounts of its own (a fresh reference) and looks at
 * those only, or at invariants that hold for every row.
 */

@Global()
@Module({
  providers: [
    { provide: DataSource, useFactory: () => createDataSource({ databaseUrl: baseEnv().DATABASE_URL!, poolSize: 20, applicationName: 'ledger-e2e' }).initialize() },
    Transactions,
  ],
  exports: [DataSource, Transactions],
})
class TestDatabaseModule {}

@Module({ imports: [TestDatabaseModule, LedgerModule] })
class LedgerTestModule {}

describe('ledger (e2e)', () => {
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  let tx: Transactions;
  let raw: pg.Client;

  beforeAll(async () => {
    await migrate();
    ctx = await NestFactory.createApplicationContext(LedgerTestModule, { logger: false });
    ledger = ctx.get(LedgerService);
    tx = ctx.get(Transactions);
    raw = new pg.Client({ connectionString: baseEnv().DATABASE_URL });
    await raw.connect();
  });
  afterAll(async () => {
    await raw?.end();
    await ctx?.get(DataSource).destroy();
    await ctx?.close();
  });

  /** A deal of its own: a platform cash account, the deal's escrow, a seller's payable, a broker's commission, platform fees. */
  async function aDeal(currency = 'USD') {
    const deal = `deal-${randomUUID()}`;
    const [seller] = await raw.query(`INSERT INTO organisations (name) VALUES ($1) RETURNING id`, [`ledger-seller-${randomUUID()}`]).then((r) => r.rows);
    const [broker] = await raw.query(`INSERT INTO organisations (name) VALUES ($1) RETURNING id`, [`ledger-broker-${randomUUID()}`]).then((r) => r.rows);
    return {
      deal,
      cash: await ledger.account({ owner: 'platform', purpose: 'clearing', currency, reference: deal }),
      escrow: await ledger.account({ owner: 'platform', purpose: 'escrow', currency, reference: deal }),
      payable: await ledger.account({ owner: { orgId: seller.id }, purpose: 'payable', currency }),
      commission: await ledger.account({ owner: { orgId: broker.id }, purpose: 'commission', currency }),
      fees: await ledger.account({ owner: 'platform', purpose: 'fees', currency, reference: deal }),
    };
  }

  /** Funding: debit clearing (money in), credit the deal's escrow. */
  const fund = (d: { cash: LedgerAccount; escrow: LedgerAccount; deal: string }, amountMinor: bigint, key = randomUUID()) =>
    ledger.post({
      idempotencyKey: key,
      reference: `${d.deal}:funded`,
      lines: [
        { accountId: d.cash.id, amountMinor },
        { accountId: d.escrow.id, amountMinor: -amountMinor },
      ],
    });

  const balanceOf = async (a: LedgerAccount) => (await ledger.balance(a.id)).balanceMinor;
  const entriesWithKey = async (key: string) => (await raw.query('SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = $1', [key])).rows[0].n;

  /** Runs statements in one transaction through raw pg; answers the error of the first failing statement or of COMMIT. */
  async function rawTransaction(statements: [string, unknown[]?][]): Promise<{ code?: string; message: string } | null> {
    await raw.query('BEGIN');
    try {
      for (const [sql, params] of statements) await raw.query(sql, params);
      await raw.query('COMMIT');
      return null;
    } catch (err) {
      await raw.query('ROLLBACK');
      return err as { code?: string; message: string };
    }
  }

  describe('accounts', () => {
    it('are made once, with a zero balance row, however many callers ask at once', async () => {
      const spec: AccountSpec = { owner: 'platform', purpose: 'escrow', currency: 'EUR', reference: `deal-${randomUUID()}` };
      const accounts = await Promise.all(Array.from({ length: 20 }, () => ledger.account(spec)));
      expect(new Set(accounts.map((a) => a.id)).size).toBe(1);
      const [platform] = (await raw.query(`SELECT id FROM organisations WHERE kind = 'platform'`)).rows;
      expect(accounts[0]).toEqual(
        expect.objectContaining({ ownerOrgId: platform.id, purpose: 'escrow', currency: 'EUR', normalSide: 'credit', mayGoNegative: false, reference: spec.reference }),
      );
      const { rows } = await raw.query('SELECT balance_minor, sign, may_go_negative FROM ledger_balances WHERE account_id = $1', [accounts[0]!.id]);
      expect(rows).toEqual([{ balance_minor: 0n, sign: -1, may_go_negative: false }]);
      await expect(ledger.balance(accounts[0]!.id)).resolves.toEqual({
        accountId: accounts[0]!.id,
        currency: 'EUR',
        balanceMinor: 0n,
        normalSide: 'credit',
        mayGoNegative: false,
      });
    });

    it('are one per owner, purpose, currency and reference (a missing reference included)', async () => {
      const [org] = (await raw.query(`INSERT INTO organisations (name) VALUES ($1) RETURNING id`, [`ledger-org-${randomUUID()}`])).rows;
      const payable = await ledger.account({ owner: { orgId: org.id }, purpose: 'payable', currency: 'USD' });
      expect((await ledger.account({ owner: { orgId: org.id.toUpperCase() }, purpose: 'payable', currency: 'USD', reference: null })).id).toBe(payable.id);
      const others = await Promise.all([
        ledger.account({ owner: { orgId: org.id }, purpose: 'payable', currency: 'EUR' }),
        ledger.account({ owner: { orgId: org.id }, purpose: 'commission', currency: 'USD' }),
        ledger.account({ owner: { orgId: org.id }, purpose: 'payable', currency: 'USD', reference: 'lease-1' }),
        ledger.account({ owner: 'platform', purpose: 'payable', currency: 'USD', reference: `x-${randomUUID()}` }),
      ]);
      expect(new Set([payable.id, ...others.map((a) => a.id)]).size).toBe(5);
    });

    it('refuses an account asked with the other sign rule than it has, an unknown owner and a bad spec', async () => {
      const reference = `cash-${randomUUID()}`;
      const cash = await ledger.account({ owner: 'platform', purpose: 'cash', currency: 'USD', reference, mayGoNegative: false });
      await expect(ledger.account({ owner: 'platform', purpose: 'cash', currency: 'USD', reference, mayGoNegative: true })).rejects.toMatchObject({
        code: 'LEDGER.ACCOUNT_CONFLICT',
        status: 409,
      });
      await expect(ledger.account({ owner: 'platform', purpose: 'cash', currency: 'USD', reference })).resolves.toEqual(cash);
      await expect(ledger.account({ owner: { orgId: randomUUID() }, purpose: 'payable', currency: 'USD' })).rejects.toMatchObject({ code: 'LEDGER.UNKNOWN_OWNER' });
      await expect(ledger.account({ owner: 'platform', purpose: 'escrow', currency: 'USD' })).rejects.toMatchObject({ code: 'LEDGER.INVALID_ACCOUNT_SPEC' });
      await expect(ledger.account({ owner: 'platform', purpose: 'cash', currency: 'usd' })).rejects.toMatchObject({ code: 'LEDGER.UNKNOWN_CURRENCY' });
      await expect(ledger.balance(randomUUID())).rejects.toMatchObject({ code: 'LEDGER.UNKNOWN_ACCOUNT', status: 404 });
      await expect(ledger.balance('not-a-uuid')).rejects.toMatchObject({ code: 'LEDGER.UNKNOWN_ACCOUNT' });
    });

    it('refuse an escrow account that may go negative in the database too, and any UPDATE, DELETE or TRUNCATE', async () => {
      const d = await aDeal();
      const sql = `INSERT INTO ledger_accounts (owner_org_id, purpose, currency, normal_side, may_go_negative, reference)
                   SELECT id, 'escrow', 'USD', 'credit', true, 'x' FROM organisations WHERE kind = 'platform'`;
      await expect(raw.query(sql)).rejects.toMatchObject({ code: '23514' });
      await expect(raw.query(`UPDATE ledger_accounts SET may_go_negative = true WHERE id = $1`, [d.escrow.id])).rejects.toMatchObject({ code: '23001' });
      await expect(raw.query(`DELETE FROM ledger_accounts WHERE id = $1`, [d.escrow.id])).rejects.toMatchObject({ code: '23001' });
      await expect(raw.query(`TRUNCATE ledger_accounts CASCADE`)).rejects.toMatchObject({ code: '23001' });
      expect((await ledger.account({ owner: 'platform', purpose: 'escrow', currency: 'USD', reference: d.deal })).mayGoNegative).toBe(false);
    });
  });

  describe('posting', () => {
    it('posts a balanced 2-line entry and moves both balances in their normal direction', async () => {
      const d = await aDeal();
      const key = randomUUID();
      const entry = await fund(d, 100_000n, key);
      expect(entry).toEqual(
        expect.objectContaining({ idempotencyKey: key, reference: `${d.deal}:funded`, description: '', reverses: null, createdBy: 'system', replayed: false }),
      );
      expect(typeof entry.id).toBe('bigint');
      expect(entry.postedAt).toBeInstanceOf(Date);
      expect([...entry.lines].sort((a, b) => Number(a.amountMinor - b.amountMinor))).toEqual([
        { accountId: d.escrow.id, currency: 'USD', amountMinor: -100_000n },
        { accountId: d.cash.id, currency: 'USD', amountMinor: 100_000n },
      ]);
      expect(entry.lines.map((l) => l.accountId)).toEqual([d.cash.id, d.escrow.id].sort());
      expect(await balanceOf(d.cash)).toBe(100_000n);
      expect(await balanceOf(d.escrow)).toBe(100_000n);
      await expect(ledger.entry(entry.id)).resolves.toEqual({ ...entry, replayed: undefined });
    });

    it('posts a 4-line release split by allocate, and lists the account statement newest first, page by page', async () => {
      const d = await aDeal();
      await fund(d, 1_000_001n);
      const [seller, broker, platform] = allocate(money(600_001n, 'USD'), [9250, 500, 250]);
      const release = await ledger.post({
        idempotencyKey: randomUUID(),
        reference: `${d.deal}:released`,
        description: 'release to seller, broker and platform',
        createdBy: 'worker:transfers',
        lines: [
          { accountId: d.escrow.id, amountMinor: 600_001n },
          { accountId: d.payable.id, amountMinor: -seller!.amountMinor },
          { accountId: d.commission.id, amountMinor: -broker!.amountMinor },
          { accountId: d.fees.id, amountMinor: -platform!.amountMinor },
        ],
      });
      expect(release.lines).toHaveLength(4);
      expect(await balanceOf(d.escrow)).toBe(400_000n);
      expect(await balanceOf(d.payable)).toBe(seller!.amountMinor);
      expect(await balanceOf(d.commission)).toBe(broker!.amountMinor);
      expect(await balanceOf(d.fees)).toBe(platform!.amountMinor);
      expect(seller!.amountMinor + broker!.amountMinor + platform!.amountMinor).toBe(600_001n);

      const third = await ledger.post({
        idempotencyKey: randomUUID(),
        reference: `${d.deal}:released`,
        lines: [
          { accountId: d.escrow.id, amountMinor: 1n },
          { accountId: d.payable.id, amountMinor: -1n },
        ],
      });
      const first = await ledger.entries(d.escrow.id, { limit: 2 });
      expect(first.data.map((e) => e.id)).toEqual([third.id, release.id]);
      expect(first.data[1]!.lines).toHaveLength(4);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await ledger.entries(d.escrow.id, { limit: 2, cursor: first.nextCursor! });
      expect(second.data.map((e) => e.reference)).toEqual([`${d.deal}:funded`]);
      expect(second.nextCursor).toBeNull();
      await expect(ledger.entries(d.escrow.id, { limit: 2, cursor: 'bogus' })).rejects.toMatchObject({ code: 'PAGINATION.INVALID_CURSOR' });
      await expect(ledger.entries(randomUUID(), { limit: 2 })).rejects.toMatchObject({ code: 'LEDGER.UNKNOWN_ACCOUNT' });
    });

    it('refuses an entry that nets to zero only across currencies, and stores nothing', async () => {
      const usd = await aDeal('USD');
      const eur = await aDeal('EUR');
      const key = randomUUID();
      await expect(
        ledger.post({
          idempotencyKey: key,
          reference: 'fx',
          lines: [
            { accountId: usd.cash.id, amountMinor: 100n },
            { accountId: eur.cash.id, amountMinor: -100n },
          ],
        }),
      ).rejects.toMatchObject({ code: 'LEDGER.UNBALANCED', status: 422 });
      expect(await entriesWithKey(key)).toBe(0);
      expect(await balanceOf(usd.cash)).toBe(0n);
      expect(await balanceOf(eur.cash)).toBe(0n);
    });

    it('refuses it inside a caller transaction before commit, and the caller rolls back', async () => {
      const usd = await aDeal('USD');
      const eur = await aDeal('EUR');
      const key = randomUUID();
      const lines: LineInput[] = [
        { accountId: usd.cash.id, amountMinor: 100n },
        { accountId: eur.cash.id, amountMinor: -100n },
      ];
      await expect(tx.tx(() => ledger.post({ idempotencyKey: key, reference: 'fx', lines }))).rejects.toMatchObject({ code: 'LEDGER.UNBALANCED' });
      expect(await entriesWithKey(key)).toBe(0);
      expect(await balanceOf(usd.cash)).toBe(0n);
    });

    it.each([
      ['a single line', [{ amountMinor: 100n }], 'LEDGER.TOO_FEW_LINES'],
      ['lines that do not net to zero', [{ amountMinor: 100n }, { amountMinor: -99n }], 'LEDGER.UNBALANCED'],
      ['a zero line', [{ amountMinor: 0n }, { amountMinor: 0n }], 'LEDGER.INVALID_AMOUNT'],
      ['a number instead of a bigint', [{ amountMinor: 100 }, { amountMinor: -100n }], 'LEDGER.INVALID_AMOUNT'],
    ])('refuses %s before it reaches the database', async (_what, amounts, code) => {
      const d = await aDeal();
      const key = randomUUID();
      const lines = amounts.map((a, i) => ({ accountId: i % 2 ? d.escrow.id : d.cash.id, amountMinor: a.amountMinor as bigint }));
      await expect(ledger.post({ idempotencyKey: key, reference: 'bad', lines })).rejects.toMatchObject({ code });
      expect(await entriesWithKey(key)).toBe(0);
    });

    it('refuses a line on an unknown account, and stores nothing', async () => {
      const d = await aDeal();
      const key = randomUUID();
      await expect(
        ledger.post({
          idempotencyKey: key,
          reference: 'ghost',
          lines: [
            { accountId: d.cash.id, amountMinor: 5n },
            { accountId: randomUUID(), amountMinor: -5n },
          ],
        }),
      ).rejects.toMatchObject({ code: 'LEDGER.UNKNOWN_ACCOUNT' });
      expect(await entriesWithKey(key)).toBe(0);
      expect(await balanceOf(d.cash)).toBe(0n);
    });

    it('joins the caller transaction: its entry commits or rolls back with the caller', async () => {
      const d = await aDeal();
      const kept = randomUUID();
      const dropped = randomUUID();
      await tx.tx(async () => {
        await fund(d, 10n, kept);
        expect((await fund(d, 10n, kept)).replayed).toBe(true);
      });
      await expect(
        tx.tx(async () => {
          await fund(d, 20n, dropped);
          throw new Error('the caller changed its mind');
        }),
      ).rejects.toThrow('changed its mind');
      expect(await entriesWithKey(kept)).toBe(1);
      expect(await entriesWithKey(dropped)).toBe(0);
      expect(await balanceOf(d.escrow)).toBe(10n);
    });
  });

  describe('the database refuses, whoever writes', () => {
    const entrySql = `INSERT INTO journal_entries (idempotency_key, reference, created_by) VALUES ($1, 'raw', 'test')`;
    /** All the lines of the entry with key $1, in one statement: $2 account ids, $3 currencies, $4 amounts. */
    const linesSql = `INSERT INTO journal_lines (entry_id, account_id, currency, amount_minor)
                      SELECT (SELECT id FROM journal_entries WHERE idempotency_key = $1), a, c, n
                        FROM unnest($2::uuid[], $3::text[], $4::bigint[]) AS x (a, c, n)`;
    const lines = (key: string | bigint, ...ls: [string, string, number][]): [string, unknown[]] => [
      typeof key === 'bigint' ? linesSql.replace('(SELECT id FROM journal_entries WHERE idempotency_key = $1)', '$1::bigint') : linesSql,
      [key, ls.map((l) => l[0]), ls.map((l) => l[1]), ls.map((l) => l[2])],
    ];
    type Deal = Awaited<ReturnType<typeof aDeal>>;

    it.each([
      ['an entry with a single line', (d: Deal) => [[d.cash.id, 'USD', 5]] as [string, string, number][], /has 1 line\(s\): at least 2/],
      ['an entry that does not net to zero', (d: Deal) => [[d.cash.id, 'USD', 5], [d.escrow.id, 'USD', -4]] as [string, string, number][], /does not net to zero: USD 1 left over/],
    ])('%s, when its lines are inserted, and keeps nothing', async (_what, ls, message) => {
      const d = await aDeal();
      const key = randomUUID();
      const err = await rawTransaction([[entrySql, [key]], lines(key, ...ls(d))]);
      expect(err).toMatchObject({ code: '23514', message: expect.stringMatching(message) });
      expect(await entriesWithKey(key)).toBe(0);
      expect(await balanceOf(d.cash)).toBe(0n);
    });

    it('an entry whose lines never come, at commit (the deferred constraint trigger)', async () => {
      const key = randomUUID();
      const err = await rawTransaction([[entrySql, [key]], ['SELECT 1']]);
      expect(err).toMatchObject({ code: '23514', message: expect.stringMatching(/has 0 line\(s\)/) });
      expect(await entriesWithKey(key)).toBe(0);
    });

    it('an entry that nets to zero only across currencies', async () => {
      const usd = await aDeal('USD');
      const eur = await aDeal('EUR');
      const key = randomUUID();
      const err = await rawTransaction([[entrySql, [key]], lines(key, [usd.cash.id, 'USD', 7], [eur.cash.id, 'EUR', -7])]);
      expect(err).toMatchObject({ code: '23514', message: expect.stringMatching(/EUR -7, USD 7 left over/) });
      expect(await entriesWithKey(key)).toBe(0);
    });

    it('accepts a balanced entry inserted by two statements, the entry then its lines, and updates the balances', async () => {
      const d = await aDeal();
      const key = randomUUID();
      const err = await rawTransaction([[entrySql, [key]], lines(key, [d.cash.id, 'USD', 9], [d.escrow.id, 'USD', -9])]);
      expect(err).toBeNull();
      expect(await balanceOf(d.escrow)).toBe(9n);
      expect(await balanceOf(d.cash)).toBe(9n);
    });

    it('lines of one entry inserted by two statements, even when they balance in the end', async () => {
      const d = await aDeal();
      const key = randomUUID();
      const err = await rawTransaction([[entrySql, [key]], lines(key, [d.cash.id, 'USD', 9], [d.escrow.id, 'USD', -9]), lines(key, [d.cash.id, 'USD', 1], [d.escrow.id, 'USD', -1])]);
      expect(err).toMatchObject({ code: '23001', message: expect.stringContaining('inserted by one statement') });
      expect(await entriesWithKey(key)).toBe(0);
    });

    it('an entry checked early by SET CONSTRAINTS ... IMMEDIATE: its lines must come with it', async () => {
      const d = await aDeal();
      const key = randomUUID();
      const early = await rawTransaction([['SET CONSTRAINTS journal_entries_balanced IMMEDIATE'], [entrySql, [key]], lines(key, [d.cash.id, 'USD', 2], [d.escrow.id, 'USD', -2])]);
      expect(early).toMatchObject({ code: '23514', message: expect.stringMatching(/has 0 line\(s\)/) });
      const together = `WITH e AS (${entrySql} RETURNING id) ${linesSql.replace('(SELECT id FROM journal_entries WHERE idempotency_key = $1)', '(SELECT id FROM e)')}`;
      const ok = await rawTransaction([['SET CONSTRAINTS ALL IMMEDIATE'], [together, [key, [d.cash.id, d.escrow.id], ['USD', 'USD'], [2, -2]]]]);
      expect(ok).toBeNull();
      expect(await balanceOf(d.escrow)).toBe(2n);
    });

    it('a line in another currency than its account, or on no account', async () => {
      const d = await aDeal();
      for (const [account, currency] of [
        [d.cash.id, 'EUR'],
        [randomUUID(), 'USD'],
      ]) {
        const key = randomUUID();
        const err = await rawTransaction([[entrySql, [key]], lines(key, [account, currency, 3], [d.escrow.id, currency, -3])]);
        expect(err).toMatchObject({ code: '23503', message: expect.stringContaining('there is no account') });
      }
    });

    it('a line added to an entry posted before, even a balanced pair', async () => {
      const d = await aDeal();
      const entry = await fund(d, 50n);
      const err = await rawTransaction([lines(entry.id, [d.cash.id, 'USD', 1], [d.escrow.id, 'USD', -1])]);
      expect(err).toMatchObject({ code: '23001', message: expect.stringContaining('only in the transaction that posts') });
      expect((await ledger.entry(entry.id)).lines).toHaveLength(2);
    });

    it.each([
      ['UPDATE journal_entries', `UPDATE journal_entries SET description = 'edited' WHERE id = $1`],
      ['DELETE journal_entries', `DELETE FROM journal_entries WHERE id = $1`],
      ['UPDATE journal_lines', `UPDATE journal_lines SET amount_minor = -amount_minor WHERE entry_id = $1`],
      ['DELETE journal_lines', `DELETE FROM journal_lines WHERE entry_id = $1`],
      ['TRUNCATE journal_lines', `TRUNCATE journal_lines`],
      ['TRUNCATE journal_entries', `TRUNCATE journal_entries CASCADE`],
      ['UPDATE ledger_balances', `UPDATE ledger_balances SET balance_minor = balance_minor + 1 WHERE account_id IN (SELECT account_id FROM journal_lines WHERE entry_id = $1)`],
      ['DELETE ledger_balances', `DELETE FROM ledger_balances WHERE account_id IN (SELECT account_id FROM journal_lines WHERE entry_id = $1)`],
      ['TRUNCATE ledger_balances', `TRUNCATE ledger_balances`],
    ])('%s', async (_what, sql) => {
      const d = await aDeal();
      const entry = await fund(d, 70n);
      const params = sql.includes('$1') ? [entry.id] : [];
      await expect(raw.query(sql, params)).rejects.toMatchObject({ code: '23001' });
      expect(await ledger.entry(entry.id)).toEqual({ ...entry, replayed: undefined });
      expect(await balanceOf(d.escrow)).toBe(70n);
    });

    it('INSERT into ledger_balances', async () => {
      const d = await aDeal();
      await expect(
        raw.query(`INSERT INTO ledger_balances (account_id, currency, sign, may_go_negative, balance_minor) VALUES ($1, 'USD', 1, true, 5)`, [d.cash.id]),
      ).rejects.toMatchObject({ code: '23001' });
    });
  });

  describe('accounts that may not go negative', () => {
    it('refuse a debit beyond the balance as LEDGER.INSUFFICIENT_FUNDS, and nothing moves', async () => {
      const d = await aDeal();
      await fund(d, 1000n);
      const key = randomUUID();
      const err = await ledger
        .post({
          idempotencyKey: key,
          reference: 'overdraw',
          lines: [
            { accountId: d.escrow.id, amountMinor: 1001n },
            { accountId: d.payable.id, amountMinor: -1001n },
          ],
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LEDGER.INSUFFICIENT_FUNDS', status: 409, extra: { accountId: d.escrow.id } });
      expect(await entriesWithKey(key)).toBe(0);
      expect(await balanceOf(d.escrow)).toBe(1000n);
      expect(await balanceOf(d.payable)).toBe(0n);
    });

    it('under 50 concurrent withdrawals: exactly the affordable ones succeed and the balance never goes below zero', async () => {
      const d = await aDeal();
      await fund(d, 1000n);
      // A reader watching the balance row while the withdrawals race.
      const seen: bigint[] = [];
      let racing = true;
      const watcher = (async () => {
        while (racing) seen.push((await raw.query('SELECT balance_minor FROM ledger_balances WHERE account_id = $1', [d.escrow.id])).rows[0].balance_minor);
      })();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, () =>
          ledger.post({
            idempotencyKey: randomUUID(),
            reference: `${d.deal}:released`,
            lines: [
              { accountId: d.escrow.id, amountMinor: 30n },
              { accountId: d.payable.id, amountMinor: -30n },
            ],
          }),
        ),
      );
      racing = false;
      await watcher;
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(33);
      expect(refused.map((r) => (r.reason as { code?: string }).code)).toEqual(Array(17).fill('LEDGER.INSUFFICIENT_FUNDS'));
      expect(await balanceOf(d.escrow)).toBe(10n);
      expect(await balanceOf(d.payable)).toBe(990n);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((b) => b >= 0n && b <= 1000n)).toBe(true);
    });

    it('a reversal that would take one below zero is refused too', async () => {
      const d = await aDeal();
      const funding = await fund(d, 500n);
      await ledger.post({
        idempotencyKey: randomUUID(),
        reference: 'release',
        lines: [
          { accountId: d.escrow.id, amountMinor: 400n },
          { accountId: d.payable.id, amountMinor: -400n },
        ],
      });
      await expect(ledger.reverse(funding.id, randomUUID(), 'payment bounced')).rejects.toMatchObject({ code: 'LEDGER.INSUFFICIENT_FUNDS' });
      expect(await balanceOf(d.escrow)).toBe(100n);
    });
  });

  describe('idempotency', () => {
    it('posts once under 20 concurrent identical calls; every caller gets the same entry', async () => {
      const d = await aDeal();
      const key = randomUUID();
      const entries = await Promise.all(Array.from({ length: 20 }, () => fund(d, 250n, key)));
      expect(new Set(entries.map((e) => e.id)).size).toBe(1);
      expect(entries.filter((e) => !e.replayed)).toHaveLength(1);
      expect(await entriesWithKey(key)).toBe(1);
      expect(await balanceOf(d.escrow)).toBe(250n);
      const again = await fund(d, 250n, key);
      expect({ ...again, replayed: false }).toEqual(entries.find((e) => !e.replayed));
    });

    it('refuses the same key with other lines, another reference or another description', async () => {
      const d = await aDeal();
      const key = randomUUID();
      const first = await fund(d, 100n, key);
      const base = { idempotencyKey: key, reference: `${d.deal}:funded`, lines: first.lines.map(({ accountId, amountMinor }) => ({ accountId, amountMinor })) };
      for (const other of [
        { ...base, lines: [{ accountId: d.cash.id, amountMinor: 101n }, { accountId: d.escrow.id, amountMinor: -101n }] },
        { ...base, lines: [{ accountId: d.cash.id, amountMinor: 100n }, { accountId: d.payable.id, amountMinor: -100n }] },
        { ...base, lines: [...base.lines, { accountId: d.fees.id, amountMinor: 1n }, { accountId: d.fees.id, amountMinor: -1n }] },
        { ...base, reference: 'something else' },
        { ...base, description: 'other words' },
      ]) {
        await expect(ledger.post(other)).rejects.toMatchObject({ code: 'LEDGER.KEY_REUSED', status: 409, extra: { entryId: first.id.toString() } });
      }
      // The same entry with its lines in another order is the same entry.
      await expect(ledger.post({ ...base, lines: [...base.lines].reverse() })).resolves.toMatchObject({ id: first.id, replayed: true });
      expect(await balanceOf(d.escrow)).toBe(100n);
    });
  });

  describe('reversal', () => {
    it('posts the negated lines, nets the original to zero on every account, once', async () => {
      const d = await aDeal();
      const original = await fund(d, 1234n);
      const key = randomUUID();
      const reversal = await ledger.reverse(original.id, key, 'wire returned', 'finance:alice');
      expect(reversal).toEqual(
        expect.objectContaining({
          reverses: original.id,
          reference: original.reference,
          description: `reversal of entry ${original.id}: wire returned`,
          createdBy: 'finance:alice',
          replayed: false,
        }),
      );
      expect(reversal.lines).toEqual(original.lines.map((l) => ({ ...l, amountMinor: -l.amountMinor })));
      expect(await balanceOf(d.cash)).toBe(0n);
      expect(await balanceOf(d.escrow)).toBe(0n);

      await expect(ledger.reverse(original.id, key, 'wire returned', 'finance:alice')).resolves.toMatchObject({ id: reversal.id, replayed: true });
      await expect(ledger.reverse(original.id, randomUUID(), 'again')).rejects.toMatchObject({ code: 'LEDGER.ALREADY_REVERSED' });
      await expect(ledger.reverse(987_654_321_987n, randomUUID(), 'none')).rejects.toMatchObject({ code: 'LEDGER.ENTRY_NOT_FOUND' });
      // A reversal can itself be reversed (the original amounts stand again).
      await ledger.reverse(reversal.id, randomUUID(), 'wire came back after all');
      expect(await balanceOf(d.escrow)).toBe(1234n);
    });

    it('reverses once under concurrent reversals with different keys', async () => {
      const d = await aDeal();
      const original = await fund(d, 77n);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => ledger.reverse(original.id, randomUUID(), 'race')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'LEDGER.ALREADY_REVERSED' });
      expect(await balanceOf(d.escrow)).toBe(0n);
    });
  });

  describe('trial balance', () => {
    it('has debits equal to credits in every currency, and grows by what is posted', async () => {
      const before = await ledger.trialBalance();
      const d = await aDeal('CHF');
      await fund(d, 3000n);
      const after = await ledger.trialBalance();
      for (const t of after) expect(t.debitsMinor).toBe(t.creditsMinor);
      const chf = (rows: typeof after) => rows.find((t) => t.currency === 'CHF')?.debitsMinor ?? 0n;
      // Other test files may post CHF at the same time: at least ours.
      expect(chf(after) - chf(before)).toBeGreaterThanOrEqual(3000n);
    });

    it('every entry in the journal nets to zero per currency, and every balance is the sum of its lines', async () => {
      const { rows } = await raw.query(
        `SELECT (SELECT count(*)::int FROM (SELECT 1 FROM journal_lines GROUP BY entry_id, currency HAVING sum(amount_minor) <> 0) t) AS unbalanced,
                (SELECT count(*)::int FROM (SELECT 1 FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id GROUP BY e.id HAVING count(l.id) < 2) t) AS short,
                (SELECT count(*)::int FROM ledger_balances b
                   LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM journal_lines GROUP BY account_id) s ON s.account_id = b.account_id
                  WHERE b.balance_minor <> b.sign * coalesce(s.total, 0)) AS wrong_balances,
                (SELECT count(*)::int FROM ledger_balances WHERE NOT may_go_negative AND balance_minor < 0) AS negative`,
      );
      expect(rows[0]).toEqual({ unbalanced: 0, short: 0, wrong_balances: 0, negative: 0 });
    });
  });
});
