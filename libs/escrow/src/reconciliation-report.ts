import { Inject, Injectable } from '@nestjs/common';
import type { MovementProvider } from '@app/ledger';
import type { Money } from '@app/money';
import { StripeCalls } from '@app/payments';
import { APP_CONFIG, type AppConfig, Clock, ProblemError, Transactions } from '@app/platform';
import Stripe from 'stripe';
import {
  DAY_MS,
  type LedgerSide,
  MAX_REPORT_DAYS,
  type ReconciliationItem,
  type ReconciliationSummary,
  ceilDay,
  groupBy,
  guessStripeType,
  reconcile,
  sameTotal,
  sourceOf,
  stripeType,
  summarise,
} from './domain/reconciliation.js';

export {
  type CurrencySummary,
  MAX_REPORT_DAYS,
  RECONCILIATION_STATUSES,
  type ReconciliationItem,
  type ReconciliationStatus,
  type ReconciliationSummary,
} from './domain/reconciliation.js';

/** Stripe's records are fetched this far either side of the period, so that a movement near its edge is not taken for missing. */
const MARGIN_MS = DAY_MS;
const MAX_STRIPE_RECORDS = 200_000;

export interface ReconciliationReportResult {
  /** The period, [from, to). */
  readonly from: Date;
  readonly to: Date;
  readonly generatedAt: Date;
  /** Whether Stripe's balance transactions were read (only when Stripe is the payment provider; otherwise the report has no Stripe items). */
  readonly stripeConsulted: boolean;
  readonly items: readonly ReconciliationItem[];
  readonly summary: ReconciliationSummary;
}

interface MovementRow {
  external_id: string;
  entry_id: bigint;
  currency: string;
  amount_minor: bigint;
  occurred_at: Date;
}

interface StripeRecord {
  readonly source: string;
  readonly type: string;
  readonly amount: Money;
  readonly created: Date;
  readonly paymentIntent: string | null;
}

interface BankLineRow {
  key: string;
  booked_on: string;
  amount_minor: bigint;
  currency: string;
  bank_reference: string | null;
  outcome: string;
}

const BANK_LINE_KEY = `CASE WHEN l.bank_reference IS NOT NULL THEN l.bank_account || ':' || l.bank_reference
                            ELSE l.bank_account || ':file:' || i.file_sha256 || ':' || l.line_no END`;

/**
 * The reconciliation report (API.md "Money"): what the payment providers say happened in a
 * period, against what the ledger recorded (provider_movements), item by item.
 *
 * - Stripe (only when it is the payment provider): balance transactions created in the period,
 *   read through the SDK, one item per source (a charge, a transfer, a refund, a dispute)
 *   with the sum of its balance transactions. The ledger side of a source is every movement
 *   recorded under it (`<source>` or `<source>:<part>`) and, for a charge, under its
 *   PaymentIntent (fundings are recorded by the PaymentIntent the webhook names), whenever it
 *   was recorded. When the sums disagree, the source is compared whole (all its balance
 *   transactions, whatever their date), so that a dispute withdrawn in one period and
 *   reinstated in the next is not a false alarm.
 * - Bank: statement lines booked in the period, one item per bank line (the bank's reference
 *   within its account; a line without one is known by its file and line number, which is
 *   what the import records, so the same file imported twice is still one line). A line taken
 *   before (an import's duplicate) is the line it repeats; a wire finance confirmed by hand is
 *   found through its funding (`fund:manual:<bank reference>`).
 * - Missing at the provider: a movement the ledger dates in the period of which the provider
 *   has no record: for Stripe, none among its balance transactions of the period and a day
 *   either side; for the bank, no line of any statement.
 */
