import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Actor, AuditLog } from '@app/identity';
import type { Money } from '@app/money';
import { type StatementLine, type StatementProblem, findFundingReference, parseBankStatement } from '@app/payments';
import { Clock, Transactions } from '@app/platform';
import {
  BANK_ACCOUNT,
  type EscrowForStatement,
  MAX_BANK_REFERENCE,
  type PlannedLine,
  bankLineExternalId,
  operationKey,
  planStatement,
  postsFunding,
} from './domain/index.js';
import { actorName } from './escrow-accounts.js';
import { EscrowError, invalid } from './escrow-errors.js';
import { EscrowService } from './escrow.service.js';

export interface StatementImportOptions {
  /** The platform's bank account the statement is of ('main' by default). */
  readonly bankAccount?: string;
  readonly fileName?: string;
  readonly actor?: Actor | 'system';
}

export type LineOutcomeKind = 'matched' | 'partial' | 'over' | 'unknown_reference' | 'currency_mismatch' | 'duplicate' | 'not_a_credit';

export interface StatementLineReport {
  /** The line number in the file (the header is 1). */
  readonly line: number;
  readonly date: string;
  /** Signed: negative for money going out. */
  readonly amount: Money;
  readonly reference: string;
  readonly counterparty: string | null;
  readonly bankReference: string | null;
  readonly outcome: LineOutcomeKind;
  /** The funding reference found in the text, if any. */
  readonly fundingReference: string | null;
  readonly dealId: string | null;
  /** The funding's journal entry (matched, partial, over). */
  readonly entryId: bigint | null;
  /** partial: what the deal still waits for. */
  readonly outstanding?: Money;
  /** over: what is beyond the price, credited back to the buyer. */
  readonly excess?: Money;
  /** currency_mismatch: the escrow's currency. */
  readonly expectedCurrency?: string;
  /** duplicate: imported before, its funding recorded before, or confirmed by finance under its bank reference. */
  readonly duplicateOf?: 'imported_before' | 'recorded_before' | 'confirmed_by_finance';
}

export interface StatementImportReport {
  readonly importId: string;
  readonly bankAccount: string;
  readonly fileSha256: string;
  readonly lineCount: number;
  readonly matched: StatementLineReport[];
  readonly partial: StatementLineReport[];
  readonly over: StatementLineReport[];
  readonly unknown: StatementLineReport[];
  readonly currencyMismatch: StatementLineReport[];
  readonly duplicates: StatementLineReport[];
  readonly notACredit: StatementLineReport[];
}

const BUCKET: Readonly<Record<LineOutcomeKind, Exclude<keyof StatementImportReport, 'importId' | 'bankAccount' | 'fileSha256' | 'lineCount'>>> = {
  matched: 'matched',
  partial: 'partial',
  over: 'over',
  unknown_reference: 'unknown',
  currency_mismatch: 'currencyMismatch',
  duplicate: 'duplicates',
  not_a_credit: 'notACredit',
};

/**
 * Bank statement import (the manual provider): a CSV of the platform's bank account is
 * parsed whole or refused whole (422 STATEMENT.MALFORMED listing every problem by line);
 * credits are matched to open escrows by the funding reference in their text, and matched,
 * partial and over payments are recorded as fundings (source 'bank'). Every line is kept
 * with its outcome; unknown references, currency mismatches and debits are reported, not
 * posted. Lines seen before (same bank reference, or the same file again) post nothing.
 * One transaction per file, one import per bank account at a time.
 */
