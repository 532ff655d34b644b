import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  BankStatementImport,
  MAX_REPORT_DAYS,
  ReconciliationReport,
  type ReconciliationItem,
  type ReconciliationReportResult,
  type StatementImportReport,
  type StatementLineReport,
} from '@app/escrow';
import { type Actor, CurrentActor, PlatformOnly, Roles } from '@app/identity';
import { type Money, toMoneyJson } from '@app/money';
import { ValidQuery } from '@app/platform';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { attachment, decimal, toCsv, wantsCsv } from './csv.js';
import { periodOf, periodQuery } from './period.js';

function lineView(l: StatementLineReport) {
  return {
    ...l,
    amount: toMoneyJson(l.amount),
    entryId: l.entryId?.toString() ?? null,
    ...(l.outstanding ? { outstanding: toMoneyJson(l.outstanding) } : {}),
    ...(l.excess ? { excess: toMoneyJson(l.excess) } : {}),
  };
}

function reportView(r: StatementImportReport) {
  const lines = (ls: readonly StatementLineReport[]) => ls.map(lineView);
  return {
    importId: r.importId,
    bankAccount: r.bankAccount,
    fileSha256: r.fileSha256,
    lineCount: r.lineCount,
    matched: lines(r.matched),
    partial: lines(r.partial),
    over: lines(r.over),
    unknown: lines(r.unknown),
    currencyMismatch: lines(r.currencyMismatch),
    duplicates: lines(r.duplicates),
    notACredit: lines(r.notACredit),
  };
}

const moneyOrNull = (m: Money | null) => (m ? toMoneyJson(m) : null);

function itemView(i: ReconciliationItem) {
  return {
    provider: i.provider,
    externalId: i.externalId,
    status: i.status,
    type: i.type,
    occurredAt: i.occurredAt.toISOString(),
    providerAmount: moneyOrNull(i.providerAmount),
    ledgerAmount: moneyOrNull(i.ledgerAmount),
    difference: moneyOrNull(i.difference),
    entryIds: i.entryIds.map(String),
  };
}

function reconciliationView(r: ReconciliationReportResult) {
  return {
    from: r.from.toISOString(),
    to: r.to.toISOString(),
    generatedAt: r.generatedAt.toISOString(),
    stripeConsulted: r.stripeConsulted,
    summary: {
      counts: r.summary.counts,
      currencies: r.summary.currencies.map((c) => ({
        currency: c.currency,
        counts: c.counts,
        provider: toMoneyJson(c.provider),
        ledger: toMoneyJson(c.ledger),
        difference: toMoneyJson(c.difference),
      })),
    },
    items: r.items.map(itemView),
  };
}

export const REPORT_CSV_HEADER = [
  'provider',
  'external_id',
  'status',
  'type',
  'occurred_at',
  'provider_currency',
  'provider_amount',
  'provider_amount_minor',
  'ledger_currency',
  'ledger_amount',
  'ledger_amount_minor',
  'difference',
  'difference_minor',
  'entry_ids',
] as const;

function reportCsv(r: ReconciliationReportResult): string {
  const money = (m: Money | null) => [m?.currency ?? null, m ? decimal(m) : null, m?.amountMinor ?? null] as const;
  return toCsv(
    REPORT_CSV_HEADER,
    r.items.map((i) => [
      i.provider,
      i.externalId,
      i.status,
      i.type,
      i.occurredAt.toISOString(),
      ...money(i.providerAmount),
      ...money(i.ledgerAmount),
      ...money(i.difference).slice(1),
      i.entryIds.join(' '),
    ]),
  );
}

const reportQuery = periodQuery.extend({ format: z.enum(['json', 'csv']).optional() });
const compact = (d: Date) => d.toISOString().replace(/[-:]|\.\d{3}/g, '');