@Injectable()
export class ReconciliationReport {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly stripe: StripeCalls,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async build(period: { from: Date; to: Date }): Promise<ReconciliationReportResult> {
    const { from, to } = period;
    if (!(from.getTime() < to.getTime())) throw new ProblemError(422, 'RECONCILIATION.INVALID_PERIOD', 'Invalid period', 'from must be before to');
    if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS) {
      throw new ProblemError(422, 'RECONCILIATION.PERIOD_TOO_LONG', 'Period too long', `A report covers at most ${MAX_REPORT_DAYS} days`);
    }
    const stripeConsulted = this.config.paymentsProvider === 'stripe';
    const items = [...(await this.bankItems(from, to)), ...(stripeConsulted ? await this.stripeItems(from, to) : [])];
    items.sort((a, b) => a.provider.localeCompare(b.provider) || a.occurredAt.getTime() - b.occurredAt.getTime() || a.externalId.localeCompare(b.externalId));
    return { from, to, generatedAt: await this.clock.now(), stripeConsulted, items, summary: summarise(items) };
  }

  private async stripeItems(from: Date, to: Date): Promise<ReconciliationItem[]> {
    const fetched = await this.stripeRecords({ gte: from.getTime() - MARGIN_MS, lt: to.getTime() + MARGIN_MS });
    await this.resolvePaymentIntents(fetched, from, to);
    const inPeriod = groupBy(
      fetched.filter((r) => r.created >= from && r.created < to),
      (r) => r.source,
    );
    // A charge's movement may be recorded under its PaymentIntent: the PaymentIntent is an alias of the charge.
    const aliases = new Map<string, string>();
    for (const r of fetched) if (r.paymentIntent) aliases.set(r.paymentIntent, r.source);
    const keys = [...inPeriod.keys(), ...[...aliases].filter(([, source]) => inPeriod.has(source)).map(([pi]) => pi)];
    const ledger = groupBy(await this.movements('stripe', keys), (m) => aliases.get(sourceOf(m.external_id)) ?? sourceOf(m.external_id));

    const items: ReconciliationItem[] = [];
    for (const [source, records] of inPeriod) {
      const side = ledgerSide(ledger.get(source));
      let provided = records.map((r) => r.amount);
      if (side && !sameTotal(provided, side.amounts)) {
        const whole = await this.stripeRecords({ source });
        if (whole.length) provided = whole.map((r) => r.amount);
      }
      items.push(reconcile('stripe', source, records[0]!.type, records[0]!.created, provided, side));
    }

    const known = new Set([...fetched.map((r) => r.source), ...aliases.keys()]);
    const unseen = (await this.movementsAt('stripe', from, to)).filter((m) => !known.has(sourceOf(m.external_id)));
    for (const [source, ms] of groupBy(unseen, (m) => sourceOf(m.external_id))) {
      items.push(reconcile('stripe', source, guessStripeType(source), earliest(ms), null, ledgerSide(ms)));
    }
    return items;
  }

  private async bankItems(from: Date, to: Date): Promise<ReconciliationItem[]> {
    const em = this.tx.manager();
    const lines: BankLineRow[] = await em.query(
      `SELECT ${BANK_LINE_KEY} AS key, l.booked_on::text AS booked_on, l.amount_minor, l.currency, l.bank_reference, l.outcome
         FROM bank_statement_lines l JOIN bank_statement_imports i ON i.id = l.import_id
        WHERE l.booked_on >= $1::date AND l.booked_on < $2::date
        ORDER BY l.id`,
      [ceilDay(from), ceilDay(to)],
    );
    // A duplicate repeats a line taken before: the line itself stands for both.
    const byKey = new Map<string, BankLineRow>();
    for (const l of lines) {
      const seen = byKey.get(l.key);
      if (!seen || (seen.outcome === 'duplicate' && l.outcome !== 'duplicate')) byKey.set(l.key, l);
    }
    const ledger = groupBy(await this.movements('bank', [...byKey.keys()]), (m) => m.external_id);
    const manual = await this.manualFundings([...byKey.values()].filter((l) => l.bank_reference !== null && !ledger.has(l.key)).map((l) => l.bank_reference!));

    const items: ReconciliationItem[] = [];
    for (const [key, l] of byKey) {
      const side = ledgerSide(ledger.get(key)) ?? (l.bank_reference !== null ? (manual.get(l.bank_reference) ?? null) : null);
      items.push(reconcile('bank', key, l.outcome, new Date(`${l.booked_on}T00:00:00Z`), [{ amountMinor: l.amount_minor, currency: l.currency }], side));
    }

    const dated = (await this.movementsAt('bank', from, to)).filter((m) => !byKey.has(m.external_id));
    const onStatements = await this.bankLineKeys(dated.map((m) => m.external_id));
    for (const m of dated.filter((d) => !onStatements.has(d.external_id))) {
      items.push(reconcile('bank', m.external_id, m.amount_minor < 0n ? 'debit' : 'credit', m.occurred_at, null, ledgerSide([m])));
    }
    return items;
  }

  /** Balance transactions created in [gte, lt) (ms), or all of one source, oldest first. */
  private async stripeRecords(filter: { gte: number; lt: number } | { source: string }): Promise<StripeRecord[]> {
    const params: Stripe.BalanceTransactionListParams =
      'source' in filter
        ? { source: filter.source, limit: 100 }
        : { created: { gte: Math.max(0, Math.floor(filter.gte / 1000)), lt: Math.ceil(filter.lt / 1000) }, limit: 100, expand: ['data.source'] };
    const out: StripeRecord[] = [];
    await this.askStripe(async () => {
      for await (const bt of this.stripe.sdk.balanceTransactions.list(params)) {
        const source = bt.source === null ? bt.id : typeof bt.source === 'string' ? bt.source : bt.source.id;
        const expanded = typeof bt.source === 'object' && bt.source !== null && bt.source.object === 'charge' ? bt.source.payment_intent : null;
        out.push({
          source,
          type: stripeType(bt.type),
          amount: { amountMinor: BigInt(bt.amount), currency: bt.currency.toUpperCase() },
          created: new Date(bt.created * 1000),
          paymentIntent: typeof expanded === 'string' ? expanded : (expanded?.id ?? null),
        });
        if (out.length > MAX_STRIPE_RECORDS) {
          throw new ProblemError(422, 'RECONCILIATION.TOO_LARGE', 'Too many provider records', `Stripe has more than ${MAX_STRIPE_RECORDS} balance transactions around this period: ask for a shorter one`);
        }
      }
    });
    return out.reverse();
  }

  /** The PaymentIntent of each charge Stripe did not expand (one list of the charges around the period). */
  private async resolvePaymentIntents(records: StripeRecord[], from: Date, to: Date): Promise<void> {
    const open = records.filter((r) => r.type === 'charge' && r.paymentIntent === null);
    if (open.length === 0) return;
    const intents = new Map<string, string>();
    const created = { gte: Math.max(0, Math.floor((from.getTime() - 2 * MARGIN_MS) / 1000)), lt: Math.ceil((to.getTime() + 2 * MARGIN_MS) / 1000) };
    await this.askStripe(async () => {
      for await (const c of this.stripe.sdk.charges.list({ created, limit: 100 })) {
        const pi = typeof c.payment_intent === 'string' ? c.payment_intent : (c.payment_intent?.id ?? null);
        if (pi) intents.set(c.id, pi);
        if (intents.size > MAX_STRIPE_RECORDS) break;
      }
    });
    for (const [i, r] of records.entries()) if (r.paymentIntent === null && intents.has(r.source)) records[i] = { ...r, paymentIntent: intents.get(r.source)! };
  }

  private async askStripe(call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (err instanceof ProblemError) throw err;
      const why = err instanceof Stripe.errors.StripeError ? err.message : 'no answer';
      throw new ProblemError(502, 'RECONCILIATION.PROVIDER_UNAVAILABLE', 'Stripe did not answer', `Stripe's balance transactions could not be read: ${why}`);
    }
  }

  /** The movements recorded under these keys (a key, or `<key>:<part>`), whenever they happened. */
  private async movements(provider: MovementProvider, keys: readonly string[]): Promise<MovementRow[]> {
    if (keys.length === 0) return [];
    return this.tx.manager().query(
      `SELECT external_id, entry_id, currency, amount_minor, occurred_at FROM provider_movements
        WHERE provider = $1 AND (external_id = ANY($2::text[]) OR ($1 = 'stripe' AND split_part(external_id, ':', 1) = ANY($2::text[])))
        ORDER BY occurred_at, external_id`,
      [provider, keys],
    );
  }

  private movementsAt(provider: MovementProvider, from: Date, to: Date): Promise<MovementRow[]> {
    return this.tx.manager().query(
      `SELECT external_id, entry_id, currency, amount_minor, occurred_at FROM provider_movements
        WHERE provider = $1 AND occurred_at >= $2 AND occurred_at < $3 ORDER BY occurred_at, external_id`,
      [provider, from, to],
    );
  }

  /** Which of these bank keys some statement line, booked on any day, has. */
  private async bankLineKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows: { key: string }[] = await this.tx.manager().query(
      `SELECT DISTINCT k.key FROM (SELECT ${BANK_LINE_KEY} AS key FROM bank_statement_lines l JOIN bank_statement_imports i ON i.id = l.import_id
                                    WHERE l.bank_account = ANY($2::text[])) k
        WHERE k.key = ANY($1::text[])`,
      [keys, [...new Set(keys.map(sourceOf))]],
    );
    return new Set(rows.map((r) => r.key));
  }

  /** Wires finance confirmed by hand (no movement is recorded for them), by bank reference. */
  private async manualFundings(bankReferences: readonly string[]): Promise<Map<string, LedgerSide>> {
    if (bankReferences.length === 0) return new Map();
    const rows: { bank_reference: string; entry_id: bigint; amount_minor: bigint; currency: string }[] = await this.tx.manager().query(
      `SELECT substr(o.operation, 13) AS bank_reference, o.entry_id, o.amount_minor, e.currency
         FROM escrow_operations o JOIN escrows e ON e.deal_id = o.deal_id
        WHERE o.operation = ANY($1::text[]) AND o.entry_id IS NOT NULL ORDER BY o.id`,
      [bankReferences.map((r) => `fund:manual:${r}`)],
    );
    const found = new Map<string, LedgerSide>();
    for (const r of rows) {
      const side = found.get(r.bank_reference) ?? { amounts: [], entryIds: [] };
      side.amounts.push({ amountMinor: r.amount_minor, currency: r.currency });
      side.entryIds.push(r.entry_id);
      found.set(r.bank_reference, side);
    }
    return found;
  }
}

function ledgerSide(ms: readonly MovementRow[] | undefined): LedgerSide | null {
  if (!ms?.length) return null;
  return { amounts: ms.map((m) => ({ amountMinor: m.amount_minor, currency: m.currency })), entryIds: ms.map((m) => m.entry_id) };
}

const earliest = (ms: readonly MovementRow[]) => new Date(Math.min(...ms.map((m) => m.occurred_at.getTime())));