@Injectable()
export class BankStatementImport {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly escrow: EscrowService,
  ) {}

  async import(text: string, o: StatementImportOptions = {}): Promise<StatementImportReport> {
    const bankAccount = o.bankAccount ?? 'main';
    const actor = o.actor ?? 'system';
    if (!BANK_ACCOUNT.test(bankAccount)) {
      throw invalid('ESCROW.INVALID', [{ field: 'bankAccount', code: 'STATEMENT.INVALID_ACCOUNT', message: 'must be 1 to 24 letters, digits, _ or -' }]);
    }
    if (typeof text !== 'string') throw malformed([{ line: 0, field: null, code: 'STATEMENT.EMPTY', message: 'the file is not text' }]);
    const parsed = parseBankStatement(text);
    if (!parsed.ok) throw malformed(parsed.problems);
    const tooLong = parsed.lines
      .filter((l) => l.bankReference !== null && l.bankReference.length > MAX_BANK_REFERENCE)
      .map((l): StatementProblem => ({ line: l.line, field: 'bank_reference', code: 'STATEMENT.BANK_REFERENCE_TOO_LONG', message: `longer than ${MAX_BANK_REFERENCE} characters` }));
    if (tooLong.length) throw malformed(tooLong);
    const lines = parsed.lines;
    const fileSha256 = createHash('sha256').update(text, 'utf8').digest('hex');

    return this.tx.tx(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('bank-statement:' || $1, 0))`, [bankAccount]);
      const planned = planStatement(lines, await this.context(em, bankAccount, fileSha256, lines));

      const entries = new Map<PlannedLine, bigint>();
      for (const p of planned) {
        if (!postsFunding(p.outcome)) continue;
        const funding = await this.escrow.recordFunding(
          {
            dealId: p.dealId!,
            amount: { amountMinor: p.line.amountMinor, currency: p.line.currency },
            source: 'bank',
            externalId: p.externalId,
            // The reconciliation report knows a line by this id (bankLineExternalId) and dates it by its booking day.
            movement: { externalId: p.externalId, at: new Date(`${p.line.date}T00:00:00Z`) },
          },
          actor,
        );
        const expectedExcess = p.outcome.kind === 'over' ? p.outcome.excessMinor : 0n;
        // The plan and the escrow's own rule (fundingEffect) must agree; they read the same locked rows.
        if (funding.replayed || funding.excess.amountMinor !== expectedExcess) {
          throw new EscrowError('ESCROW.LEDGER_MISMATCH', `Line ${p.line.line}: planned as ${p.outcome.kind}, recorded with excess ${funding.excess.amountMinor}${funding.replayed ? ' (replayed)' : ''}`);
        }
        entries.set(p, funding.entryId!);
      }

      const importId = randomUUID();
      const reports = planned.map((p) => toReport(p, entries.get(p) ?? null));
      const report: StatementImportReport = {
        importId,
        bankAccount,
        fileSha256,
        lineCount: lines.length,
        matched: [],
        partial: [],
        over: [],
        unknown: [],
        currencyMismatch: [],
        duplicates: [],
        notACredit: [],
      };
      for (const r of reports) report[BUCKET[r.outcome]].push(r);
      const summary = Object.fromEntries(Object.values(BUCKET).map((k) => [k, report[k].length]));
      await em.query(
        `INSERT INTO bank_statement_imports (id, bank_account, file_sha256, file_name, line_count, summary, imported_by, imported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [importId, bankAccount, fileSha256, o.fileName?.slice(0, 255) ?? null, lines.length, JSON.stringify(summary), actorName(actor), await this.clock.now()],
      );
      await this.insertLines(em, importId, bankAccount, reports);
      await this.audit.record(actor, {
        action: 'bank_statement.imported',
        orgId: null,
        subject: { type: 'bank_statement_import', id: importId },
        details: { bankAccount, fileSha256, fileName: o.fileName ?? null, lines: lines.length, ...summary },
      });
      return report;
    });
  }

  /** The escrows the file names (locked, in deal order, so concurrent imports cannot deadlock), and what was taken before. */
  private async context(em: EntityManager, bankAccount: string, fileSha256: string, lines: readonly StatementLine[]) {
    const references = [...new Set(lines.filter((l) => l.amountMinor > 0n).map((l) => findFundingReference(l.reference)).filter((r): r is string => r !== null))];
    const escrowRows: { deal_id: string; funding_reference: string; currency: string; expected_minor: bigint; funded_minor: bigint; status: EscrowForStatement['status'] }[] =
      references.length === 0
        ? []
        : await em.query(
            `SELECT deal_id, funding_reference, currency, expected_minor, funded_minor, status FROM escrows
              WHERE funding_reference = ANY($1::text[]) ORDER BY deal_id FOR UPDATE`,
            [references],
          );
    const escrows = new Map<string, EscrowForStatement>(
      escrowRows.map((r) => [
        r.funding_reference,
        { dealId: r.deal_id, fundingReference: r.funding_reference, currency: r.currency, expectedMinor: r.expected_minor, fundedMinor: r.funded_minor, status: r.status },
      ]),
    );
    const bankReferences = lines.map((l) => l.bankReference).filter((r): r is string => r !== null);
    const imported: { bank_reference: string }[] = bankReferences.length
      ? await em.query(
          `SELECT bank_reference FROM bank_statement_lines WHERE bank_account = $1 AND bank_reference = ANY($2::text[]) AND outcome <> 'duplicate'`,
          [bankAccount, bankReferences],
        )
      : [];
    const candidates = lines.flatMap((l) => {
      const ext = bankLineExternalId(bankAccount, fileSha256, l);
      return l.bankReference !== null ? [`fund:bank:${ext}`, `fund:manual:${l.bankReference}`] : [`fund:bank:${ext}`];
    });
    const recorded: { deal_id: string; operation: string }[] = escrowRows.length
      ? await em.query(`SELECT deal_id, operation FROM escrow_operations WHERE deal_id = ANY($1::uuid[]) AND operation = ANY($2::text[])`, [
          escrowRows.map((r) => r.deal_id),
          candidates,
        ])
      : [];
    return {
      bankAccount,
      fileSha256,
      escrows,
      importedBankReferences: new Set(imported.map((r) => r.bank_reference)),
      recordedOperations: new Set(recorded.map((r) => operationKey(r.deal_id, r.operation))),
    };
  }

  private async insertLines(em: EntityManager, importId: string, bankAccount: string, reports: readonly StatementLineReport[]): Promise<void> {
    if (reports.length === 0) return;
    const col = <T>(f: (r: StatementLineReport) => T) => reports.map(f);
    await em.query(
      `INSERT INTO bank_statement_lines (import_id, bank_account, line_no, booked_on, amount_minor, currency, reference, counterparty, bank_reference,
                                         outcome, funding_reference, deal_id, entry_id, outstanding_minor, excess_minor)
       SELECT $1, $2, x.* FROM unnest($3::int[], $4::date[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[],
                                      $10::text[], $11::text[], $12::uuid[], $13::bigint[], $14::bigint[], $15::bigint[]) AS x`,
      [
        importId,
        bankAccount,
        col((r) => r.line),
        col((r) => r.date),
        col((r) => r.amount.amountMinor),
        col((r) => r.amount.currency),
        col((r) => r.reference),
        col((r) => r.counterparty),
        col((r) => r.bankReference),
        col((r) => r.outcome),
        col((r) => r.fundingReference),
        col((r) => r.dealId),
        col((r) => r.entryId),
        col((r) => r.outstanding?.amountMinor ?? null),
        col((r) => r.excess?.amountMinor ?? null),
      ],
    );
  }
}

