import { Controller, Headers, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { StripeEvents } from '@app/escrow';
import { Public } from '@app/identity';
import { APP_CONFIG, type AppConfig, ProblemError, Transactions } from '@app/platform';
import type { FastifyRequest } from 'fastify';
import Stripe from 'stripe';

/**
 * Stripe's events (API.md "Money"): the signature is checked on the raw body (Stripe-Signature,
 * HMAC-SHA256 with the webhook secret, at most five minutes old); each event is stored once by
 * its id, and acted on in the same transaction (StripeEvents: payments, disputes, refunds,
 * transfers and their reversals), so that duplicates and concurrent deliveries act once and
 * the outcome is kept with the event. Events arriving out of order converge on one state.
 */
@ApiTags('money')
@Controller('v1/payments/stripe')
export class StripeWebhookController {
  private readonly stripe: Stripe;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: Transactions,
    private readonly events: StripeEvents,
  ) {
    // Only webhooks.constructEvent is used here: no request goes to Stripe.
    this.stripe = new Stripe(config.stripe.secretKey ?? 'sk_test_not_configured');
  }

  @Post('webhook')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: "Stripe's signed events (verified on the raw body; each stored and acted on once)" })
  async webhook(@Req() req: FastifyRequest & { rawBody?: Buffer }, @Headers('stripe-signature') signature?: string) {
    const secret = this.config.stripe.webhookSecret;
    if (this.config.paymentsProvider !== 'stripe' || !secret) {
      throw new ProblemError(404, 'PAYMENTS.STRIPE_DISABLED', 'Stripe is not the payment provider', 'Set PAYMENTS_PROVIDER=stripe and the Stripe credentials');
    }
    let event: Stripe.Event;
    try {
      if (!signature || !req.rawBody) throw new Error('no Stripe-Signature header or no body');
      event = this.stripe.webhooks.constructEvent(req.rawBody, signature, secret, 300);
    } catch (err) {
      throw new ProblemError(400, 'PAYMENTS.BAD_SIGNATURE', 'Bad webhook signature', `The event is not signed by Stripe with this endpoint's secret: ${(err as Error).message}`);
    }
    return this.tx.tx(async (em) => {
      const inserted: { id: string }[] = await em.query(
        `INSERT INTO stripe_events (id, type, created, payload, outcome) VALUES ($1, $2, to_timestamp($3), $4, 'received')
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [event.id, event.type, event.created, JSON.stringify(event)],
      );
      if (!inserted[0]) return { received: true, duplicate: true };
      const outcome = await this.events.handle(event);
      await em.query('UPDATE stripe_events SET outcome = $2 WHERE id = $1', [event.id, outcome]);
      return { received: true, duplicate: false, outcome };
    });
  }
}
