import { ProblemError } from '@app/platform';
import type { LedgerRuleCode } from './domain/checks.js';

export type LedgerErrorCode =
  | LedgerRuleCode
  | 'LEDGER.UNKNOWN_ACCOUNT'
  | 'LEDGER.UNKNOWN_OWNER'
  | 'LEDGER.ACCOUNT_CONFLICT'
  | 'LEDGER.INSUFFICIENT_FUNDS'
  | 'LEDGER.KEY_REUSED'
  | 'LEDGER.ENTRY_NOT_FOUND'
  | 'LEDGER.ALREADY_REVERSED';

const STATUS_AND_TITLE: Readonly<Record<LedgerErrorCode, readonly [number, string]>> = {
  'LEDGER.TOO_FEW_LINES': [422, 'Too few lines'],
  'LEDGER.TOO_MANY_LINES': [422, 'Too many lines'],
  'LEDGER.INVALID_AMOUNT': [422, 'Invalid amount'],
  'LEDGER.INVALID_ACCOUNT': [422, 'Invalid account'],
  'LEDGER.UNBALANCED': [422, 'Entry does not balance'],
  'LEDGER.UNKNOWN_CURRENCY': [422, 'Unknown currency'],
  'LEDGER.INVALID_TEXT': [422, 'Invalid text'],
  'LEDGER.INVALID_ACCOUNT_SPEC': [422, 'Invalid account'],
  'LEDGER.UNKNOWN_ACCOUNT': [404, 'Unknown account'],
  'LEDGER.UNKNOWN_OWNER': [404, 'Unknown organisation'],
  'LEDGER.ACCOUNT_CONFLICT': [409, 'Account exists with other terms'],
  'LEDGER.INSUFFICIENT_FUNDS': [409, 'Insufficient funds'],
  'LEDGER.KEY_REUSED': [409, 'Idempotency key reused'],
  'LEDGER.ENTRY_NOT_FOUND': [404, 'Entry not found'],
  'LEDGER.ALREADY_REVERSED': [409, 'Entry already reversed'],
};

/**
 * A refusal by the ledger, with a stable code. A ProblemError, so that the HTTP layer (when
 * the ledger gets routes) answers it as problem+json with the status that fits.
 */
export class LedgerError extends ProblemError {
  declare readonly code: LedgerErrorCode;

  constructor(code: LedgerErrorCode, detail: string, extra?: Readonly<Record<string, unknown>>) {
    const [status, title] = STATUS_AND_TITLE[code];
    super(status, code, title, detail, undefined, extra);
    this.name = 'LedgerError';
  }
}

export interface PgErrorFields {
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  detail?: string;
}

/** The fields of a PostgreSQL error, whether TypeORM wrapped it or not. */
export function pgError(err: unknown): PgErrorFields {
  const e = err as { driverError?: PgErrorFields } & PgErrorFields;
  return e?.driverError ?? e ?? {};
}

/** The ledger's refusals among database errors of a posting, as LedgerErrors; undefined for anything else. */
export function refusal(err: unknown): LedgerError | undefined {
  const e = pgError(err);
  const fail = (code: LedgerErrorCode, detail: string) => new LedgerError(code, detail);
  if (e.code === '23514' && e.constraint === 'ledger_balances_non_negative') {
    // DETAIL: Failing row contains (<account_id>, <currency>, ...).
    const account = /\(([0-9a-f-]{36}),/.exec(e.detail ?? '')?.[1];
    return new LedgerError('LEDGER.INSUFFICIENT_FUNDS', `The entry would take account ${account ?? '(unknown)'} below zero, which it may not go`, account ? { accountId: account } : undefined);
  }
  if (e.code === '23514' && e.constraint === 'journal_entry_balanced') return fail('LEDGER.UNBALANCED', 'The lines do not net to zero per currency');
  if (e.code === '23514' && e.constraint === 'journal_entry_lines') return fail('LEDGER.TOO_FEW_LINES', 'An entry needs at least two lines');
  if ((e.code === '23502' && e.table === 'journal_lines' && e.column === 'currency') || (e.code === '23503' && e.constraint === 'journal_lines_account')) {
    return fail('LEDGER.UNKNOWN_ACCOUNT', 'A line names an account that does not exist');
  }
  if (e.code === '23503' && e.constraint === 'journal_entries_reverses_fkey') return fail('LEDGER.ENTRY_NOT_FOUND', 'The entry to reverse does not exist');
  if (e.code === '23505' && e.constraint === 'journal_entries_reversed_once') return fail('LEDGER.ALREADY_REVERSED', 'The entry has been reversed already');
  return undefined;
}
