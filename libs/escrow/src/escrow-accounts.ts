import { Injectable } from '@nestjs/common';
import { type Actor, auditActor } from '@app/identity';
import { type LedgerAccount, LedgerService } from '@app/ledger';
import { EscrowError } from './escrow-errors.js';
import type { FundingSource, PayoutSource } from './domain/index.js';

/**
 * The ledger accounts escrow posts to (all made on first use, with the purposes' own sign
 * rules, so that other contexts asking for the same account get the same one):
 *
 * | account | owner | purpose | reference |
 * |---|---|---|---|
 * | money on its way in, per channel | platform | clearing | `funding:wire` (bank and manual), `funding:stripe` |
 * | the deal's escrow | platform | escrow | the deal id (never negative: the ledger's rule) |
 * | a seller's proceeds, a buyer's money to give back | the organisation | payable | none |
 * | a broker's commission | the broker | commission | none |
 * | the platform's fees | platform | fees | none |
 * | payouts issued, not yet sent | platform | clearing | `payouts` |
 * | the platform's bank account | platform | cash | none |
 * | Stripe money out not yet explained (disputes, refunds made outside the platform) | platform | suspense | `stripe-disputes`, `stripe-refunds-outside` |
 */
export const CLEARING_REFERENCE: Readonly<Record<FundingSource, string>> = {
  bank: 'funding:wire',
  manual: 'funding:wire',
  stripe: 'funding:stripe',
};
export const PAYOUTS_IN_TRANSIT_REFERENCE = 'payouts';

@Injectable()
export class EscrowAccounts {
  constructor(private readonly ledger: LedgerService) {}

  escrow(dealId: string, currency: string): Promise<LedgerAccount> {
    return this.ledger.account({ owner: 'platform', purpose: 'escrow', currency, reference: dealId });
  }

  clearing(source: FundingSource, currency: string): Promise<LedgerAccount> {
    return this.ledger.account({ owner: 'platform', purpose: 'clearing', currency, reference: CLEARING_REFERENCE[source] });
  }

  /** What the platform owes the organisation: a seller's proceeds, a buyer's refund or overpayment. */
  payable(orgId: string, currency: string): Promise<LedgerAccount> {
    return this.ledger.account({ owner: { orgId }, purpose: 'payable', currency });
  }

  commission(orgId: string, currency: string): Promise<LedgerAccount> {
    return this.ledger.account({ owner: { orgId }, purpose: 'commission', currency });
  }

  owed(orgId: string, currency: string, from: PayoutSource): Promise<LedgerAccount> {
    return from === 'commission' ? this.commission(orgId, currency) : this.payable(orgId, currency);
  }

  fees(currency: string): Promise<LedgerAccount> {
    return this.ledger.account({ owner: 'platform', purpose: 'fees', currency });
  }

  payoutsInTransit(currency: string): Promise<LedgerAccount> {
    return this.ledger.account({ owner: 'platform', purpose: 'clearing', currency, reference: PAYOUTS_IN_TRANSIT_REFERENCE });
  }

  cash(currency: string): Promise<LedgerAccount> {
    return this.ledger.account({ owner: 'platform', purpose: 'cash', currency });
  }

  /** Money that left the platform's Stripe balance for a reason finance still has to settle (a dispute, a refund made in Stripe's dashboard). */
  suspense(reference: 'stripe-disputes' | 'stripe-refunds-outside', currency: string): Promise<LedgerAccount> {
    return this.ledger.account({ owner: 'platform', purpose: 'suspense', currency, reference });
  }

  /**
   * Refuses to go on when an escrow account does not hold what the escrow's row says: the
   * two are written in one transaction, so a difference is a defect (or a posting to the
   * account from outside this context), and the transaction rolls back.
   */
  async expectEscrowBalance(accountId: string, expectedMinor: bigint, when: string): Promise<void> {
    const { balanceMinor } = await this.ledger.balance(accountId);
    if (balanceMinor !== expectedMinor) {
      throw new EscrowError('ESCROW.LEDGER_MISMATCH', `${when}: escrow account ${accountId} holds ${balanceMinor}, the escrow says ${expectedMinor}`);
    }
  }
}

/** Who did it, as the ledger's created_by and the operations' actor column. */
export function actorName(actor: Actor | 'system'): string {
  if (actor === 'system') return 'system';
  const a = auditActor(actor);
  return `${a.type}:${a.id}`;
}
