/**
 * The real `stripe` SDK (23.1.0) against test/support/stripe-stand-in.ts.
 *
 * How stripe@23.1.0 takes a custom API base (checked in node_modules/stripe/esm/stripe.core.js):
 * there is no `apiBase` URL option (the constructor refuses unknown config keys with
 * "Config object may only contain the following: ..."; the per-request `apiBase` option only
 * picks one of Stripe's own hosts: 'api' | 'files' | 'connect' | 'meter_events'). It takes
 * `host`, `port` (string or number) and `protocol` ('http' | 'https') instead; a custom host
 * replaces every Stripe host, and the path is always '/v1/...' (a path in the base URL is
 * lost). So STRIPE_API_BASE maps onto the SDK as `sdkConfigFor` below does:
 *
 *   const u = new URL(STRIPE_API_BASE);
 *   new Stripe(secretKey, { host: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80),
 *                           protocol: u.protocol === 'http:' ? 'http' : 'https' });
 *
 * SDK behaviours the payments code must live with (seen here, not assumed):
 * - every POST carries an `Idempotency-Key` (`stripe-node-retry-<uuid>` unless we pass
 *   `{ idempotencyKey }`), fresh for each call: only our own key, derived from (deal,
 *   operation), dedupes a retry made by our code after a crash;
 * - `maxNetworkRetries` defaults to 2; 409, 429 and 5xx are retried unless the answer says
 *   `Stripe-Should-Retry: false`;
 * - a reset connection (ECONNRESET/EPIPE) is retried once even with `maxNetworkRetries: 0`,
 *   with the same key;
 * - API version 2026-10-28.endive (pinned by this SDK) dropped `payment_method_types` from
 *   PaymentIntent create: pass `automatic_payment_methods` or `allowed_payment_method_types`.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { type BadDelivery, DEFAULT_API_VERSION, StripeStandIn, stripeSignatureHeader } from './support/stripe-stand-in.js';

const SECRET = 'whsec_test_stand_in';
const SELLER = 'acct_1SellerStandIn';

function sdkConfigFor(apiBase: string): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  const u = new URL(apiBase);
  return { host: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80), protocol: u.protocol === 'http:' ? 'http' : 'https' };
}

let standIn: StripeStandIn;
let stripe: Stripe;
const client = (config: Stripe.StripeConfig = {}, key = 'sk_test_x') => new Stripe(key, { ...sdkConfigFor(standIn.baseUrl), ...config });

beforeEach(async () => {
  standIn = new StripeStandIn();
  await standIn.start();
  stripe = client();
});
afterEach(async () => {
  await standIn.stop();
});

const aTransfer = (overrides: Partial<Stripe.TransferCreateParams> = {}): Stripe.TransferCreateParams => ({
  amount: 240_000,
  currency: 'usd',
  destination: SELLER,
  transfer_group: 'deal_1',
  metadata: { dealId: 'deal_1', operation: 'release' },
  ...overrides,
});

async function fundedPaymentIntent(amount = 250_000): Promise<Stripe.PaymentIntent> {
  const pi = await stripe.paymentIntents.create({ amount, currency: 'usd', transfer_group: 'deal_1', automatic_payment_methods: { enabled: true } });
  standIn.succeedPaymentIntent(pi.id);
  return stripe.paymentIntents.retrieve(pi.id);
}

describe('Stripe stand-in: the SDK pointed at it', () => {
  it('is reached through host, port and protocol taken from the base URL; the SDK has no apiBase URL option', async () => {
    expect(sdkConfigFor(standIn.baseUrl)).toEqual(standIn.sdkConfig());
    expect(() => new Stripe('sk_test_x', { apiBase: standIn.baseUrl } as Stripe.StripeConfig)).toThrow(/Config object may only contain/);

    const pi = await stripe.paymentIntents.create({
      amount: 250_000,
      currency: 'USD',
      transfer_group: 'deal_1',
      metadata: { dealId: 'deal_1', operation: 'fund' },
      automatic_payment_methods: { enabled: true },
    });

    expect(pi).toMatchObject({ object: 'payment_intent', amount: 250_000, currency: 'usd', status: 'requires_payment_method', transfer_group: 'deal_1', livemode: false });
    expect(pi.id).toMatch(/^pi_\w{24}$/);
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
    expect(standIn.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents',
      params: { amount: '250000', metadata: { dealId: 'deal_1', operation: 'fund' }, automatic_payment_methods: { enabled: 'true' } },
    });
    expect(standIn.requests[0].idempotencyKey).toMatch(/^stripe-node-retry-/);
    await expect(stripe.paymentIntents.retrieve(pi.id)).resolves.toMatchObject({ id: pi.id, metadata: { dealId: 'deal_1', operation: 'fund' } });
  });

  it('funds, releases and refunds: objects, lists and balance transactions as Stripe shows them', async () => {
    const created = await stripe.paymentIntents.create({ amount: 250_000, currency: 'usd', transfer_group: 'deal_1', allowed_payment_method_types: ['card', 'us_bank_account'] });
    expect(created).toMatchObject({ allowed_payment_method_types: ['card', 'us_bank_account'], payment_method_types: ['card', 'us_bank_account'], automatic_payment_methods: null });

    const event = standIn.succeedPaymentIntent(created.id);
    expect(event).toMatchObject({ object: 'event', type: 'payment_intent.succeeded', data: { object: { id: created.id, status: 'succeeded' } } });
    const pi = await stripe.paymentIntents.retrieve(created.id);
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 250_000 });
    expect(pi.latest_charge).toMatch(/^ch_/);

    const transfer = await stripe.transfers.create(aTransfer());
    await stripe.transfers.create(aTransfer({ amount: 5, transfer_group: 'deal_2' }));
    expect(transfer).toMatchObject({ object: 'transfer', amount: 240_000, destination: SELLER, transfer_group: 'deal_1', metadata: { operation: 'release' } });
    expect(transfer.id).toMatch(/^tr_/);
    await expect(stripe.transfers.retrieve(transfer.id)).resolves.toMatchObject({ id: transfer.id, amount: 240_000 });
    const inGroup = await stripe.transfers.list({ transfer_group: 'deal_1' });
    expect(inGroup).toMatchObject({ object: 'list', has_more: false });
    expect(inGroup.data.map((t) => t.id)).toEqual([transfer.id]);

    const partial = await stripe.refunds.create({ payment_intent: pi.id, amount: 6_000 });
    expect(partial).toMatchObject({ object: 'refund', amount: 6_000, status: 'succeeded', payment_intent: pi.id, charge: pi.latest_charge });
    expect(partial.id).toMatch(/^re_/);
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 244_001 })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'amount_too_large' });
    await expect(stripe.refunds.create({ payment_intent: pi.id })).resolves.toMatchObject({ amount: 244_000 });

    const txns = await stripe.balanceTransactions.list({ limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(txns.map((t) => [t.type, t.amount])).toEqual([['refund', -244_000], ['refund', -6_000], ['transfer', -5], ['transfer', -240_000], ['charge', 250_000]]);
    expect(standIn.count('balance_transactions')).toBe(5);
    expect(standIn.count('refunds')).toBe(2);
    expect(standIn.objects('charges')[0]).toMatchObject({ amount_refunded: 250_000, refunded: true });
  });

  it('cancels an unpaid PaymentIntent and refuses to refund one without a charge', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1_000, currency: 'usd' });
    await expect(stripe.refunds.create({ payment_intent: pi.id })).rejects.toMatchObject({ code: 'charge_not_refundable' });
    await expect(stripe.paymentIntents.cancel(pi.id)).resolves.toMatchObject({ status: 'canceled' });
    await expect(stripe.paymentIntents.cancel(pi.id)).rejects.toMatchObject({ code: 'payment_intent_unexpected_state' });
    await expect(stripe.paymentIntents.retrieve('pi_missing')).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 404, code: 'resource_missing' });
  });
});

describe('Stripe stand-in: idempotency', () => {
  it('replays the first response for the same key and parameters, creating one object', async () => {
    const first = await stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' });
    const again = await stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' });

    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(standIn.count('transfers')).toBe(1);
    expect(standIn.count('balance_transactions')).toBe(1);
    expect(standIn.requests.map((r) => [r.idempotencyKey, r.replayed])).toEqual([['deal_1:release', false], ['deal_1:release', true]]);
  });

  it('replays the first response as it was, even after the object changed', async () => {
    const params = { amount: 250_000, currency: 'usd', transfer_group: 'deal_1' };
    const created = await stripe.paymentIntents.create(params, { idempotencyKey: 'deal_1:fund' });
    standIn.succeedPaymentIntent(created.id);

    await expect(stripe.paymentIntents.create(params, { idempotencyKey: 'deal_1:fund' })).resolves.toMatchObject({ id: created.id, status: 'requires_payment_method' });
    await expect(stripe.paymentIntents.retrieve(created.id)).resolves.toMatchObject({ status: 'succeeded' });
    expect(standIn.count('payment_intents')).toBe(1);
  });

  it('answers idempotency_error for the same key with other parameters or on another endpoint', async () => {
    await stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' });

    const other = stripe.transfers.create(aTransfer({ amount: 240_001 }), { idempotencyKey: 'deal_1:release' });
    await expect(other).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    await expect(other).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('same parameters') });
    await expect(stripe.paymentIntents.create({ amount: 1, currency: 'usd' }, { idempotencyKey: 'deal_1:release' })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      message: expect.stringContaining("'/v1/transfers'"),
    });
    expect(standIn.count('transfers')).toBe(1);
    expect(standIn.count('payment_intents')).toBe(0);
  });

  it('forgets keys when told to, as Stripe does after 24 hours', async () => {
    const first = await stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' });
    standIn.forgetIdempotencyKeys();
    const second = await stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' });
    expect(second.id).not.toBe(first.id);
    expect(standIn.count('transfers')).toBe(2);
  });

  it('replays an error the endpoint gave, but not a refusal of the parameters', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1_000, currency: 'usd' });
    await expect(stripe.refunds.create({ payment_intent: pi.id }, { idempotencyKey: 'deal_1:refund' })).rejects.toMatchObject({ code: 'charge_not_refundable' });
    standIn.succeedPaymentIntent(pi.id);
    await expect(stripe.refunds.create({ payment_intent: pi.id }, { idempotencyKey: 'deal_1:refund' })).rejects.toMatchObject({ code: 'charge_not_refundable' });

    const bad = { ...aTransfer(), bogus: 'x' } as Stripe.TransferCreateParams;
    await expect(stripe.transfers.create(bad, { idempotencyKey: 'deal_1:release' })).rejects.toMatchObject({ code: 'parameter_unknown', param: 'bogus' });
    await expect(stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' })).resolves.toMatchObject({ amount: 240_000 });
    expect(standIn.count('refunds')).toBe(0);
  });
});

describe('Stripe stand-in: scripted failures', () => {
  it('surfaces failNext as the SDK typed error, creates nothing and stores nothing under the key', async () => {
    standIn.failNext('POST /v1/transfers', { status: 400, type: 'invalid_request_error', message: 'Insufficient funds', code: 'balance_insufficient' });
    const failed = stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' });
    await expect(failed).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    await expect(failed).rejects.toMatchObject({ code: 'balance_insufficient', message: 'Insufficient funds' });
    expect(standIn.count('transfers')).toBe(0);

    standIn.failNext('/v1/transfers', { status: 500, type: 'api_error', message: 'Boom', shouldRetry: false });
    await expect(stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(standIn.count('transfers')).toBe(0);

    await expect(stripe.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' })).resolves.toMatchObject({ amount: 240_000 });
    expect(standIn.count('transfers')).toBe(1);
  });

  it('lets the SDK retry a 5xx on its own, with the same key', async () => {
    standIn.failNext('POST /v1/transfers', { status: 503, type: 'api_error', message: 'Try again' });
    await expect(client({ maxNetworkRetries: 1 }).transfers.create(aTransfer())).resolves.toMatchObject({ amount: 240_000 });
    const [failed, retried] = standIn.requests;
    expect([failed.status, retried.status]).toEqual([503, 200]);
    expect(retried.idempotencyKey).toBe(failed.idempotencyKey);
    expect(standIn.count('transfers')).toBe(1);
  });

  it('refuses unknown, missing and oversized parameters the way Stripe does', async () => {
    await expect(stripe.transfers.create({ currency: 'usd', destination: SELLER } as Stripe.TransferCreateParams)).rejects.toMatchObject({ code: 'parameter_missing', param: 'amount' });
    await expect(stripe.transfers.create(aTransfer({ destination: 'seller' }))).rejects.toMatchObject({ code: 'resource_missing', param: 'destination' });
    await expect(stripe.paymentIntents.create({ amount: 330_000_000, currency: 'usd' })).rejects.toMatchObject({ code: 'amount_too_large' });
    const legacy = { amount: 1_000, currency: 'usd', payment_method_types: ['card'] } as Stripe.PaymentIntentCreateParams;
    await expect(stripe.paymentIntents.create(legacy)).rejects.toMatchObject({ code: 'parameter_unknown', param: 'payment_method_types' });
    await expect(stripe.transfers.create(aTransfer({ metadata: { ['k'.repeat(41)]: 'v' } }))).rejects.toMatchObject({ param: `metadata[${'k'.repeat(41)}]` });
    expect(standIn.count('transfers') + standIn.count('payment_intents')).toBe(0);
  });

  it('answers 401 without a test-mode secret key and 404 for unknown URLs, in Stripe error shape', async () => {
    await expect(client({}, 'sk_live_abcdefghijkl').balanceTransactions.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);

    const anonymous = await fetch(`${standIn.baseUrl}/v1/transfers`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { type: 'invalid_request_error', message: expect.stringContaining('did not provide an API key') } });

    const unknown = await fetch(`${standIn.baseUrl}/v1/payouts`, { method: 'POST', headers: { authorization: 'Bearer sk_test_x' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { type: 'invalid_request_error', code: 'resource_missing', message: expect.stringContaining('Unrecognized request URL (POST: /v1/payouts)') } });
  });
});

describe('Stripe stand-in: the answer lost after Stripe acted', () => {
  it('is healed by the SDK itself once: it retries a reset connection with the same key even with maxNetworkRetries 0', async () => {
    standIn.dropConnectionAfterNext('POST /v1/transfers');
    const transfer = await client({ maxNetworkRetries: 0 }).transfers.create(aTransfer());

    expect(standIn.requests.map((r) => [r.dropped, r.replayed])).toEqual([[true, false], [false, true]]);
    expect(standIn.requests[1].idempotencyKey).toBe(standIn.requests[0].idempotencyKey);
    expect(standIn.objects('transfers').map((t) => t.id)).toEqual([transfer.id]);
  });

  it('surfaces a connection error with the transfer made; a retry with our key gets that transfer, one without makes a second', async () => {
    const noRetries = client({ maxNetworkRetries: 0 });
    standIn.dropConnectionAfterNext('POST /v1/transfers', { times: 2 });

    await expect(noRetries.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' })).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(standIn.count('transfers')).toBe(1);
    const [made] = standIn.objects('transfers');

    const retried = await noRetries.transfers.create(aTransfer(), { idempotencyKey: 'deal_1:release' });
    expect(retried.id).toBe(made.id);
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(standIn.count('transfers')).toBe(1);

    await noRetries.transfers.create(aTransfer());
    expect(standIn.count('transfers')).toBe(2);
  });
});

describe('Stripe stand-in: webhooks', () => {
  it('signs events that stripe.webhooks.constructEvent accepts, as Stripe signs them', async () => {
    const pi = await fundedPaymentIntent();
    const { event, body, header } = standIn.signedEvent('payment_intent.succeeded', pi, SECRET);

    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const t = Number(/^t=(\d+)/.exec(header)![1]);
    expect(header).toBe(stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: t }));
    expect(header).toBe(stripeSignatureHeader(body, SECRET, t));

    const verified = stripe.webhooks.constructEvent(body, header, SECRET);
    expect(verified).toMatchObject({ id: event.id, object: 'event', type: 'payment_intent.succeeded', livemode: false, data: { object: { id: pi.id, status: 'succeeded' } } });
    expect(verified.id).toMatch(/^evt_/);
    expect(verified.api_version).toBe(Stripe.API_VERSION);
    expect(DEFAULT_API_VERSION).toBe(Stripe.API_VERSION);
    await expect(stripe.events.retrieve(event.id)).resolves.toMatchObject({ id: event.id, type: 'payment_intent.succeeded' });
  });

  it('redelivers the same event, later or out of order, and each delivery verifies', async () => {
    const created = await stripe.paymentIntents.create({ amount: 1_000, currency: 'usd' });
    const failed = standIn.failPaymentIntent(created.id);
    const succeeded = standIn.succeedPaymentIntent(created.id);
    const now = Math.floor(Date.now() / 1000);

    const deliveries = [standIn.deliver(succeeded, SECRET), standIn.deliver(failed, SECRET), standIn.deliver(succeeded, SECRET, { timestamp: now + 30 })];
    const seen = deliveries.map(({ body, header }) => stripe.webhooks.constructEvent(body, header, SECRET));
    expect(seen.map((e) => [e.id, e.type])).toEqual([
      [succeeded.id, 'payment_intent.succeeded'],
      [failed.id, 'payment_intent.payment_failed'],
      [succeeded.id, 'payment_intent.succeeded'],
    ]);
    expect(deliveries[2].body).toBe(deliveries[0].body);
    expect(deliveries[2].header).not.toBe(deliveries[0].header);
  });

  it('gives deliveries that constructEvent refuses: wrong secret, tampered body, stale timestamp, no header', () => {
    const event = standIn.event('transfer.created', { id: 'tr_1', object: 'transfer', amount: 240_000 });
    const bad = standIn.badDeliveries(event, SECRET);
    const verify = ({ body, header }: BadDelivery) => () => stripe.webhooks.constructEvent(body, header as string, SECRET);

    expect(verify(standIn.deliver(event, SECRET))).not.toThrow();
    expect(verify(bad.wrongSecret)).toThrow(/No signatures found matching the expected signature/);
    expect(verify(bad.tamperedBody)).toThrow(/No signatures found matching the expected signature/);
    expect(verify(bad.staleTimestamp)).toThrow(/Timestamp outside the tolerance zone/);
    expect(verify(bad.missingHeader)).toThrow(/No stripe-signature header value was provided/);
    for (const delivery of Object.values(bad)) expect(verify(delivery)).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });
});
