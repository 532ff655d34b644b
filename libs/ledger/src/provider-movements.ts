import { Injectable } from '@nestjs/common';
import type { Money } from '@app/money';
import { Transactions } from '@app/platform';

export const MOVEMENT_PROVIDERS = ['stripe', 'bank'] as const;
export type MovementProvider = (typeof MOVEMENT_PROVIDERS)[number];

export interface ProviderMovement {
  readonly provider: MovementProvider;
  /** Stripe: the balance transaction's source (ch_, tr_, re_, dp_ ...); bank: `<account>:<bank reference>`. */
  readonly externalId: string;
  readonly entryId: bigint;
  /** Signed as the provider signs it: positive into the platform's balance, negative out. */
  readonly amount: Money;
  readonly at: Date;
}

/**
 * Which journal entry records each movement of money at a payment provider, written in the
 * transaction that posts the entry: the reconciliation report compares these with what the
 * provider says (Stripe's balance transactions, the bank's statement lines). Once per
 * (provider, external id): recording it again changes nothing.
 */
@Injectable()
export class ProviderMovements {
  constructor(private readonly tx: Transactions) {}

  async record(m: ProviderMovement): Promise<void> {
    if (m.amount.amountMinor === 0n) return;
    await this.tx.manager().query(
      `INSERT INTO provider_movements (provider, external_id, entry_id, currency, amount_minor, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, external_id) DO NOTHING`,
      [m.provider, m.externalId, m.entryId, m.amount.currency, m.amount.amountMinor, m.at],
    );
  }
}
