import { describe, expect, it } from '@jest/globals';
import { type StatementLine, newFundingReference } from '@app/payments';
import { type EscrowForStatement, type StatementContext, bankLineExternalId, operationKey, planStatement } from './statement-plan.js';

const SHA = 'a'.repeat(64);
let n = 1;
const line = (amountMinor: bigint, reference: string, o: Partial<StatementLine> = {}): StatementLine => ({
  line: ++n,
  date: '2026-11-28',
  amountMinor,
  currency: 'USD',
  reference,
  counterparty: null,
  bankReference: `B${n}`,
  ...o,
});
const escrow = (o: Partial<EscrowForStatement> = {}): EscrowForStatement => ({
  dealId: `deal-${newFundingReference()}`,
  fundingReference: newFundingReference(),
  currency: 'USD',
  expectedMinor: 1000n,
  fundedMinor: 0n,
  status: 'awaiting_funds',
  ...o,
});
const ctx = (escrows: EscrowForStatement[], o: Partial<StatementContext> = {}): StatementContext => ({
  bankAccount: 'main',
  fileSha256: SHA,
  escrows: new Map(escrows.map((e) => [e.fundingReference, e])),
  importedBankReferences: new Set(),
  recordedOperations: new Set(),
  ...o,
});
const kinds = (lines: ReturnType<typeof planStatement>) => lines.map((p) => p.outcome.kind);

describe('planStatement', () => {
  it('classifies against the escrows, adding up partial payments, and names the deal', () => {
    const a = escrow();
    const b = escrow({ currency: 'EUR' });
    const plan = planStatement(
      [line(400n, `wire ${a.fundingReference}`), line(600n, a.fundingReference), line(5n, a.fundingReference), line(10n, b.fundingReference), line(10n, 'no ref'), line(-3n, a.fundingReference)],
      ctx([a, b]),
    );
    expect(kinds(plan)).toEqual(['partial', 'matched', 'over', 'currency_mismatch', 'unknown_reference', 'not_a_credit']);
    expect(plan.map((p) => p.dealId)).toEqual([a.dealId, a.dealId, a.dealId, b.dealId, null, null]);
    expect(plan[0]!.externalId).toBe(`main:${plan[0]!.line.bankReference}`);
  });

  it('treats a settled escrow as owed nothing: every payment to it is over, all of it excess', () => {
    const refunded = escrow({ status: 'refunded', fundedMinor: 300n });
    const released = escrow({ status: 'released', fundedMinor: 1000n });
    const plan = planStatement([line(50n, refunded.fundingReference), line(70n, released.fundingReference)], ctx([refunded, released]));
    expect(plan.map((p) => p.outcome)).toEqual([
      { kind: 'over', reference: refunded.fundingReference, amountMinor: 50n, excessMinor: 50n },
      { kind: 'over', reference: released.fundingReference, amountMinor: 70n, excessMinor: 70n },
    ]);
  });

  it('skips lines imported before, recorded before, or confirmed by finance under their bank reference, and matches the rest without them', () => {
    const a = escrow();
    const imported = line(400n, a.fundingReference);
    const noBankRef = line(300n, a.fundingReference, { bankReference: null });
    const confirmed = line(100n, a.fundingReference);
    const fresh = line(600n, a.fundingReference);
    const plan = planStatement(
      [imported, noBankRef, confirmed, fresh],
      ctx([a], {
        importedBankReferences: new Set([imported.bankReference!]),
        recordedOperations: new Set([
          operationKey(a.dealId, `fund:bank:${bankLineExternalId('main', SHA, noBankRef)}`),
          operationKey(a.dealId, `fund:manual:${confirmed.bankReference}`),
        ]),
      }),
    );
    expect(plan.map((p) => p.outcome)).toEqual([
      { kind: 'duplicate', why: 'imported_before' },
      { kind: 'duplicate', why: 'recorded_before' },
      { kind: 'duplicate', why: 'confirmed_by_finance' },
      { kind: 'partial', reference: a.fundingReference, amountMinor: 600n, outstandingMinor: 400n },
    ]);
  });

  it('gives a line without a bank reference an id of its file and line number', () => {
    const l = line(1n, 'x', { bankReference: null });
    expect(bankLineExternalId('main', SHA, l)).toBe(`main:file:${SHA}:${l.line}`);
  });
});
