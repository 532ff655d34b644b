import type { MovementProvider } from '@app/ledger';
import type { Money } from '@app/money';

/*
 * The reconciliation report's rules (ReconciliationReport reads the records): how a provider's
 * record and the ledger's movements for it compare, and what a report adds up to.
 */

export const RECONCILIATION_STATUSES = ['matched', 'missing_in_ledger', 'missing_at_provider', 'amount_differs'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

/** The longest period one report covers (a leap year). */
export const MAX_REPORT_DAYS = 366;
export const DAY_MS = 86_400_000;

export interface ReconciliationItem {
  readonly provider: MovementProvider;
  /** Stripe: the balance transactions' source (ch_, tr_, re_, dp_ ...); bank: `<account>:<bank reference>`, or `<account>:file:<sha256>:<line>` for a line without one. */
  readonly externalId: string;
  readonly status: ReconciliationStatus;
  readonly providerAmount: Money | null;
  readonly ledgerAmount: Money | null;
  /** Provider minus ledger, a missing side counting as zero; null when the sides are in different currencies. */
  readonly difference: Money | null;
  readonly entryIds: readonly bigint[];
  /** When the provider booked it (a bank line: its day, at midnight UTC); for a movement missing at the provider, when the ledger says it happened. */
  readonly occurredAt: Date;
  /** Stripe: charge, refund, transfer, adjustment, ... (for a movement Stripe has no record of, guessed from its id); bank: the line's outcome, or credit / debit for a movement no statement has. */
  readonly type: string;
}

export interface CurrencySummary {
  readonly currency: string;
  readonly counts: Readonly<Record<ReconciliationStatus, number>>;
  readonly provider: Money;
  readonly ledger: Money;
  readonly difference: Money;
}

export interface ReconciliationSummary {
  readonly counts: Readonly<Record<ReconciliationStatus, number>>;
  readonly currencies: readonly CurrencySummary[];
}

/** What the ledger recorded for one provider record: the movements' amounts and their entries. */
export interface LedgerSide {
  readonly amounts: Money[];
  readonly entryIds: bigint[];
}

/** A Stripe movement's source: `dp_1:withdrawn` is part of `dp_1` (the convention ProviderMovements' writers follow); a bank key's account. */
export const sourceOf = (externalId: string) => externalId.split(':', 1)[0]!;

/**
 * One item: the provider's record(s) against the ledger's movements for them. Missing on one
 * side, or the sums differ (in amount or currency), or they match.
 */
export function reconcile(provider: MovementProvider, externalId: string, type: string, occurredAt: Date, provided: Money[] | null, ledger: LedgerSide | null): ReconciliationItem {
  const providerAmount = provided ? total(provided) : null;
  const ledgerAmount = ledger ? total(ledger.amounts) : null;
  const entryIds = ledger ? [...new Set(ledger.entryIds)].sort((a, b) => (a < b ? -1 : 1)) : [];
  const base = { provider, externalId, providerAmount, ledgerAmount, entryIds, occurredAt, type };
  if (!ledger) return { ...base, status: 'missing_in_ledger', difference: providerAmount };
  if (!provided) return { ...base, status: 'missing_at_provider', difference: ledgerAmount && { amountMinor: -ledgerAmount.amountMinor, currency: ledgerAmount.currency } };
  const difference =
    providerAmount && ledgerAmount && providerAmount.currency === ledgerAmount.currency
      ? { amountMinor: providerAmount.amountMinor - ledgerAmount.amountMinor, currency: providerAmount.currency }
      : null;
  return { ...base, status: difference?.amountMinor === 0n ? 'matched' : 'amount_differs', difference };
}

/** The sum, or null when the amounts are in more than one currency (which never matches). */
export function total(amounts: readonly Money[]): Money | null {
  const currency = amounts[0]?.currency;
  if (currency === undefined || amounts.some((a) => a.currency !== currency)) return null;
  return { amountMinor: amounts.reduce((s, a) => s + a.amountMinor, 0n), currency };
}

/** Both sides add up to the same amount in the same currency. */
export function sameTotal(a: readonly Money[], b: readonly Money[]): boolean {
  const x = total(a);
  const y = total(b);
  return x !== null && y !== null && x.currency === y.currency && x.amountMinor === y.amountMinor;
}

/** Counts per status, and per currency the counts and both sides' totals. */
export function summarise(items: readonly ReconciliationItem[]): ReconciliationSummary {
  const zeroCounts = (): Record<ReconciliationStatus, number> => ({ matched: 0, missing_in_ledger: 0, missing_at_provider: 0, amount_differs: 0 });
  const counts = zeroCounts();
  const by = new Map<string, { counts: Record<ReconciliationStatus, number>; provider: bigint; ledger: bigint }>();
  for (const i of items) {
    counts[i.status]++;
    const currency = i.providerAmount?.currency ?? i.ledgerAmount?.currency;
    if (currency === undefined) continue;
    const c = by.get(currency) ?? { counts: zeroCounts(), provider: 0n, ledger: 0n };
    c.counts[i.status]++;
    if (i.providerAmount?.currency === currency) c.provider += i.providerAmount.amountMinor;
    if (i.ledgerAmount?.currency === currency) c.ledger += i.ledgerAmount.amountMinor;
    by.set(currency, c);
  }
  const currencies = [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, c]) => ({
      currency,
      counts: c.counts,
      provider: { amountMinor: c.provider, currency },
      ledger: { amountMinor: c.ledger, currency },
      difference: { amountMinor: c.provider - c.ledger, currency },
    }));
  return { counts, currencies };
}

export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** The first midnight UTC at or after t, as a date: a line booked on day D happened at D's midnight UTC. */
export function ceilDay(t: Date): string {
  const day = new Date(Math.ceil(t.getTime() / DAY_MS) * DAY_MS);
  return day.toISOString().slice(0, 10);
}

const STRIPE_TYPES: Readonly<Record<string, string>> = {
  charge: 'charge',
  payment: 'charge',
  refund: 'refund',
  payment_refund: 'refund',
  transfer: 'transfer',
  transfer_cancel: 'transfer',
  transfer_refund: 'transfer',
  transfer_failure: 'transfer',
  adjustment: 'adjustment',
};
/** Stripe's balance transaction types, by what the report calls them. */
export const stripeType = (t: string) => STRIPE_TYPES[t] ?? t;

/** The type of a movement Stripe has no record of, from its id's prefix. */
export function guessStripeType(source: string): string {
  const prefix = source.split('_', 1)[0];
  if (prefix === 'ch' || prefix === 'py' || prefix === 'pi') return 'charge';
  if (prefix === 're' || prefix === 'pyr') return 'refund';
  if (prefix === 'tr' || prefix === 'trr') return 'transfer';
  if (prefix === 'dp' || prefix === 'du') return 'adjustment';
  return 'unknown';
}
