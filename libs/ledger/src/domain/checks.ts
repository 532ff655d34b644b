/** Why the ledger's pure rules refuse an input. Stable: callers and the HTTP layer match on them. */
export type LedgerRuleCode =
  | 'LEDGER.TOO_FEW_LINES'
  | 'LEDGER.TOO_MANY_LINES'
  | 'LEDGER.INVALID_AMOUNT'
  | 'LEDGER.INVALID_ACCOUNT'
  | 'LEDGER.UNBALANCED'
  | 'LEDGER.UNKNOWN_CURRENCY'
  | 'LEDGER.INVALID_TEXT'
  | 'LEDGER.INVALID_ACCOUNT_SPEC';

export type LedgerCheck<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: LedgerRuleCode; readonly message: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

/**
 * The length PostgreSQL's length() gives (code points), or null for what a text column
 * cannot hold: a non-string, or a string with a NUL character.
 */
export function textLength(v: unknown): number | null {
  if (typeof v !== 'string' || v.includes('\u0000')) return null;
  let n = 0;
  for (const _ of v) n++;
  return n;
}
