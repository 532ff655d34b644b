import { Inject, Injectable } from '@nestjs/common';
import type { Money } from '@app/money';
import { StripeCalls } from '@app/payments';
import { APP_CONFIG, type AppConfig, ProblemError } from '@app/platform';
import { EscrowService } from './escrow.service.js';

/** What the buyer's browser needs to pay the deal by card (Stripe Elements confirms the PaymentIntent with the client secret). */
export interface StripeFundingInstructions {
  readonly dealId: string;
  readonly method: 'stripe';
  readonly paymentIntentId: string;
  readonly clientSecret: string;
  readonly amountDue: Money;
}

/**
 * Funding through Stripe (the `stripe` provider): a PaymentIntent on the platform's account
 * for what the deal still lacks, with `transfer_group` = the deal (so the seller's and
 * broker's transfers are grouped with it) and the deal in its metadata (the webhook funds the
 * escrow on `payment_intent.succeeded`, never on the client's word). One PaymentIntent per
 * (deal, amount already funded): asking again answers the same one; after a partial payment
 * the next one asks for the rest.
 */
@Injectable()
export class StripeFunding {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly escrows: EscrowService,
    private readonly calls: StripeCalls,
  ) {}

  async instructions(dealId: string): Promise<StripeFundingInstructions> {
    if (this.config.paymentsProvider !== 'stripe') {
      throw new ProblemError(409, 'PAYMENTS.STRIPE_DISABLED', 'Stripe is not the payment provider', 'Set PAYMENTS_PROVIDER=stripe to take payments by Stripe');
    }
    const escrow = await this.escrows.get(dealId);
    if (escrow.status !== 'awaiting_funds') {
      throw new ProblemError(409, 'ESCROW.NOTHING_DUE', 'Nothing to pay', `The escrow of deal ${escrow.dealId} is ${escrow.status}: nothing is due`);
    }
    const due = escrow.outstanding;
    const amount = Number(due.amountMinor);
    if (!Number.isSafeInteger(amount)) throw new RangeError(`${due.amountMinor} does not fit Stripe's amount`);
    const { object } = await this.calls.create({
      operationKey: `deal:${escrow.dealId}:payment_intent:${escrow.funded.amountMinor}`,
      kind: 'payment_intent',
      dealId: escrow.dealId,
      params: {
        amount,
        currency: due.currency.toLowerCase(),
        transfer_group: escrow.dealId,
        automatic_payment_methods: { enabled: true },
        description: `escrow for deal ${escrow.dealId}`,
        metadata: { dealId: escrow.dealId, fundingReference: escrow.fundingReference },
      },
    });
    return { dealId: escrow.dealId, method: 'stripe', paymentIntentId: object.id, clientSecret: String(object.client_secret), amountDue: due };
  }
}