function toReport(p: PlannedLine, entryId: bigint | null): StatementLineReport {
  const { line, outcome } = p;
  const m = (amountMinor: bigint): Money => ({ amountMinor, currency: line.currency });
  const base = {
    line: line.line,
    date: line.date,
    amount: m(line.amountMinor),
    reference: line.reference,
    counterparty: line.counterparty,
    bankReference: line.bankReference,
    fundingReference: line.amountMinor > 0n ? findFundingReference(line.reference) : null,
    dealId: p.dealId,
    entryId,
  };
  switch (outcome.kind) {
    case 'partial':
      return { ...base, outcome: 'partial', outstanding: m(outcome.outstandingMinor) };
    case 'over':
      return { ...base, outcome: 'over', excess: m(outcome.excessMinor) };
    case 'currency_mismatch':
      return { ...base, outcome: 'currency_mismatch', expectedCurrency: outcome.expectedCurrency };
    case 'duplicate':
      return { ...base, outcome: 'duplicate', duplicateOf: outcome.why };
    default:
      return { ...base, outcome: outcome.kind };
  }
}

function malformed(problems: readonly StatementProblem[]): EscrowError {
  const shown = problems.map((p) => (p.line > 0 ? `line ${p.line}${p.field ? ` (${p.field})` : ''}: ${p.message}` : p.message));
  return new EscrowError('STATEMENT.MALFORMED', `The statement was refused whole, nothing was imported: ${shown.join('; ')}`, {
    errors: problems.map((p, i) => ({ field: p.line > 0 ? `line ${p.line}${p.field ? `.${p.field}` : ''}` : 'file', code: p.code, message: shown[i]! })),
    extra: { problems },
  });
}
