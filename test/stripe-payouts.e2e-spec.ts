import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EscrowService, ManualPaymentProvider, PaymentProviders, StripeFunding, StripePayouts } from '@app/escrow';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { expectProblem } from './support/problem.js';
import { StripeStandIn } from './support/stripe-stand-in.js';

/**
 * Money out through Stripe (issue 5): payouts issued over the API, paid by the worker's
 * `payments.execute-payout` step (called here directly, so each step is seen) as one Stripe
 * transfer to the organisation's connected account or one refund onto the buyer's payment,
 * never twice: not when the answer is lost on the way back, not when Stripe has forgotten the
 * idempotency key. The real stripe SDK talks to the stand-in over HTTP.
 */
const SECRET = 'whsec_test_payouts';

describe('Stripe payouts (e2e)', () => {
  const stripe = new StripeStandIn();
  let t: TestApp;
  let db: DataSource;
  let escrows: EscrowService;
  let execute: (id: string) => Promise<string>;
  const admin = () => bearer(t.adminToken);

  beforeAll(async () => {
    await stripe.start();
    t = await startApi({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_payouts', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: stripe.baseUrl });
    db = t.app.get(DataSource);
    escrows = t.app.get(EscrowService);
    const payouts = t.app.get(StripePayouts);
    execute = (id) => payouts.execute(id);
  });
  afterAll(async () => {
    await t?.close();
    await stripe.stop();
  });

  const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });
  const balance = async (spec: { ownerOrgId: string | null; purpose: string; reference?: string | null }): Promise<bigint> => {
    const [row] = await db.query(
      `SELECT b.balance_minor FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
        WHERE a.owner_org_id = coalesce($1::uuid, (SELECT id FROM organisations WHERE kind = 'platform'))
          AND a.purpose = $2 AND a.currency = 'USD' AND a.reference IS NOT DISTINCT FROM $3`,
      [spec.ownerOrgId, spec.purpose, spec.reference ?? null],
    );
    return (row?.balance_minor as bigint | undefined) ?? 0n;
  };

  /** A deal paid by card at the stand-in (the webhook funds the escrow) and then released or refunded: the seller's or buyer's payable holds money. */
  const aPaidDeal = async (price = 250_000, settle: 'release' | 'refund' = 'release') => {
    const [buyer, seller] = [await anOrg(t), await anOrg(t)];
    const dealId = randomUUID();
    await escrows.open({ dealId, buyerOrgId: buyer.id, sellerOrgId: seller.id, price: { amountMinor: BigInt(price), currency: 'USD' }, platformFeeBps: 250 });
    const pay = await t.app.get(StripeFunding).instructions(dealId);
    const succeeded = stripe.succeedPaymentIntent(pay.paymentIntentId);
    const delivery = stripe.deliver(succeeded, SECRET);
    const res = await t.http.post('/v1/payments/stripe/webhook').set('content-type', 'application/json').set('stripe-signature', delivery.header).send(delivery.body);
    expect(res.status).toBe(200);
    expect((await escrows.get(dealId)).status).toBe('funded');
    if (settle === 'release') await escrows.release(dealId);
    else await escrows.refund(dealId);
    return { dealId, buyer, seller, paymentIntentId: pay.paymentIntentId };
  };
  const connect = async (orgId: string) => {
    const accountId = `acct_${randomUUID().replace(/-/g, '')}`;
    const res = await t.http.put(`/v1/payments/stripe/connected-accounts/${orgId}`).set(admin()).send({ accountId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ orgId, accountId });
    return accountId;
  };
  const issue = (body: Record<string, unknown>, key = randomUUID()) => t.http.post('/v1/payouts').set(admin()).set('idempotency-key', key).send(body);
  const transfersTo = (destination: string) => stripe.objects('transfers').filter((x) => x.destination === destination);
  const requestRow = async (payoutId: string) => (await db.query(`SELECT status, attempts, object_id FROM stripe_requests WHERE operation_key = $1`, [`payout:${payoutId}`]))[0];

  describe('funding', () => {
    it('asks for the price by one PaymentIntent per deal and funding state, grouped with the deal', async () => {
      const [buyer, seller] = [await anOrg(t), await anOrg(t)];
      const dealId = randomUUID();
      await escrows.open({ dealId, buyerOrgId: buyer.id, sellerOrgId: seller.id, price: { amountMinor: 123_456n, currency: 'EUR' }, platformFeeBps: 100 });
      const funding = t.app.get(StripeFunding);
      const [a, b] = [await funding.instructions(dealId), await funding.instructions(dealId)];
      expect(b.paymentIntentId).toBe(a.paymentIntentId);
      expect(a).toMatchObject({ dealId, method: 'stripe', amountDue: { amountMinor: 123_456n, currency: 'EUR' } });
      expect(a.clientSecret).toMatch(new RegExp(`^${a.paymentIntentId}_secret_`));
      const made = stripe.objects('payment_intents').filter((pi) => pi.transfer_group === dealId);
      expect(made).toHaveLength(1);
      expect(made[0]).toMatchObject({ amount: 123_456, currency: 'eur', metadata: { dealId, ipv4m_operation: `deal:${dealId}:payment_intent:0` } });
    });

    it('is the configured provider behind the one PaymentProvider interface', async () => {
      const [buyer, seller] = [await anOrg(t), await anOrg(t)];
      const dealId = randomUUID();
      await escrows.open({ dealId, buyerOrgId: buyer.id, sellerOrgId: seller.id, price: { amountMinor: 5_000n, currency: 'USD' }, platformFeeBps: 100 });
      const provider = t.app.get(PaymentProviders).current();
      expect(provider.name).toBe('stripe');
      const how = await provider.instructions(dealId);
      expect(how).toMatchObject({ dealId, method: 'stripe', amountDue: { amountMinor: 5_000n, currency: 'USD' } });
      expect(stripe.objects('payment_intents').filter((pi) => pi.transfer_group === dealId)).toHaveLength(1);
      // The manual provider, for the same deal: the wire reference.
      const wire = await t.app.get(ManualPaymentProvider).instructions(dealId);
      expect(wire).toMatchObject({ dealId, method: 'wire', amountDue: { amountMinor: 5_000n, currency: 'USD' } });
      expect(wire.reference).toMatch(/^IPV4M-/);
    });

    it('refuses instructions for an escrow with nothing due', async () => {
      const { dealId } = await aPaidDeal();
      await expect(t.app.get(StripeFunding).instructions(dealId)).rejects.toMatchObject({ code: 'ESCROW.NOTHING_DUE' });
    });
  });

  describe('transfers to connected accounts', () => {
    it('pays a seller by exactly one transfer, in the deal\'s transfer group, and confirms it in the ledger', async () => {
      const { dealId, seller } = await aPaidDeal(250_000);
      const account = await connect(seller.id);
      const proceeds = await balance({ ownerOrgId: seller.id, purpose: 'payable' });
      expect(proceeds).toBe(243_750n);
      const stripeBefore = await balance({ ownerOrgId: null, purpose: 'clearing', reference: 'funding:stripe' });

      const res = await issue({ orgId: seller.id, amount: usd(200_000), dealId });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ orgId: seller.id, method: 'stripe_transfer', destination: account, dealId, status: 'pending', amount: usd(200_000), providerReference: null });

      expect(await execute(res.body.id)).toBe('paid');
      expect(await execute(res.body.id)).toBe('already_paid');
      const made = transfersTo(account);
      expect(made).toHaveLength(1);
      expect(made[0]).toMatchObject({ amount: 200_000, currency: 'usd', transfer_group: dealId, metadata: { payoutId: res.body.id, ipv4m_operation: `payout:${res.body.id}` } });

      const paid = await t.http.get(`/v1/payouts/${res.body.id}`).set(admin());
      expect(paid.body).toMatchObject({ status: 'confirmed', providerReference: made[0]!.id, confirmedBy: 'system' });
      expect(await balance({ ownerOrgId: seller.id, purpose: 'payable' })).toBe(43_750n);
      expect(await balance({ ownerOrgId: null, purpose: 'clearing', reference: 'funding:stripe' })).toBe(stripeBefore - 200_000n);
      const movements = await db.query(`SELECT amount_minor FROM provider_movements WHERE provider = 'stripe' AND external_id = $1`, [made[0]!.id]);
      expect(movements).toEqual([{ amount_minor: -200_000n }]);
      expect(await requestRow(res.body.id)).toEqual({ status: 'done', attempts: 1, object_id: made[0]!.id });
    });

    it('answers a replayed request with the same payout and pays it once', async () => {
      const { seller } = await aPaidDeal(100_000);
      const account = await connect(seller.id);
      const key = randomUUID();
      const [a, b] = [await issue({ orgId: seller.id, amount: usd(50_000) }, key), await issue({ orgId: seller.id, amount: usd(50_000) }, key)];
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.body.id).toBe(a.body.id);
      await Promise.all([execute(a.body.id), execute(a.body.id), execute(a.body.id)]);
      expect(transfersTo(account)).toHaveLength(1);
      expect(await balance({ ownerOrgId: seller.id, purpose: 'payable' })).toBe(97_500n - 50_000n);
    });

    it('makes no second transfer when Stripe acted but the answer never came back, within or after Stripe\'s 24 hours', async () => {
      for (const forget of [false, true]) {
        const { seller } = await aPaidDeal(80_000);
        const account = await connect(seller.id);
        const res = await issue({ orgId: seller.id, amount: usd(70_000) });
        // The SDK retries a reset connection with the same key: three drops defeat it, and our call fails.
        stripe.dropConnectionAfterNext('POST /v1/transfers', { times: 3 });
        await expect(execute(res.body.id)).rejects.toThrow();
        expect(transfersTo(account)).toHaveLength(1);
        expect(await requestRow(res.body.id)).toMatchObject({ status: 'in_doubt', object_id: null });
        expect((await t.http.get(`/v1/payouts/${res.body.id}`).set(admin())).body.status).toBe('pending');

        if (forget) stripe.forgetIdempotencyKeys();
        expect(await execute(res.body.id)).toBe('paid');
        const made = transfersTo(account);
        expect(made).toHaveLength(1);
        expect(await requestRow(res.body.id)).toEqual({ status: 'done', attempts: 2, object_id: made[0]!.id });
        expect((await t.http.get(`/v1/payouts/${res.body.id}`).set(admin())).body).toMatchObject({ status: 'confirmed', providerReference: made[0]!.id });
      }
    });

    it('fails a payout Stripe refuses, gives the money back to the account it came from, and never calls again', async () => {
      const { seller } = await aPaidDeal(60_000);
      const account = await connect(seller.id);
      const before = await balance({ ownerOrgId: seller.id, purpose: 'payable' });
      const res = await issue({ orgId: seller.id, amount: usd(10_000) });
      expect(await balance({ ownerOrgId: seller.id, purpose: 'payable' })).toBe(before - 10_000n);
      stripe.failNext('POST /v1/transfers', { status: 400, type: 'invalid_request_error', code: 'account_invalid', message: 'The destination account is closed.' });
      expect(await execute(res.body.id)).toBe('failed');
      expect(await execute(res.body.id)).toBe('already_failed');
      expect(transfersTo(account)).toHaveLength(0);
      expect(stripe.requests.filter((r) => r.path === '/v1/transfers' && r.params.destination === account)).toHaveLength(1);
      const failed = await t.http.get(`/v1/payouts/${res.body.id}`).set(admin());
      expect(failed.body).toMatchObject({ status: 'failed', providerReference: null });
      expect(failed.body.failure).toContain('The destination account is closed.');
      expect(await balance({ ownerOrgId: seller.id, purpose: 'payable' })).toBe(before);
      expect(await requestRow(res.body.id)).toMatchObject({ status: 'failed' });
    });
  });

  describe('refunds onto the buyer\'s payment', () => {
    it('refunds a refunded deal onto its PaymentIntent once, and never beyond what it brought in', async () => {
      const { dealId, buyer, paymentIntentId } = await aPaidDeal(90_000, 'refund');
      expect(await balance({ ownerOrgId: buyer.id, purpose: 'payable' })).toBe(90_000n);
      expectProblem(await issue({ orgId: buyer.id, amount: usd(90_001), method: 'stripe_refund', dealId }), 409, 'PAYOUT.REFUND_EXCEEDS_PAYMENT');
      const res = await issue({ orgId: buyer.id, amount: usd(90_000), method: 'stripe_refund', dealId });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ method: 'stripe_refund', destination: paymentIntentId, dealId });
      expect(await execute(res.body.id)).toBe('paid');
      const refunds = stripe.objects('refunds').filter((r) => r.payment_intent === paymentIntentId);
      expect(refunds).toHaveLength(1);
      expect(refunds[0]).toMatchObject({ amount: 90_000, metadata: { payoutId: res.body.id } });
      expect(await balance({ ownerOrgId: buyer.id, purpose: 'payable' })).toBe(0n);
      expect((await t.http.get(`/v1/payouts/${res.body.id}`).set(admin())).body).toMatchObject({ status: 'confirmed', providerReference: refunds[0]!.id });
    });

    it('refuses a refund for a deal the organisation did not pay by Stripe', async () => {
      const { dealId, seller } = await aPaidDeal(40_000);
      expectProblem(await issue({ orgId: seller.id, amount: usd(1_000), method: 'stripe_refund', dealId }), 409, 'PAYOUT.NO_STRIPE_PAYMENT');
      const noDeal = await issue({ orgId: seller.id, amount: usd(1_000), method: 'stripe_refund' });
      expectProblem(noDeal, 422, 'PAYOUT.INVALID');
      expect(noDeal.body.errors).toEqual([expect.objectContaining({ field: 'dealId', code: 'PAYOUT.DEAL_REQUIRED' })]);
    });
  });

  describe('the API', () => {
    it('pays manually when the organisation has no connected account; finance confirms; Stripe payouts are not confirmed by hand', async () => {
      const { seller } = await aPaidDeal(30_000);
      const manual = await issue({ orgId: seller.id, amount: usd(5_000) });
      expect(manual.body).toMatchObject({ method: 'manual', destination: null, status: 'pending' });
      expectProblem(await issue({ orgId: seller.id, amount: usd(5_000), method: 'stripe_transfer' }), 409, 'PAYOUT.NO_CONNECTED_ACCOUNT');
      const confirmed = await t.http.post(`/v1/payouts/${manual.body.id}/confirm`).set(admin()).send({ bankReference: 'WIRE-123' });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({ status: 'confirmed', bankReference: 'WIRE-123' });
      expect(await execute(manual.body.id)).toBe('manual');

      await connect(seller.id);
      const viaStripe = await issue({ orgId: seller.id, amount: usd(5_000) });
      expect(viaStripe.body.method).toBe('stripe_transfer');
      expectProblem(await t.http.post(`/v1/payouts/${viaStripe.body.id}/confirm`).set(admin()).send({}), 409, 'PAYOUT.PAID_BY_PROVIDER');
    });

    it('refuses bad requests with problem codes and changes nothing', async () => {
      const { seller } = await aPaidDeal(20_000);
      const before = await balance({ ownerOrgId: seller.id, purpose: 'payable' });
      const cases: [Record<string, unknown>, number, string][] = [
        [{ orgId: seller.id, amount: { amountMinor: -5, currency: 'USD' } }, 422, 'REQUEST.VALIDATION_FAILED'],
        [{ orgId: seller.id, amount: { amountMinor: 1.5, currency: 'USD' } }, 422, 'REQUEST.VALIDATION_FAILED'],
        [{ orgId: seller.id, amount: { amountMinor: 5, currency: 'XXY' } }, 422, 'REQUEST.VALIDATION_FAILED'],
        [{ orgId: 'nope', amount: usd(5) }, 422, 'REQUEST.VALIDATION_FAILED'],
        [{ orgId: seller.id, amount: usd(5), method: 'cheque' }, 422, 'REQUEST.VALIDATION_FAILED'],
        [{ orgId: seller.id, amount: usd(19_501) }, 409, 'PAYOUT.INSUFFICIENT_FUNDS'],
      ];
      for (const [body, status, code] of cases) expectProblem(await issue(body), status, code);
      expect((await t.http.post('/v1/payouts').set(admin()).send({ orgId: seller.id, amount: usd(5) })).status).toBe(400);
      expectProblem(await t.http.put(`/v1/payments/stripe/connected-accounts/${seller.id}`).set(admin()).send({ accountId: 'bank_1' }), 422, 'REQUEST.VALIDATION_FAILED');
      expect(await balance({ ownerOrgId: seller.id, purpose: 'payable' })).toBe(before);
    });

    it('shows an organisation\'s finance its own payouts only; issuing is the platform\'s', async () => {
      const { seller } = await aPaidDeal(30_000);
      const other = await aPaidDeal(30_000);
      const mine = await issue({ orgId: seller.id, amount: usd(1_000) });
      const theirs = await issue({ orgId: other.seller.id, amount: usd(1_000) });
      const finance = await aKey(t, seller.id, 'finance');
      const list = await t.http.get('/v1/payouts').set(bearer(finance.apiKey));
      expect(list.status).toBe(200);
      expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([mine.body.id]);
      expect((await t.http.get(`/v1/payouts?orgId=${other.seller.id}`).set(bearer(finance.apiKey))).body.data).toEqual([]);
      expectProblem(await t.http.get(`/v1/payouts/${theirs.body.id}`).set(bearer(finance.apiKey)), 404, 'PAYOUT.NOT_FOUND');
      expect((await t.http.post('/v1/payouts').set(bearer(finance.apiKey)).set('idempotency-key', randomUUID()).send({ orgId: seller.id, amount: usd(1) })).status).toBe(403);
      expect((await t.http.get(`/v1/payments/stripe/connected-accounts/${other.seller.id}`).set(bearer(finance.apiKey))).status).toBe(404);
    });
  });
});
