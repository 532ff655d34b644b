import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock, ProblemError, Transactions, canonicalJson } from '@app/platform';
import Stripe from 'stripe';

/** What we create at Stripe: each kind one endpoint. */
export type StripeCallKind = 'payment_intent' | 'transfer' | 'refund';

/** The metadata key every object we create carries: our operation key, so webhooks and look-ups find what it was for. */
export const OPERATION_METADATA_KEY = 'ipv4m_operation';

export interface StripeCall {
  /** What the call is for, e.g. `payout:<uuid>`: one Stripe object per key, ever. */
  readonly operationKey: string;
  readonly kind: StripeCallKind;
  readonly dealId?: string | null;
  /** The create parameters (metadata gets the operation key added). */
  readonly params: Record<string, unknown>;
}

export interface StripeObjectLike {
  readonly id: string;
  readonly [field: string]: unknown;
}

export interface StripeCallResult {
  readonly object: StripeObjectLike;
  /** Answered from our record: the object was made by an earlier call. */
  readonly fromRecord: boolean;
  /** Found at Stripe by its metadata after an in-doubt call (Stripe had forgotten the key). */
  readonly foundByLookup: boolean;
}

interface RequestRow {
  operation_key: string;
  idempotency_key: string;
  kind: StripeCallKind;
  params: Record<string, unknown>;
  status: 'in_doubt' | 'done' | 'failed';
  attempts: number;
  object_id: string | null;
  response: StripeObjectLike | null;
  error: { type?: string; code?: string; message?: string } | null;
}

/** Stripe refused the call for good (a 4xx other than a conflict or a rate limit): retrying will not help. */
export class StripeRefused extends ProblemError {
  constructor(
    readonly operationKey: string,
    readonly stripeError: { type?: string; code?: string; message?: string },
  ) {
    super(502, 'PAYMENTS.STRIPE_REFUSED', 'Stripe refused the request', `Stripe refused ${operationKey}: ${stripeError.message ?? stripeError.code ?? 'no reason given'}`, undefined, {
      stripeCode: stripeError.code ?? null,
    });
    this.name = 'StripeRefused';
  }
}

/** The SDK's options for STRIPE_API_BASE: the SDK has no base-URL option, it takes host, port and protocol. */
export function stripeHostOptions(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiBase) return {};
  const u = new URL(apiBase);
  return { host: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80), protocol: u.protocol === 'http:' ? 'http' : 'https' };
}

/** Stripe answers that say "try again later" (or no answer at all): the call stays in doubt. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof Stripe.errors.StripeError)) return true;
  const status = err.statusCode;
  return status === undefined || status === 409 || status === 429 || status >= 500;
}

/**
 * Every call that creates something at Stripe goes through here, once per operation key:
 *
 * 1. our record of the call is committed first (`stripe_requests`, in doubt), so a crash at any
 *    later point leaves a trace that the retry finds;
 * 2. the call carries `Idempotency-Key: ipv4m:<operation key>`, so a retry within Stripe's
 *    24 hours gets the first call's answer and nothing new is made;
 * 3. a retry of an in-doubt call first looks for the object at Stripe by the operation key in
 *    its metadata: after Stripe forgot the key, that is what prevents a second transfer;
 * 4. the answer is recorded (done), and later calls for the key answer from the record.
 *
 * A refusal for good (4xx) is recorded too (failed, with Stripe's error) and thrown as
 * StripeRefused; anything else (no answer, 409, 429, 5xx) leaves the call in doubt and is
 * rethrown, for the caller's job to retry. Attempts at one operation take turns (an advisory
 * lock held over the call), so two overlapping runs never both create after a forgotten key.
 */