const MONEY_SCHEMA = { type: 'object', nullable: true, properties: { amountMinor: { type: 'integer' }, currency: { type: 'string' } } };
const REPORT_SCHEMA = {
  type: 'object',
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    generatedAt: { type: 'string', format: 'date-time' },
    stripeConsulted: { type: 'boolean', description: "Whether Stripe's balance transactions were read (only with PAYMENTS_PROVIDER=stripe)" },
    summary: { type: 'object', description: 'Counts per status, and per currency the counts and the provider, ledger and difference totals' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          provider: { type: 'string', enum: ['stripe', 'bank'] },
          externalId: { type: 'string', description: "Stripe: the balance transactions' source; bank: <account>:<bank reference> (<account>:file:<sha256>:<line> without one)" },
          status: { type: 'string', enum: ['matched', 'missing_in_ledger', 'missing_at_provider', 'amount_differs'] },
          type: { type: 'string', description: 'Stripe: charge, refund, transfer, adjustment...; bank: the line outcome, or credit/debit when no statement has the movement' },
          occurredAt: { type: 'string', format: 'date-time' },
          providerAmount: MONEY_SCHEMA,
          ledgerAmount: MONEY_SCHEMA,
          difference: { ...MONEY_SCHEMA, description: 'provider minus ledger (a missing side counts as zero); null across currencies' },
          entryIds: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/** Bank statements of the platform's accounts, and the reconciliation of the providers' records with the ledger (platform finance). */
@ApiTags('money')
@Controller('v1/reconciliation')
export class ReconciliationController {
  constructor(
    private readonly statements: BankStatementImport,
    private readonly reports: ReconciliationReport,
  ) {}

  @Get('report')
  @PlatformOnly()
  @Roles('admin', 'finance')
  @ApiQuery({ name: 'from', required: true, description: 'Start of the period, included: an ISO 8601 date (midnight UTC) or date-time with an offset' })
  @ApiQuery({ name: 'to', required: true, description: `End of the period, excluded; at most ${MAX_REPORT_DAYS} days after from` })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'], description: 'csv: the items as RFC 4180 CSV (also chosen by Accept: text/csv)' })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ schema: REPORT_SCHEMA })
  @ApiOperation({
    summary:
      "Reconciliation of a period (platform admin or finance): Stripe's balance transactions (when Stripe is the provider) and bank statement lines against the ledger's records of them: matched, missing in the ledger, missing at the provider, amount differs",
  })
  async report(@ValidQuery(reportQuery) q: z.output<typeof reportQuery>, @Res({ passthrough: true }) reply: FastifyReply, @Headers('accept') accept?: string) {
    const { from, to } = periodOf(q, { code: 'RECONCILIATION.INVALID_PERIOD', required: true, max: { days: MAX_REPORT_DAYS, code: 'RECONCILIATION.PERIOD_TOO_LONG' } });
    const report = await this.reports.build({ from, to });
    if (!wantsCsv(q.format, accept)) return reconciliationView(report);
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', attachment(`reconciliation_${compact(from)}_${compact(to)}.csv`));
    return reportCsv(report);
  }

  @Post('bank-statements')
  @HttpCode(201)
  @PlatformOnly()
  @Roles('admin', 'finance')
  @ApiConsumes('text/csv')
  @ApiBody({
    description: 'The CSV the bank exported: a header row naming date, amount, currency, reference (optional counterparty, bank_reference)',
    schema: { type: 'string', example: 'date,amount,currency,reference,bank_reference\n2026-11-28,1250.00,USD,IPV4M-7K2Q-9XF3-M,B123' },
  })
  @ApiQuery({ name: 'bankAccount', required: false, description: "The platform's bank account the statement is of (default main)" })
  @ApiOperation({
    summary: 'Import a bank statement (platform finance): fundings matched by reference are posted to their escrow; the whole file is refused, with line numbers, when a line is malformed',
  })
  async import(@CurrentActor() actor: Actor, @Body() body: unknown, @Query('bankAccount') bankAccount?: string) {
    return reportView(await this.statements.import(typeof body === 'string' ? body : '', { bankAccount: bankAccount ?? 'main', actor }));
  }
}
