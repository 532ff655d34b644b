import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, PlatformOnly, Roles, orgScope } from '@app/identity';
import { type JournalEntry, type LedgerAccount, LedgerError, LedgerService } from '@app/ledger';
import { toMoneyJson } from '@app/money';
import { ApiIdParam, IdParam, type PageQuery, ValidQuery, pageQuery } from '@app/platform';

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
