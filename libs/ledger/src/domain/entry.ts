import { MAX_AMOUNT_MINOR, isCurrency } from '@app/money';
import { type LedgerCheck, type LedgerRuleCode, isUuid, textLength } from './checks.js';

/** A line as a poster gives it: positive amounts debit the account, negative ones credit it. */
export interface LineInput {
  readonly accountId: string;
  readonly amountMinor: bigint;
}

/** A line as posted: in its account's currency. */
export interface Line extends LineInput {
  readonly currency: string;
}

export interface EntryText {
  readonly idempotencyKey: string;
  /** What the entry is about (e.g. `transfer:<id>:funded`). */
  readonly reference: string;
  readonly description: string;
  /** Who posted: 'system', a job, an actor. */
  readonly createdBy: string;
}

export interface CurrencyTotals {
  readonly currency: string;
  /** The sum of the positive amounts. */
  readonly debitsMinor: bigint;
  /** The sum of the negative amounts, as a positive number. */
  readonly creditsMinor: bigint;
}

/** More would be a batch, not an entry; the bound keeps one statement's arrays small. */
export const MAX_LINES = 100;

const fail = (code: LedgerRuleCode, message: string): LedgerCheck<never> => ({ ok: false, code, message });

/**
 * The checks that need no database: 2 to MAX_LINES lines, each on a uuid account with a
 * non-zero bigint amount of at most MAX_AMOUNT_MINOR either way, and all of them summing to
 * zero (necessary for netting to zero per currency; the per-currency check needs the
 * accounts' currencies: checkBalanced). Answers the lines in posting order (postingOrder),
 * account ids in lower case as PostgreSQL writes them.
 */
export function checkLines(lines: readonly LineInput[]): LedgerCheck<LineInput[]> {
  if (!Array.isArray(lines) || lines.length < 2) return fail('LEDGER.TOO_FEW_LINES', 'an entry needs at least two lines');
  if (lines.length > MAX_LINES) return fail('LEDGER.TOO_MANY_LINES', `an entry has at most ${MAX_LINES} lines`);
  let total = 0n;
  const out: LineInput[] = [];
  for (const [i, line] of lines.entries()) {
    const { accountId, amountMinor } = (line ?? {}) as Partial<LineInput>;
    if (!isUuid(accountId)) return fail('LEDGER.INVALID_ACCOUNT', `line ${i + 1}: accountId must be an account's uuid`);
    if (typeof amountMinor !== 'bigint') return fail('LEDGER.INVALID_AMOUNT', `line ${i + 1}: amountMinor must be a bigint of minor units`);
    if (amountMinor === 0n) return fail('LEDGER.INVALID_AMOUNT', `line ${i + 1}: amountMinor must not be zero`);
    if (amountMinor > MAX_AMOUNT_MINOR || amountMinor < -MAX_AMOUNT_MINOR) {
      return fail('LEDGER.INVALID_AMOUNT', `line ${i + 1}: amountMinor must be within ±${MAX_AMOUNT_MINOR}`);
    }
    total += amountMinor;
    out.push({ accountId: accountId.toLowerCase(), amountMinor });
  }
  if (total !== 0n) return fail('LEDGER.UNBALANCED', `the lines do not net to zero: ${total} left over`);
  return { ok: true, value: postingOrder(out) };
}

/**
 * The entry rule (the deferred trigger's, here before commit): at least two lines, known
 * currencies, and the lines of each currency netting to zero.
 */
export function checkBalanced(lines: readonly Line[]): LedgerCheck<readonly Line[]> {
  if (lines.length < 2) return fail('LEDGER.TOO_FEW_LINES', 'an entry needs at least two lines');
  for (const l of lines) {
    if (!isCurrency(l.currency)) return fail('LEDGER.UNKNOWN_CURRENCY', `${String(l.currency)} is not a known ISO 4217 currency`);
  }
  const off = netByCurrency(lines).filter(([, net]) => net !== 0n);
  if (off.length > 0) {
    return fail('LEDGER.UNBALANCED', `the lines do not net to zero per currency: ${off.map(([c, net]) => `${c} ${net}`).join(', ')} left over`);
  }
  return { ok: true, value: lines };
}

/** Net amount per currency, in currency order. */
export function netByCurrency(lines: readonly Line[]): [string, bigint][] {
  const net = new Map<string, bigint>();
  for (const l of lines) net.set(l.currency, (net.get(l.currency) ?? 0n) + l.amountMinor);
  return [...net].sort(([a], [b]) => compare(a, b));
}

/** Debits and credits per currency, in currency order: a trial balance of these lines. */
export function totalsByCurrency(lines: readonly Line[]): CurrencyTotals[] {
  const totals = new Map<string, { debitsMinor: bigint; creditsMinor: bigint }>();
  for (const l of lines) {
    const t = totals.get(l.currency) ?? { debitsMinor: 0n, creditsMinor: 0n };
    if (l.amountMinor > 0n) t.debitsMinor += l.amountMinor;
    else t.creditsMinor -= l.amountMinor;
    totals.set(l.currency, t);
  }
  return [...totals].sort(([a], [b]) => compare(a, b)).map(([currency, t]) => ({ currency, ...t }));
}

/** The lines of the entry that undoes this one: each amount negated, same accounts. */
export function reversalOf<L extends LineInput>(lines: readonly L[]): L[] {
  return lines.map((l) => ({ ...l, amountMinor: -l.amountMinor }));
}

/**
 * Lines sorted by account id (stably): the order they are inserted in. The balance trigger
 * locks balance rows in account order whatever the insert order; sorting here as well keeps
 * the line ids in the same order as the locks.
 */
export function postingOrder<L extends LineInput>(lines: readonly L[]): L[] {
  return [...lines].sort((a, b) => compare(a.accountId, b.accountId));
}

/** The same lines in any order (a multiset of account and amount): is a replay the same entry? */
export function sameLines(a: readonly LineInput[], b: readonly LineInput[]): boolean {
  if (a.length !== b.length) return false;
  const key = (l: LineInput) => `${l.accountId.toLowerCase()} ${l.amountMinor}`;
  const left = a.map(key).sort(compare);
  const right = b.map(key).sort(compare);
  return left.every((k, i) => k === right[i]);
}

/** Text fields within what their columns take. */
export function checkEntryText(t: EntryText): LedgerCheck<EntryText> {
  const within = (v: unknown, min: number, max: number) => {
    const n = textLength(v);
    return n !== null && n >= min && n <= max;
  };
  if (!within(t.idempotencyKey, 1, 200)) return fail('LEDGER.INVALID_TEXT', 'idempotencyKey must be text of 1 to 200 characters');
  if (!within(t.reference, 1, 200)) return fail('LEDGER.INVALID_TEXT', 'reference must be text of 1 to 200 characters');
  if (!within(t.description, 0, 1000)) return fail('LEDGER.INVALID_TEXT', 'description must be text of at most 1000 characters');
  if (!within(t.createdBy, 1, 200)) return fail('LEDGER.INVALID_TEXT', 'createdBy must be text of 1 to 200 characters');
  return { ok: true, value: t };
}

/** Code-unit order; for lower-case uuids the same order as PostgreSQL's uuid comparison. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
