import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { BankStatementImport, type StatementImportReport, type StatementLineReport } from '@app/escrow';
import { type Actor, CurrentActor, PlatformOnly, Roles } from '@app/identity';
import { toMoneyJson } from '@app/money';

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

/** Bank statements of the platform's account, matched to open escrows (the manual payment provider). */
@ApiTags('money')
@Controller('v1/reconciliation')
export class ReconciliationController {
  constructor(private readonly statements: BankStatementImport) {}

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
