import { type LineOutcome, type OpenFunding, type StatementLine, findFundingReference, matchStatement } from '@app/payments';
import { type EscrowStatus, isSettled } from './escrow-state.js';

/** A bank account of the platform, as statements name it: its lines' bank references are unique within it. */
export const BANK_ACCOUNT = /^[A-Za-z0-9_-]{1,24}$/;
/** Bank references longer than this are refused (the funding key that carries one must fit the ledger's). */
export const MAX_BANK_REFERENCE = 96;

/** An escrow a statement line may pay into, by its funding reference. */
export interface EscrowForStatement {
  readonly dealId: string;
  readonly fundingReference: string;
  readonly currency: string;
  readonly expectedMinor: bigint;
  readonly fundedMinor: bigint;
  readonly status: EscrowStatus;
}

export type PlannedOutcome = LineOutcome | { readonly kind: 'duplicate'; readonly why: 'imported_before' | 'recorded_before' | 'confirmed_by_finance' };

export interface PlannedLine {
  readonly line: StatementLine;
  readonly outcome: PlannedOutcome;
  /** The escrow the line names, when its reference is one. */
  readonly dealId: string | null;
  /** The funding's external id, for the lines to post (matched, partial, over). */
  readonly externalId: string;
}

export interface StatementContext {
  readonly bankAccount: string;
  readonly fileSha256: string;
  /** By funding reference. */
  readonly escrows: ReadonlyMap<string, EscrowForStatement>;
  /** Bank references of this account taken by an earlier import. */
  readonly importedBankReferences: ReadonlySet<string>;
  /** Funding operations recorded already, as `<dealId> <operation>`. */
  readonly recordedOperations: ReadonlySet<string>;
}

/**
 * The funding's external id for a statement line: the bank's reference when the line has one
 * (unique per bank account), else the file's hash and the line number, so that importing the
 * same file again posts nothing (a line without a bank reference in another file cannot be
 * told from a new payment).
 */
export function bankLineExternalId(bankAccount: string, fileSha256: string, line: StatementLine): string {
  return line.bankReference !== null ? `${bankAccount}:${line.bankReference}` : `${bankAccount}:file:${fileSha256}:${line.line}`;
}

export const operationKey = (dealId: string, operation: string): string => `${dealId} ${operation}`;

/**
 * What each line of a statement is: a duplicate (its bank reference was imported before, its
 * funding is recorded, or finance confirmed that wire by its bank reference), or whatever
 * matchStatement makes of it against the escrows' funding references. Settled escrows take
 * part with nothing outstanding, so a payment for one is `over`: the money is the buyer's.
 */
export function planStatement(lines: readonly StatementLine[], ctx: StatementContext): PlannedLine[] {
  const planned: (PlannedLine | null)[] = [];
  const rest: StatementLine[] = [];
  for (const line of lines) {
    const found = line.amountMinor > 0n ? findFundingReference(line.reference) : null;
    const escrow = found ? ctx.escrows.get(found) : undefined;
    const externalId = bankLineExternalId(ctx.bankAccount, ctx.fileSha256, line);
    const dealId = escrow?.dealId ?? null;
    const duplicate = (why: 'imported_before' | 'recorded_before' | 'confirmed_by_finance'): PlannedLine => ({ line, outcome: { kind: 'duplicate', why }, dealId, externalId });
    if (line.bankReference !== null && ctx.importedBankReferences.has(line.bankReference)) planned.push(duplicate('imported_before'));
    else if (escrow && ctx.recordedOperations.has(operationKey(escrow.dealId, `fund:bank:${externalId}`))) planned.push(duplicate('recorded_before'));
    else if (escrow && line.bankReference !== null && ctx.recordedOperations.has(operationKey(escrow.dealId, `fund:manual:${line.bankReference}`))) {
      planned.push(duplicate('confirmed_by_finance'));
    } else {
      planned.push(null);
      rest.push(line);
    }
  }
  const open = new Map<string, OpenFunding>();
  for (const e of ctx.escrows.values()) {
    const expectedMinor = isSettled(e.status) ? e.fundedMinor : e.expectedMinor;
    open.set(e.fundingReference, { reference: e.fundingReference, currency: e.currency, expectedMinor, receivedMinor: e.fundedMinor });
  }
  const matched = matchStatement(rest, open);
  let next = 0;
  return planned.map((p) => {
    if (p) return p;
    const { line, outcome } = matched[next++]!;
    const reference = 'reference' in outcome ? outcome.reference : null;
    return { line, outcome, dealId: reference ? ctx.escrows.get(reference)!.dealId : null, externalId: bankLineExternalId(ctx.bankAccount, ctx.fileSha256, line) };
  });
}

/** The lines that post a funding. */
export const postsFunding = (o: PlannedOutcome): o is Extract<LineOutcome, { kind: 'matched' | 'partial' | 'over' }> =>
  o.kind === 'matched' || o.kind === 'partial' || o.kind === 'over';
