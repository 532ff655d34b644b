import { Module } from '@nestjs/common';
import { StripeCalls } from './stripe/stripe-calls.js';

/** Calls to payment providers (Stripe). Needs the platform's config, Transactions and Clock (PlatformModule is global). */
@Module({
  providers: [StripeCalls],
  exports: [StripeCalls],
})
export class PaymentsModule {}
