import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, PlatformOnly, Roles, orgScope } from '@app/identity';
import { type JournalEntry, type LedgerAccount, LedgerError, LedgerService } from '@app/ledger';
import { toMoneyJson } from '@app/money';
import { ApiIdParam, IdParam, type PageQuery, ProblemError, ValidQuery, pageQuery } from '@app/platform';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { attachment, decimal, toCsv } from '../reconciliation/csv.js';
import { periodOf, periodQuery } from '../reconciliation/period.js';

type AccountWithBalance = LedgerAccount & { balanceMinor: bigint };

function accountView(a: AccountWithBalance) {
  return {
    id: a.id,
    ownerOrgId: a.ownerOrgId,
    purpose: a.purpose,
    currency: a.currency,
    reference: a.reference,
    normalSide: a.normalSide,
    mayGoNegative: a.mayGoNegative,
    /** In the account's normal direction: what an escrow holds, what is payable, what cash there is. */
    balance: toMoneyJson({ amountMinor: a.balanceMinor, currency: a.currency }),
    createdAt: a.createdAt.toISOString(),
  };
}

function entryView(e: JournalEntry) {
  return {
    id: e.id.toString(),
    reference: e.reference,
    description: e.description,
    reverses: e.reverses?.toString() ?? null,
    createdBy: e.createdBy,
    postedAt: e.postedAt.toISOString(),
    /** Debits positive, credits negative. */
    lines: e.lines.map((l) => ({ accountId: l.accountId, amount: toMoneyJson({ amountMinor: l.amountMinor, currency: l.currency }) })),
  };
}

/** The most entries one CSV export holds: a busier account is exported period by period. */
const MAX_EXPORT_ENTRIES = 100_000;
export const ENTRIES_CSV_HEADER = ['entry_id', 'posted_at', 'reference', 'description', 'account_id', 'currency', 'amount', 'amount_minor'] as const;

/** One row per line of each entry (the account's own and the other side's), in posting order. */
function entriesCsv(entries: readonly JournalEntry[]): string {
  return toCsv(
    ENTRIES_CSV_HEADER,
    entries.flatMap((e) =>
      e.lines.map((l) => [e.id, e.postedAt.toISOString(), e.reference, e.description, l.accountId, l.currency, decimal({ amountMinor: l.amountMinor, currency: l.currency }), l.amountMinor]),
    ),
  );
}

/** A JSON number while exact; the totals of a real ledger stay far below 2^53 minor units. */
function exact(n: bigint): number {
  const v = Number(n);
  if (!Number.isSafeInteger(v)) throw new RangeError(`${n} does not fit a JSON number exactly`);
  return v;
}

/** The ledger, read-only (API.md "Money"): finance sees its organisation's accounts, platform finance all. */
@ApiTags('money')
@Controller('v1/ledger')
export class LedgerController {
  constructor(private readonly ledger: LedgerService) {}

  @Get('accounts')
  @Roles('admin', 'finance')
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({ summary: "Ledger accounts with their balances: the organisation's own (platform finance: all)" })
  async accounts(@CurrentActor() actor: Actor, @ValidQuery(pageQuery) page: PageQuery) {
    const found = await this.ledger.accounts(orgScope(actor), page);
    return { data: found.data.map(accountView), nextCursor: found.nextCursor };
  }

  @Get('accounts/:id')
  @Roles('admin', 'finance')
  @ApiIdParam()
  @ApiOperation({ summary: 'One ledger account and its balance' })
  async account(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return accountView(await this.visible(actor, id));
  }

  @Get('accounts/:id/entries')
  @Roles('admin', 'finance')
  @ApiIdParam()
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({ summary: "The journal entries touching an account, newest first, each with all its lines" })
  async entries(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidQuery(pageQuery) page: PageQuery) {
    await this.visible(actor, id);
    const found = await this.ledger.entries(id, page);
    return { data: found.data.map(entryView), nextCursor: found.nextCursor };
  }

  @Get('accounts/:id/entries.csv')
  @Roles('admin', 'finance')
  @ApiIdParam()
  @ApiQuery({ name: 'from', required: false, description: 'Entries posted at or after: an ISO 8601 date (midnight UTC) or date-time with an offset' })
  @ApiQuery({ name: 'to', required: false, description: 'Entries posted before (excluded)' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: `RFC 4180 CSV, one row per line of each entry: ${ENTRIES_CSV_HEADER.join(', ')} (debits positive)`, schema: { type: 'string' } })
  @ApiOperation({ summary: `The entries touching an account as CSV, oldest first (at most ${MAX_EXPORT_ENTRIES}); same visibility as the entries` })
  async entriesCsv(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @ValidQuery(periodQuery) q: z.output<typeof periodQuery>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const period = periodOf(q, { code: 'LEDGER.INVALID_PERIOD', required: false });
    const account = await this.visible(actor, id);
    const entries = await this.ledger.entriesPosted(account.id, period, MAX_EXPORT_ENTRIES + 1);
    if (entries.length > MAX_EXPORT_ENTRIES) {
      throw new ProblemError(422, 'LEDGER.EXPORT_TOO_LARGE', 'Too many entries', `The account has more than ${MAX_EXPORT_ENTRIES} entries in this period: export a shorter one (from, to)`);
    }
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', attachment(`ledger-${account.id}-entries.csv`));
    return entriesCsv(entries);
  }

  @Get('trial-balance')
  @PlatformOnly()
  @Roles('admin', 'finance')
  @ApiOperation({ summary: 'Debits and credits per currency over the whole journal: equal in every currency (platform admin or finance)' })
  async trialBalance() {
    const totals = await this.ledger.trialBalance();
    return { currencies: totals.map((t) => ({ currency: t.currency, debitsMinor: exact(t.debitsMinor), creditsMinor: exact(t.creditsMinor) })) };
  }

  /** An account of the actor's organisation (any, for the platform); others are 404: existence would leak. */
  private async visible(actor: Actor, id: string): Promise<AccountWithBalance> {
    const account = await this.ledger.accountById(id);
    const scope = orgScope(actor);
    if (scope !== null && account.ownerOrgId !== scope) throw new LedgerError('LEDGER.UNKNOWN_ACCOUNT', `There is no ledger account ${id}`);
    return account;
  }
}
