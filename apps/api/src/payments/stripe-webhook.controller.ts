import { Controller, Headers, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EscrowService } from '@app/escrow';
import { Public } from '@app/identity';
import { APP_CONFIG, type AppConfig, ProblemError, Transactions } from '@app/platform';
import type { FastifyRequest } from 'fastify';
import Stripe from 'stripe';

interface PaymentIntentLike {
  id: string;
  amount_received?: number;
  currency?: string;
  metadata?: Record<string, string>;
}

/**
 * Stripe's events (API.md "Money"): the signature is checked on the raw body (Stripe-Signature,
 * HMAC-SHA256 with the webhook secret, at most five minutes old); each event is stored once by
 * its id, and acted on in the same transaction, so that duplicates and concurrent deliveries
 * act once. Funding counts only on `payment_intent.succeeded`, for the deal in its metadata.
 */
@ApiTags('money')
@Controller('v1/payments/stripe')
export class StripeWebhookController {
  private readonly stripe: Stripe;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: Transactions,
    private readonly escrows: EscrowService,
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
      const outcome = await this.act(event);
      await em.query('UPDATE stripe_events SET outcome = $2 WHERE id = $1', [event.id, outcome]);
      return { received: true, duplicate: false, outcome };
    });
  }

  private async act(event: Stripe.Event): Promise<string> {
    if (event.type !== 'payment_intent.succeeded') return 'ignored';
    const pi = event.data.object as PaymentIntentLike;
    const dealId = pi.metadata?.dealId;
    if (!dealId || !pi.currency || !Number.isSafeInteger(pi.amount_received)) return 'unknown_deal';
    try {
      await this.escrows.recordFunding(
        { dealId, amount: { amountMinor: BigInt(pi.amount_received!), currency: pi.currency.toUpperCase() }, source: 'stripe', externalId: pi.id },
        'system',
      );
    } catch (err) {
      // Kept with its outcome (and answered 200): Stripe would only deliver it again.
      if (err instanceof ProblemError && err.code === 'ESCROW.NOT_FOUND') return 'unknown_deal';
      throw err;
    }
    return 'funded';
  }
}
