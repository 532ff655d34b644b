import { Module } from '@nestjs/common';
import { EscrowModule } from '@app/escrow';
import { PayoutsController } from './payouts.controller.js';
import { StripeWebhookController } from './stripe-webhook.controller.js';

/** The HTTP face of the payment providers: Stripe's webhooks in, payouts out, connected accounts. */
@Module({
  imports: [EscrowModule],
  controllers: [StripeWebhookController, PayoutsController],
})
export class PaymentsApiModule {}
