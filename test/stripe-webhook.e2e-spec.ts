import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EscrowService } from '@app/escrow';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { anOrg } from './support/identity-fixtures.js';
import { expectProblem } from './support/problem.js';
import { StripeStandIn } from './support/stripe-stand-in.js';

/**
 * POST /v1/payments/stripe/webhook (API.md "Money"): events signed as Stripe signs them (the
 * stand-in signs exactly like Stripe; the real SDK verifies), bad signatures refused with
 * nothing stored, each event acted on once however often and however concurrently delivered.
 */
const SECRET = 'whsec_test_0123456789abcdef';

describe('Stripe webhooks (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let escrows: EscrowService;
  const stripe = new StripeStandIn();

  beforeAll(async () => {
    await stripe.start();
    t = await startApi({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: stripe.baseUrl });
    db = t.app.get(DataSource);
    escrows = t.app.get(EscrowService);
  });
  afterAll(async () => {
    await t?.close();
    await stripe.stop();
  });

  const deliver = (body: string, header?: string) => {
    const req = t.http.post('/v1/payments/stripe/webhook').set('content-type', 'application/json');
    return (header === undefined ? req : req.set('stripe-signature', header)).send(body);
  };

  const aFundedIntent = async () => {
    const [buyer, seller] = [await anOrg(t), await anOrg(t)];
    const dealId = randomUUID();
    await escrows.open({ dealId, buyerOrgId: buyer.id, sellerOrgId: seller.id, price: { amountMinor: 250_000n, currency: 'USD' }, platformFeeBps: 250 });
    const pi = { id: `pi_${randomUUID().replace(/-/g, '')}`, object: 'payment_intent', amount: 250_000, amount_received: 250_000, currency: 'usd', status: 'succeeded', metadata: { dealId } };
    return { dealId, event: stripe.signedEvent('payment_intent.succeeded', pi, SECRET) };
  };

  it('refuses the four bad deliveries with 400, storing and posting nothing', async () => {
    const { dealId, event } = await aFundedIntent();
    const bad = stripe.badDeliveries(event.event, SECRET);
    expect(Object.keys(bad).sort()).toEqual(['missingHeader', 'staleTimestamp', 'tamperedBody', 'wrongSecret']);
    for (const b of Object.values(bad)) expectProblem(await deliver(b.body, b.header), 400, 'PAYMENTS.BAD_SIGNATURE');
    const [{ n }] = await db.query('SELECT count(*)::int AS n FROM stripe_events WHERE id = $1', [event.event.id]);
    expect(n).toBe(0);
    expect((await escrows.get(dealId)).status).toBe('awaiting_funds');
  });

  it('funds the escrow once when one event is delivered five times at once', async () => {
    const { dealId, event } = await aFundedIntent();
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliver(event.body, event.header)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    const escrow = await escrows.get(dealId);
    expect(escrow).toMatchObject({ status: 'funded', funded: { amountMinor: 250_000n, currency: 'USD' } });
    const entries: unknown[] = await db.query(`SELECT id FROM journal_entries WHERE idempotency_key LIKE $1`, [`escrow:${dealId}:fund:%`]);
    expect(entries).toHaveLength(1);
  });

  it('keeps events it does not act on, and events for unknown deals, with their outcome', async () => {
    const other = stripe.signedEvent('charge.refunded', { id: `ch_${randomUUID().replace(/-/g, '')}`, object: 'charge' }, SECRET);
    expect((await deliver(other.body, other.header)).body).toMatchObject({ duplicate: false, outcome: 'ignored' });
    const orphan = stripe.signedEvent('payment_intent.succeeded', { id: 'pi_orphan', object: 'payment_intent', amount_received: 5, currency: 'usd', metadata: { dealId: randomUUID() } }, SECRET);
    expect((await deliver(orphan.body, orphan.header)).body).toMatchObject({ duplicate: false, outcome: 'unknown_deal' });
  });
});
