import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EscrowService, PayoutService } from '@app/escrow';
import { type LedgerAccount, LedgerService } from '@app/ledger';
import { currencyExponent } from '@app/money';
import Stripe from 'stripe';
import type { Response } from 'supertest';
import { type TestApp, startApi } from './support/app.js';
import { type TestKey, type TestOrg, aKey, anOrg, bearer, platformOrgId } from './support/identity-fixtures.js';
import { expectProblem } from './support/problem.js';
import { type StripeEventJson, StripeStandIn } from './support/stripe-stand-in.js';

/**
 * GET /v1/reconciliation/report and the CSV exports (API.md "Money"): Stripe's balance
 * transactions (read from the stand-in through the real SDK) and bank statement lines against
 * the ledger's movements. Done when a deliberately dropped webhook is found.
 */
const SECRET = 'whsec_test_reconciliation_0123456789';
const KEY = 'sk_test_reconciliation';
const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
const token = () => randomBytes(8).toString('hex');

type Money = { amountMinor: number; currency: string } | null;
interface Item {
  provider: string;
  externalId: string;
  status: string;
  type: string;
  occurredAt: string;
  providerAmount: Money;
  ledgerAmount: Money;
  difference: Money;
  entryIds: string[];
}

/** RFC 4180, strictly: CRLF row ends, quoted fields with doubled quotes; a field left open or text after a closing quote is an error. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`a quote inside an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.slice(i, i + 2) !== '\r\n') throw new Error(`expected CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 2))}`);
    i += 2;
    rows.push(row);
    row = [];
  }
  return rows;
}

/** Header row plus records, as objects keyed by the header. */
function csvRecords(text: string): { header: string[]; records: Record<string, string>[] } {
  const [header, ...rows] = parseCsv(text);
  for (const r of rows) expect(r).toHaveLength(header!.length);
  return { header: header!, records: rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!]))) };
}

/** A report row back as the JSON item it was written from. */
function itemFromCsv(r: Record<string, string>): Item {
  const money = (currency: string, minor: string, decimal: string): Money => {
    if (minor === '') return null;
    // The decimal column says the same in units (as many digits as the currency has: USD 2, JPY 0, KWD 3).
    const exponent = currencyExponent(currency)!;
    expect(decimal).toBe((Number(minor) / 10 ** exponent).toFixed(exponent));
    return { amountMinor: Number(minor), currency };
  };
  return {
    provider: r.provider!,
    externalId: r.external_id!,
    status: r.status!,
    type: r.type!,
    occurredAt: r.occurred_at!,
    providerAmount: money(r.provider_currency!, r.provider_amount_minor!, r.provider_amount!),
    ledgerAmount: money(r.ledger_currency!, r.ledger_amount_minor!, r.ledger_amount!),
    difference: money(r.provider_currency || r.ledger_currency!, r.difference_minor!, r.difference!),
    entryIds: r.entry_ids === '' ? [] : r.entry_ids!.split(' '),
  };
}

