import type { StatementLine } from './bank-statement.js';
import { findFundingReference } from './funding-reference.js';

/** A funding instruction still open: what the deal expects under its reference, and what arrived. */
export interface OpenFunding {
  readonly reference: string;
  readonly currency: string;
  readonly expectedMinor: bigint;
  readonly receivedMinor: bigint;
}

export type LineOutcome =
  /** The payment brings the deal to exactly what it expects. */
  | { readonly kind: 'matched'; readonly reference: string; readonly amountMinor: bigint }
  /** Less than what is outstanding: the deal waits for the rest. */
  | { readonly kind: 'partial'; readonly reference: string; readonly amountMinor: bigint; readonly outstandingMinor: bigint }
  /** More than what was outstanding: the excess is reported (and refunded by finance). */
  | { readonly kind: 'over'; readonly reference: string; readonly amountMinor: bigint; readonly excessMinor: bigint }
  | { readonly kind: 'currency_mismatch'; readonly reference: string; readonly expectedCurrency: string }
  /** No open funding under any reference in the text. */
  | { readonly kind: 'unknown_reference'; readonly found: string | null }
  /** Money going out, or zero: not a funding (payouts are matched elsewhere). */
  | { readonly kind: 'not_a_credit' };

/**
 * Classifies statement lines against open funding instructions, in file order: several
 * partial payments under one reference add up (the line that completes it is `matched`,
 * anything beyond it `over`). Pure: the caller posts what it decides to the ledger.
 */
export function matchStatement(lines: readonly StatementLine[], open: ReadonlyMap<string, OpenFunding>): { line: StatementLine; outcome: LineOutcome }[] {
  const received = new Map<string, bigint>();
  return lines.map((line) => ({ line, outcome: classify(line) }));

  function classify(line: StatementLine): LineOutcome {
    if (line.amountMinor <= 0n) return { kind: 'not_a_credit' };
    const found = findFundingReference(line.reference);
    const funding = found ? open.get(found) : undefined;
    if (!found || !funding) return { kind: 'unknown_reference', found };
    if (funding.currency !== line.currency) return { kind: 'currency_mismatch', reference: found, expectedCurrency: funding.currency };
    const before = received.get(found) ?? funding.receivedMinor;
    const after = before + line.amountMinor;
    received.set(found, after);
    const outstanding = funding.expectedMinor - before;
    if (outstanding <= 0n) return { kind: 'over', reference: found, amountMinor: line.amountMinor, excessMinor: line.amountMinor };
    if (after < funding.expectedMinor) return { kind: 'partial', reference: found, amountMinor: line.amountMinor, outstandingMinor: funding.expectedMinor - after };
    if (after === funding.expectedMinor) return { kind: 'matched', reference: found, amountMinor: line.amountMinor };
    return { kind: 'over', reference: found, amountMinor: line.amountMinor, excessMinor: after - funding.expectedMinor };
  }
}
