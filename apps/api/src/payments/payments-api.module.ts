import { Module } from '@nestjs/common';
import { EscrowModule } from '@app/escrow';
import { StripeWebhookController } from './stripe-webhook.controller.js';

/** The HTTP face of the payment providers: Stripe's webhooks in. */
@Module({
  imports: [EscrowModule],
  controllers: [StripeWebhookController],
})
export class PaymentsApiModule {}