describe('reconciliation report (e2e)', () => {
  const stand = new StripeStandIn();
  let t: TestApp;
  let sdk: Stripe;
  let escrows: EscrowService;
  let finance: TestKey;

  beforeAll(async () => {
    await stand.start();
    // The system clock: Stripe's times are real ones, and another file may have moved the sandbox's.
    t = await startApi({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: KEY, STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: stand.baseUrl, SANDBOX_TIME_TRAVEL: 'false' });
    sdk = new Stripe(KEY, { ...stand.sdkConfig(), maxNetworkRetries: 0 });
    escrows = t.app.get(EscrowService);
    finance = await aKey(t, await platformOrgId(t), 'finance');
  });
  afterAll(async () => {
    await t?.close();
    await stand.stop();
  });

  const period = `from=${day(-1)}&to=${day(2)}`;
  const report = (query = period, key = finance.apiKey) => t.http.get(`/v1/reconciliation/report?${query}`).set(bearer(key));
  const items = async (): Promise<Item[]> => {
    const res = await report();
    expect(res.status).toBe(200);
    return res.body.items as Item[];
  };
  const find = (all: Item[], provider: string, externalId: string) => {
    const found = all.filter((i) => i.provider === provider && i.externalId === externalId);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const deliver = (d: { body: string; header: string }) =>
    t.http.post('/v1/payments/stripe/webhook').set('content-type', 'application/json').set('stripe-signature', d.header).send(d.body);

  const anEscrow = async (amountMinor: bigint) => {
    const [buyer, seller] = [await anOrg(t), await anOrg(t)];
    const dealId = randomUUID();
    await escrows.open({ dealId, buyerOrgId: buyer.id, sellerOrgId: seller.id, price: { amountMinor, currency: 'USD' }, platformFeeBps: 250 });
    return { dealId, reference: (await escrows.fundingInstructions(dealId)).reference };
  };
  /** A deal paid at Stripe: the PaymentIntent succeeds there (a charge and its balance transaction); the event is not delivered yet. */
  const aPaidIntent = async (amount: number) => {
    const { dealId } = await anEscrow(BigInt(amount));
    const pi = await sdk.paymentIntents.create({ amount, currency: 'usd', metadata: { dealId } });
    const event = stand.succeedPaymentIntent(pi.id);
    const charge = (event.data.object as { latest_charge: string }).latest_charge;
    expect(charge).toMatch(/^ch_/);
    return { dealId, pi: pi.id, charge, event };
  };
  const delivered = async (event: StripeEventJson) => {
    const res = await deliver(stand.deliver(event, SECRET));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ duplicate: false, outcome: 'funded' });
  };

  describe('Stripe', () => {
    let paid: Awaited<ReturnType<typeof aPaidIntent>>[];
    let short: Awaited<ReturnType<typeof aPaidIntent>>;
    let ghost: { pi: string; charge: string };
    let byIntent: Awaited<ReturnType<typeof aPaidIntent>>;

    beforeAll(async () => {
      paid = [await aPaidIntent(10_000), await aPaidIntent(20_000), await aPaidIntent(30_000)];
      // Two webhooks arrive; the third is dropped on the way.
      await delivered(paid[0]!.event);
      await delivered(paid[1]!.event);
      // An event saying less was received than Stripe charged.
      short = await aPaidIntent(40_000);
      const crafted = stand.signedEvent('payment_intent.succeeded', { ...(short.event.data.object as object), amount_received: 39_900 }, SECRET);
      expect((await deliver(crafted)).body).toMatchObject({ outcome: 'funded' });
      // A payment Stripe never had, funded by a signed event all the same.
      const { dealId } = await anEscrow(50_000n);
      ghost = { pi: `pi_${token()}`, charge: `ch_${token()}` };
      const fake = { id: ghost.pi, object: 'payment_intent', amount: 50_000, amount_received: 50_000, currency: 'usd', status: 'succeeded', latest_charge: ghost.charge, metadata: { dealId } };
      expect((await deliver(stand.signedEvent('payment_intent.succeeded', fake, SECRET))).body).toMatchObject({ outcome: 'funded' });
      // A funding recorded under its PaymentIntent (as webhooks without the charge record it).
      byIntent = await aPaidIntent(60_000);
      await escrows.recordFunding({ dealId: byIntent.dealId, amount: { amountMinor: 60_000n, currency: 'USD' }, source: 'stripe', externalId: byIntent.pi });
    });

    it('finds the dropped webhook: its charge is missing in the ledger, the delivered ones match', async () => {
      const res = await report();
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ stripeConsulted: true, from: `${day(-1)}T00:00:00.000Z`, to: `${day(2)}T00:00:00.000Z` });
      const all = res.body.items as Item[];
      for (const [p, amount] of [
        [paid[0]!, 10_000],
        [paid[1]!, 20_000],
      ] as const) {
        expect(find(all, 'stripe', p.charge)).toEqual({
          provider: 'stripe',
          externalId: p.charge,
          status: 'matched',
          type: 'charge',
          occurredAt: expect.any(String),
          providerAmount: { amountMinor: amount, currency: 'USD' },
          ledgerAmount: { amountMinor: amount, currency: 'USD' },
          difference: { amountMinor: 0, currency: 'USD' },
          entryIds: [expect.stringMatching(/^[1-9]\d*$/)],
        });
      }
      expect(find(all, 'stripe', paid[2]!.charge)).toMatchObject({
        status: 'missing_in_ledger',
        providerAmount: { amountMinor: 30_000, currency: 'USD' },
        ledgerAmount: null,
        difference: { amountMinor: 30_000, currency: 'USD' },
        entryIds: [],
      });
      // Nothing else claims the dropped payment (neither its PaymentIntent nor its charge as a ledger movement).
      expect(all.filter((i) => i.externalId === paid[2]!.pi)).toEqual([]);
    });

    it('reports a funding recorded with another amount than Stripe charged as amount_differs', async () => {
      expect(find(await items(), 'stripe', short.charge)).toMatchObject({
        status: 'amount_differs',
        type: 'charge',
        providerAmount: { amountMinor: 40_000, currency: 'USD' },
        ledgerAmount: { amountMinor: 39_900, currency: 'USD' },
        difference: { amountMinor: 100, currency: 'USD' },
        entryIds: [expect.any(String)],
      });
    });

    it('reports a movement Stripe has no record of as missing at the provider', async () => {
      const all = await items();
      const ghosts = all.filter((i) => i.externalId === ghost.charge || i.externalId === ghost.pi);
      expect(ghosts).toEqual([
        expect.objectContaining({
          provider: 'stripe',
          status: 'missing_at_provider',
          type: 'charge',
          providerAmount: null,
          ledgerAmount: { amountMinor: 50_000, currency: 'USD' },
          difference: { amountMinor: -50_000, currency: 'USD' },
        }),
      ]);
    });

    it("matches a charge to a movement recorded under the charge's PaymentIntent", async () => {
      const all = await items();
      expect(find(all, 'stripe', byIntent.charge)).toMatchObject({ status: 'matched', ledgerAmount: { amountMinor: 60_000, currency: 'USD' }, entryIds: [expect.any(String)] });
      expect(all.filter((i) => i.externalId === byIntent.pi)).toEqual([]);
    });

    it('matches the dropped payment once its webhook finally arrives', async () => {
      await delivered(paid[2]!.event);
      expect(find(await items(), 'stripe', paid[2]!.charge)).toMatchObject({ status: 'matched', ledgerAmount: { amountMinor: 30_000, currency: 'USD' } });
    });

    it('leaves Stripe out, and says so, when Stripe is not the payment provider', async () => {
      const manual = await startApi({ SANDBOX_TIME_TRAVEL: 'false' });
      try {
        const key = await aKey(manual, await platformOrgId(manual), 'finance');
        const res = await manual.http.get(`/v1/reconciliation/report?${period}`).set(bearer(key.apiKey));
        expect(res.status).toBe(200);
        expect(res.body.stripeConsulted).toBe(false);
        expect((res.body.items as Item[]).filter((i) => i.provider === 'stripe')).toEqual([]);
      } finally {
        await manual.close();
      }
    });
  });

  describe('bank', () => {
    let matched: { bankReference: string };
    let unknown: { bankReference: string };
    let wireOut: { bankReference: string };
    let unsent: { bankReference: string };
    let noReference: { key: string };

    beforeAll(async () => {
      const payouts = t.app.get(PayoutService);
      const ledger = t.app.get(LedgerService);
      // Money owed to an organisation, paid out by two wires: one on the statement, one not.
      const payee = await anOrg(t);
      const payable = await ledger.account({ owner: { orgId: payee.id }, purpose: 'payable', currency: 'USD' });
      const source = await ledger.account({ owner: 'platform', purpose: 'clearing', currency: 'USD', reference: `test-${randomUUID()}`, mayGoNegative: true });
      await ledger.post({ idempotencyKey: `recon-${randomUUID()}`, reference: 'test:owed', lines: [{ accountId: source.id, amountMinor: 20_000n }, { accountId: payable.id, amountMinor: -20_000n }] });
      [matched, unknown, wireOut, unsent] = [{ bankReference: `IN-${token()}` }, { bankReference: `IN-${token()}` }, { bankReference: `OUT-${token()}` }, { bankReference: `OUT-${token()}` }];
      for (const [amount, ref] of [
        [5_000n, wireOut.bankReference],
        [7_000n, unsent.bankReference],
      ] as const) {
        const p = await payouts.payout({ orgId: payee.id, amount: { amountMinor: amount, currency: 'USD' }, key: randomUUID(), method: 'manual' });
        await payouts.confirmPayout(p.id, 'system', { bankReference: ref });
      }

      const [full, other] = [await anEscrow(12_500n), await anEscrow(8_000n)];
      const today = day(0);
      const csv = [
        'date,amount,currency,reference,counterparty,bank_reference',
        `${today},125.00,USD,${full.reference},Acme,${matched.bankReference}`,
        `${today},9.99,USD,INVOICE ${token()},Someone,${unknown.bankReference}`,
        `${today},-50.00,USD,PAYOUT,Payee,${wireOut.bankReference}`,
        `${today},80.00,USD,${other.reference},Beta,`,
      ].join('\r\n');
      const upload = () => t.http.post('/v1/reconciliation/bank-statements').set(bearer(finance.apiKey)).set('content-type', 'text/csv').send(csv);
      const first = await upload();
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ matched: [{ line: 2 }, { line: 5 }], unknown: [{ line: 3 }], notACredit: [{ line: 4 }] });
      noReference = { key: `main:file:${first.body.fileSha256}:5` };
      // The same file again: every line a duplicate, and still one item per bank line.
      expect((await upload()).body.duplicates).toHaveLength(4);
    });

    it('matches a posted line and a wire out, and reports a line the ledger lacks', async () => {
      const all = await items();
      expect(find(all, 'bank', `main:${matched.bankReference}`)).toEqual({
        provider: 'bank',
        externalId: `main:${matched.bankReference}`,
        status: 'matched',
        type: 'matched',
        occurredAt: `${day(0)}T00:00:00.000Z`,
        providerAmount: { amountMinor: 12_500, currency: 'USD' },
        ledgerAmount: { amountMinor: 12_500, currency: 'USD' },
        difference: { amountMinor: 0, currency: 'USD' },
        entryIds: [expect.stringMatching(/^[1-9]\d*$/)],
      });
      expect(find(all, 'bank', `main:${unknown.bankReference}`)).toMatchObject({
        status: 'missing_in_ledger',
        type: 'unknown_reference',
        providerAmount: { amountMinor: 999, currency: 'USD' },
        ledgerAmount: null,
        entryIds: [],
      });
      expect(find(all, 'bank', `main:${wireOut.bankReference}`)).toMatchObject({
        status: 'matched',
        type: 'not_a_credit',
        providerAmount: { amountMinor: -5_000, currency: 'USD' },
        ledgerAmount: { amountMinor: -5_000, currency: 'USD' },
      });
      // A line without the bank's reference is known by its file and line number.
      expect(find(all, 'bank', noReference.key)).toMatchObject({ status: 'matched', providerAmount: { amountMinor: 8_000, currency: 'USD' } });
    });

    it('reports a wire the ledger sent that no statement shows as missing at the provider', async () => {
      expect(find(await items(), 'bank', `main:${unsent.bankReference}`)).toMatchObject({
        status: 'missing_at_provider',
        type: 'debit',
        providerAmount: null,
        ledgerAmount: { amountMinor: -7_000, currency: 'USD' },
        difference: { amountMinor: 7_000, currency: 'USD' },
      });
    });
  });

  describe('the report as a whole', () => {
    it('adds up: the counts and per-currency totals are those of its items', async () => {
      const res = await report();
      const all = res.body.items as Item[];
      expect(all.length).toBeGreaterThanOrEqual(9);
      const count = (xs: Item[]) => Object.fromEntries(['matched', 'missing_in_ledger', 'missing_at_provider', 'amount_differs'].map((s) => [s, xs.filter((i) => i.status === s).length]));
      expect(res.body.summary.counts).toEqual(count(all));
      const usd = all.filter((i) => (i.providerAmount ?? i.ledgerAmount)!.currency === 'USD');
      const sum = (f: (i: Item) => Money) => usd.reduce((s, i) => s + (f(i)?.amountMinor ?? 0), 0);
      expect(res.body.summary.currencies).toContainEqual({
        currency: 'USD',
        counts: count(usd),
        provider: { amountMinor: sum((i) => i.providerAmount), currency: 'USD' },
        ledger: { amountMinor: sum((i) => i.ledgerAmount), currency: 'USD' },
        difference: { amountMinor: sum((i) => i.providerAmount) - sum((i) => i.ledgerAmount), currency: 'USD' },
      });
    });

    it('exports the same items as CSV (format=csv or Accept: text/csv)', async () => {
      // Other files write to the same database: compare with a JSON report that did not change around the CSV one.
      let csv: Response | undefined;
      let json: Item[] = [];
      for (let attempt = 0; attempt < 5 && csv === undefined; attempt++) {
        const before = await items();
        const answer = await (attempt % 2 === 0 ? report(`${period}&format=csv`) : report().set('accept', 'text/csv'));
        const after = await items();
        if (JSON.stringify(before) === JSON.stringify(after)) [csv, json] = [answer, after];
      }
      expect(csv).toBeDefined();
      expect(csv!.status).toBe(200);
      expect(csv!.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv!.headers['content-disposition']).toMatch(/^attachment; filename="reconciliation_\d{8}T\d{6}Z_\d{8}T\d{6}Z\.csv"$/);
      const { header, records } = csvRecords(csv!.text);
      expect(header).toEqual(['provider', 'external_id', 'status', 'type', 'occurred_at', 'provider_currency', 'provider_amount', 'provider_amount_minor', 'ledger_currency', 'ledger_amount', 'ledger_amount_minor', 'difference', 'difference_minor', 'entry_ids']);
      expect(records.map(itemFromCsv)).toEqual(json);
      // An explicit format wins over Accept.
      const asJson = await report(`${period}&format=json`).set('accept', 'text/csv');
      expect(asJson.headers['content-type']).toMatch(/^application\/json/);
    });
  });

  describe('the period', () => {
    it.each([
      ['no from', `to=${day(1)}`, 'query.from', 'PERIOD.REQUIRED'],
      ['no to', `from=${day(1)}`, 'query.to', 'PERIOD.REQUIRED'],
      ['a month 13', 'from=2026-13-01&to=2026-12-31', 'query.from', 'PERIOD.INVALID_DATE'],
      ['February 30', 'from=2026-02-01&to=2026-02-30', 'query.to', 'PERIOD.INVALID_DATE'],
      ['a time without an offset', 'from=2026-02-01T00:00:00&to=2026-02-03', 'query.from', 'PERIOD.INVALID_DATE'],
      ['not a date', 'from=yesterday&to=2026-02-03', 'query.from', 'PERIOD.INVALID_DATE'],
      ['from equal to to', 'from=2026-02-01&to=2026-02-01T00:00:00Z', 'query.to', 'PERIOD.NOT_INCREASING'],
      ['from after to', 'from=2026-02-02&to=2026-02-01', 'query.to', 'PERIOD.NOT_INCREASING'],
    ])('refuses %s with RECONCILIATION.INVALID_PERIOD', async (_what, query, field, code) => {
      const res = await report(query);
      expectProblem(res, 422, 'RECONCILIATION.INVALID_PERIOD');
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field, code }));
    });

    it('takes at most 366 days, and date-times with an offset', async () => {
      expectProblem(await report('from=2025-01-01&to=2026-01-03'), 422, 'RECONCILIATION.PERIOD_TOO_LONG');
      const year = await report('from=2024-01-01&to=2025-01-01');
      expect(year.status).toBe(200);
      const offset = await report('from=2026-02-01T01:30:00%2B01:30&to=2026-02-02T00:00:00.5Z');
      expect(offset.status).toBe(200);
      expect(offset.body).toMatchObject({ from: '2026-02-01T00:00:00.000Z', to: '2026-02-02T00:00:00.500Z', items: [] });
      expectProblem(await report(`${period}&format=xml`), 422, 'REQUEST.VALIDATION_FAILED');
    });

    it('is for platform admin and finance only', async () => {
      const member = await anOrg(t);
      expectProblem(await report(period, (await aKey(t, member.id, 'finance')).apiKey), 403);
      expectProblem(await report(period, (await aKey(t, await platformOrgId(t), 'viewer')).apiKey), 403);
      expect((await report(period, t.adminToken)).status).toBe(200);
    });
  });

  describe('GET /v1/ledger/accounts/{id}/entries.csv', () => {
    let mine: TestOrg;
    let mineFinance: TestKey;
    let account: LedgerAccount;
    let counter: LedgerAccount;

    beforeAll(async () => {
      const ledger = t.app.get(LedgerService);
      mine = await anOrg(t);
      mineFinance = await aKey(t, mine.id, 'finance');
      account = await ledger.account({ owner: { orgId: mine.id }, purpose: 'payable', currency: 'USD' });
      counter = await ledger.account({ owner: 'platform', purpose: 'clearing', currency: 'USD', reference: `test-${randomUUID()}`, mayGoNegative: true });
      const post = (amountMinor: bigint, description: string) =>
        ledger.post({ idempotencyKey: `recon-csv-${randomUUID()}`, reference: 'test:rent', description, lines: [{ accountId: counter.id, amountMinor }, { accountId: account.id, amountMinor: -amountMinor }] });
      await post(123_456n, '=HYPERLINK("http://evil"),rent');
      await post(-5n, 'correction, "small"');
    });

    const entriesCsv = (key: string, query = '') => t.http.get(`/v1/ledger/accounts/${account.id}/entries.csv${query}`).set(bearer(key));

    it("gives an organisation's finance its own account's entries, one row per line, summing as the ledger does", async () => {
      const res = await entriesCsv(mineFinance.apiKey);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="ledger-${account.id}-entries.csv"`);
      const { header, records } = csvRecords(res.text);
      expect(header).toEqual(['entry_id', 'posted_at', 'reference', 'description', 'account_id', 'currency', 'amount', 'amount_minor']);
      expect(records).toHaveLength(4);
      // Each entry's lines net to zero; the account's own lines sum to its balance (credit-normal: negated).
      const entryIds = [...new Set(records.map((r) => r.entry_id))];
      expect(entryIds).toHaveLength(2);
      for (const id of entryIds) expect(records.filter((r) => r.entry_id === id).reduce((s, r) => s + BigInt(r.amount_minor!), 0n)).toBe(0n);
      const own = records.filter((r) => r.account_id === account.id);
      const balance = (await t.http.get(`/v1/ledger/accounts/${account.id}`).set(bearer(mineFinance.apiKey))).body.balance;
      expect(balance).toEqual({ amountMinor: 123_451, currency: 'USD' });
      expect(-own.reduce((s, r) => s + Number(r.amount_minor), 0)).toBe(balance.amountMinor);
      expect(own.map((r) => [r.amount, r.amount_minor])).toEqual([
        ['-1234.56', '-123456'],
        ['0.05', '5'],
      ]);
      // Text that a spreadsheet would run as a formula stays text; quotes and commas survive.
      expect(records.map((r) => r.description)).toEqual(["'=HYPERLINK(\"http://evil\"),rent", "'=HYPERLINK(\"http://evil\"),rent", 'correction, "small"', 'correction, "small"']);
      expect(records.every((r) => r.currency === 'USD' && r.reference === 'test:rent' && !Number.isNaN(Date.parse(r.posted_at!)))).toBe(true);
      expect(Number(records[0]!.entry_id)).toBeLessThan(Number(records[2]!.entry_id));
    });

    it("keeps other organisations' accounts hidden (404) and shows the platform every account", async () => {
      const other = await anOrg(t);
      expectProblem(await entriesCsv((await aKey(t, other.id, 'finance')).apiKey), 404, 'LEDGER.UNKNOWN_ACCOUNT');
      expect((await entriesCsv(finance.apiKey)).status).toBe(200);
      expectProblem(await entriesCsv((await aKey(t, mine.id, 'viewer')).apiKey), 403);
    });

    it('filters by when the entries were posted, and refuses an empty period', async () => {
      const within = csvRecords((await entriesCsv(mineFinance.apiKey, `?from=${day(-1)}&to=${day(1)}`)).text);
      expect(within.records).toHaveLength(4);
      const later = await entriesCsv(mineFinance.apiKey, `?from=${day(1)}`);
      expect(later.status).toBe(200);
      expect(later.text).toBe('entry_id,posted_at,reference,description,account_id,currency,amount,amount_minor\r\n');
      const res = await entriesCsv(mineFinance.apiKey, `?from=${day(1)}&to=${day(0)}`);
      expectProblem(res, 422, 'LEDGER.INVALID_PERIOD');
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'query.to', code: 'PERIOD.NOT_INCREASING' }));
    });
  });
});
