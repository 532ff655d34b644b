import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { EscrowService, type FundingInstructions } from './escrow.service.js';
import { StripeFunding, type StripeFundingInstructions } from './stripe-funding.js';

/** How the buyer pays the deal in: a wire with our reference (manual), or a card payment (Stripe). */
export type PaymentInstructions = FundingInstructions | StripeFundingInstructions;

/**
 * The payment provider seen from the transfer pipeline: one interface, chosen by
 * PAYMENTS_PROVIDER. Money in: `instructions` (a wire reference that finance or the bank
 * statement matches, or a Stripe PaymentIntent that the webhook confirms). Money out goes
 * through PayoutService, whose payouts carry their method (manual, stripe_transfer,
 * stripe_refund) and are paid by finance or by the worker.
 */
export interface PaymentProvider {
  readonly name: 'manual' | 'stripe';
  instructions(dealId: string): Promise<PaymentInstructions>;
}

@Injectable()
export class ManualPaymentProvider implements PaymentProvider {
  readonly name = 'manual' as const;
  constructor(private readonly escrows: EscrowService) {}

  instructions(dealId: string): Promise<FundingInstructions> {
    return this.escrows.fundingInstructions(dealId);
  }
}

@Injectable()
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  constructor(private readonly funding: StripeFunding) {}

  instructions(dealId: string): Promise<StripeFundingInstructions> {
    return this.funding.instructions(dealId);
  }
}

/** The configured provider. */
@Injectable()
export class PaymentProviders {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly manual: ManualPaymentProvider,
    private readonly stripe: StripePaymentProvider,
  ) {}

  current(): PaymentProvider {
    return this.config.paymentsProvider === 'stripe' ? this.stripe : this.manual;
  }
}