@Injectable()
export class StripeCalls {
  readonly sdk: Stripe;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tx: Transactions,
    private readonly clock: Clock,
  ) {
    this.sdk = new Stripe(config.stripe.secretKey ?? 'sk_test_not_configured', {
      ...stripeHostOptions(config.stripe.apiBase),
      maxNetworkRetries: 2,
      timeout: 20_000,
      appInfo: { name: 'ipv4-market' },
    });
  }

  async create(call: StripeCall): Promise<StripeCallResult> {
    const params = { ...call.params, metadata: { ...((call.params.metadata as Record<string, string> | undefined) ?? {}), [OPERATION_METADATA_KEY]: call.operationKey } };
    // Committed before anything is sent: a later attempt knows it is one.
    const row = await this.begin(call, params);
    if (row.status === 'done') return { object: row.response!, fromRecord: true, foundByLookup: false };
    if (row.status === 'failed') throw new StripeRefused(call.operationKey, row.error!);

    // One attempt per operation at a time (a stalled job and its re-run may overlap): the
    // look-up and the call happen under the operation's lock, and the answer is recorded
    // before the lock goes; the next attempt reads it instead of calling again.
    const outcome = await this.tx.tx(async (em): Promise<StripeCallResult | { refused: RequestRow['error'] }> => {
      await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`stripe-call:${call.operationKey}`]);
      const [now]: RequestRow[] = await em.query('SELECT * FROM stripe_requests WHERE operation_key = $1', [call.operationKey]);
      if (now!.status === 'done') return { object: now!.response!, fromRecord: true, foundByLookup: false };
      if (now!.status === 'failed') return { refused: now!.error };
      if (row.attempts > 1) {
        const found = await this.lookup(call.kind, params, call.operationKey);
        if (found) return { object: await this.finish(row, found), fromRecord: false, foundByLookup: true };
      }
      let object: StripeObjectLike;
      try {
        object = await this.send(call.kind, params, row.idempotency_key);
      } catch (err) {
        if (isTransient(err)) throw err;
        const e = err as InstanceType<typeof Stripe.errors.StripeError>;
        const error = { type: e.type, code: e.code, message: e.message };
        await this.fail(row, error);
        return { refused: error };
      }
      return { object: await this.finish(row, object), fromRecord: false, foundByLookup: false };
    });
    if ('refused' in outcome) throw new StripeRefused(call.operationKey, outcome.refused!);
    return outcome;
  }

  /** Our record of an operation's call, if one was made. */
  async recorded(operationKey: string): Promise<{ status: RequestRow['status']; objectId: string | null; attempts: number } | null> {
    const [row]: RequestRow[] = await this.tx.manager().query('SELECT status, object_id, attempts FROM stripe_requests WHERE operation_key = $1', [operationKey]);
    return row ? { status: row.status, objectId: row.object_id, attempts: row.attempts } : null;
  }

  private begin(call: StripeCall, params: Record<string, unknown>): Promise<RequestRow> {
    return this.tx.tx(async (em) => {
      const now = await this.clock.now();
      await em.query(
        `INSERT INTO stripe_requests (operation_key, idempotency_key, kind, deal_id, params, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'in_doubt', $6, $6) ON CONFLICT (operation_key) DO NOTHING`,
        [call.operationKey, `ipv4m:${call.operationKey}`, call.kind, call.dealId ?? null, JSON.stringify(params), now],
      );
      const [row]: RequestRow[] = await em.query('SELECT * FROM stripe_requests WHERE operation_key = $1 FOR UPDATE', [call.operationKey]);
      if (row!.kind !== call.kind || canonicalJson(row!.params) !== canonicalJson(params)) {
        throw new ProblemError(409, 'PAYMENTS.OPERATION_REUSED', 'Operation key reused', `${call.operationKey} was sent to Stripe with other parameters`);
      }
      if (row!.status !== 'in_doubt') return row!;
      const [[updated]]: [RequestRow[], number] = await em.query(
        'UPDATE stripe_requests SET attempts = attempts + 1, updated_at = $2 WHERE operation_key = $1 RETURNING *',
        [call.operationKey, now],
      );
      return updated!;
    });
  }

  private async finish(row: RequestRow, object: StripeObjectLike): Promise<StripeObjectLike> {
    await this.tx.tx(async (em) => {
      await em.query(
        `UPDATE stripe_requests SET status = 'done', object_id = $2, response = $3, updated_at = $4 WHERE operation_key = $1 AND status = 'in_doubt'`,
        [row.operation_key, object.id, JSON.stringify(object), await this.clock.now()],
      );
    });
    return object;
  }

  private async fail(row: RequestRow, error: RequestRow['error']): Promise<void> {
    await this.tx.tx(async (em) => {
      await em.query(`UPDATE stripe_requests SET status = 'failed', error = $2, updated_at = $3 WHERE operation_key = $1 AND status = 'in_doubt'`, [
        row.operation_key,
        JSON.stringify(error),
        await this.clock.now(),
      ]);
    });
  }

  private async send(kind: StripeCallKind, params: Record<string, unknown>, idempotencyKey: string): Promise<StripeObjectLike> {
    const options = { idempotencyKey };
    switch (kind) {
      case 'payment_intent':
        return (await this.sdk.paymentIntents.create(params as unknown as Stripe.PaymentIntentCreateParams, options)) as unknown as StripeObjectLike;
      case 'transfer':
        return (await this.sdk.transfers.create(params as unknown as Stripe.TransferCreateParams, options)) as unknown as StripeObjectLike;
      case 'refund':
        return (await this.sdk.refunds.create(params as unknown as Stripe.RefundCreateParams, options)) as unknown as StripeObjectLike;
    }
  }

  /**
   * The object an in-doubt call may have made, found by our operation key in its metadata:
   * transfers by destination (and transfer group), refunds by PaymentIntent. A PaymentIntent
   * is not looked up: a second, unpaid one moves no money.
   */
  private async lookup(kind: StripeCallKind, params: Record<string, unknown>, operationKey: string): Promise<StripeObjectLike | null> {
    const mine = (o: { metadata?: Record<string, string> | null }) => o.metadata?.[OPERATION_METADATA_KEY] === operationKey;
    const cap = 1000;
    if (kind === 'transfer') {
      const filter: Stripe.TransferListParams = { destination: params.destination as string, limit: 100 };
      if (typeof params.transfer_group === 'string') filter.transfer_group = params.transfer_group;
      let seen = 0;
      for await (const t of this.sdk.transfers.list(filter)) {
        if (mine(t)) return t as unknown as StripeObjectLike;
        if (++seen >= cap) break;
      }
    }
    if (kind === 'refund' && typeof params.payment_intent === 'string') {
      let seen = 0;
      for await (const r of this.sdk.refunds.list({ payment_intent: params.payment_intent, limit: 100 })) {
        if (mine(r)) return r as unknown as StripeObjectLike;
        if (++seen >= cap) break;
      }
    }
    return null;
  }
}
