import { Injectable } from '@nestjs/common';
import { type Actor, AuditLog } from '@app/identity';
import { Clock, Transactions } from '@app/platform';
import { actorName } from './escrow-accounts.js';
import { EscrowError, invalid } from './escrow-errors.js';
import { isUuid } from './domain/index.js';

export interface ConnectedAccount {
  readonly orgId: string;
  readonly accountId: string;
  readonly updatedBy: string;
  readonly updatedAt: Date;
}

const ACCOUNT_ID = /^acct_[A-Za-z0-9]{1,250}$/;

/** Which Stripe connected account (Stripe Connect) an organisation is paid to. */
@Injectable()
export class ConnectedAccounts {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  async set(orgId: string, accountId: string, actor: Actor | 'system'): Promise<ConnectedAccount> {
    if (!isUuid(orgId)) throw new EscrowError('PAYOUT.INVALID', `${orgId} is not an organisation id`);
    if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) {
      throw invalid('PAYOUT.INVALID', [{ field: 'accountId', code: 'PAYMENTS.INVALID_ACCOUNT_ID', message: 'must be a Stripe account id (acct_...)' }]);
    }
    return this.tx.tx(async (em) => {
      let rows: { org_id: string; account_id: string; updated_by: string; updated_at: Date }[];
      try {
        rows = await em.query(
          `INSERT INTO stripe_connected_accounts (org_id, account_id, updated_by, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (org_id) DO UPDATE SET account_id = EXCLUDED.account_id, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
           RETURNING org_id, account_id, updated_by, updated_at`,
          [orgId.toLowerCase(), accountId, actorName(actor), await this.clock.now()],
        );
      } catch (err) {
        const e = (err as { driverError?: { code?: string; constraint?: string } }).driverError;
        if (e?.code === '23503') throw new EscrowError('ESCROW.UNKNOWN_PARTY', `There is no organisation ${orgId}`);
        if (e?.code === '23505') throw new EscrowError('PAYMENTS.ACCOUNT_TAKEN', `Stripe account ${accountId} is another organisation's`);
        throw err;
      }
      const r = rows[0]!;
      await this.audit.record(actor, { action: 'payments.connected-account.set', orgId: r.org_id, subject: { type: 'organisation', id: r.org_id }, details: { accountId } });
      return { orgId: r.org_id, accountId: r.account_id, updatedBy: r.updated_by, updatedAt: r.updated_at };
    });
  }

  async get(orgId: string): Promise<ConnectedAccount | null> {
    if (!isUuid(orgId)) return null;
    const [r]: { org_id: string; account_id: string; updated_by: string; updated_at: Date }[] = await this.tx
      .manager()
      .query('SELECT org_id, account_id, updated_by, updated_at FROM stripe_connected_accounts WHERE org_id = $1', [orgId.toLowerCase()]);
    return r ? { orgId: r.org_id, accountId: r.account_id, updatedBy: r.updated_by, updatedAt: r.updated_at } : null;
  }
}
