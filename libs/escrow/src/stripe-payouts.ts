import { Injectable } from '@nestjs/common';
import { type StripeCall, StripeCalls, StripeRefused } from '@app/payments';
import { Clock, Outbox, Transactions } from '@app/platform';
import { EscrowError } from './escrow-errors.js';
import { PAYOUT_COLUMNS, type PayoutRow } from './escrow-rows.js';
import { PayoutService, executePayoutJob } from './payout.service.js';

export type PayoutExecution = 'paid' | 'already_paid' | 'failed' | 'already_failed' | 'manual';

/** Stripe's amounts are JSON numbers in minor units. */
function stripeAmount(minor: bigint): number {
  const n = Number(minor);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${minor} minor units do not fit Stripe's amount`);
  return n;
}

/** The operation key of a payout's one Stripe call (and the metadata that ties Stripe's object back to it). */
export const payoutOperationKey = (payoutId: string) => `payout:${payoutId}`;

/** The one Stripe call that pays a payout: a refund onto the PaymentIntent, or a transfer to the connected account. */
export function payoutCall(row: PayoutRow): StripeCall {
  const common = { operationKey: payoutOperationKey(row.id), dealId: row.deal_id };
  const metadata = { payoutId: row.id, orgId: row.org_id, ...(row.deal_id ? { dealId: row.deal_id } : {}) };
  if (row.method === 'stripe_refund') {
    return { ...common, kind: 'refund', params: { payment_intent: row.destination, amount: stripeAmount(row.amount_minor), metadata } };
  }
  return {
    ...common,
    kind: 'transfer',
    params: {
      amount: stripeAmount(row.amount_minor),
      currency: row.currency.toLowerCase(),
      destination: row.destination,
      ...(row.deal_id ? { transfer_group: row.deal_id } : {}),
      description: `payout ${row.idempotency_key}`,
      metadata,
    },
  };
}

/**
 * Pays Stripe payout instructions (the `payments.execute-payout` job): one Stripe transfer to
 * the organisation's connected account, or one refund onto the buyer's PaymentIntent, per
 * payout, whatever happens: StripeCalls records the call before making it and sends it with
 * the payout's own idempotency key, so a worker killed between Stripe's answer and our commit
 * makes no second transfer when the job (or the reconciler) runs it again. The payment is
 * then confirmed in the ledger (PayoutService.confirmByProvider, also reached by the webhook).
 */
@Injectable()
export class StripePayouts {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly calls: StripeCalls,
    private readonly payouts: PayoutService,
  ) {}

  async execute(payoutId: string): Promise<PayoutExecution> {
    const [row]: PayoutRow[] = await this.tx.manager().query(`SELECT ${PAYOUT_COLUMNS} FROM payout_instructions WHERE id = $1`, [payoutId]);
    if (!row) throw new EscrowError('PAYOUT.NOT_FOUND', `There is no payout instruction ${payoutId}`);
    if (row.method === 'manual') return 'manual';
    if (row.status === 'confirmed') return 'already_paid';
    if (row.status === 'failed') return 'already_failed';
    let object;
    try {
      ({ object } = await this.calls.create(payoutCall(row)));
    } catch (err) {
      if (!(err instanceof StripeRefused)) throw err;
      await this.payouts.failByProvider(row.id, err.detail ?? err.message);
      return 'failed';
    }
    const created = typeof object.created === 'number' ? new Date(object.created * 1000) : undefined;
    await this.payouts.confirmByProvider(row.id, object.id, { at: created });
    return 'paid';
  }

  /**
   * Queues every Stripe payout pending for longer than `graceMs` again. The job id carries the
   * round (the time divided by the grace), so a job that failed for good or was lost gets a new
   * one each round, and one round's duplicates collapse; two runs of one payout at once are
   * safe (StripeCalls serialises them on our record of the call, and Stripe on the key).
   */
  async requeuePending(graceMs = 60_000): Promise<number> {
    const now = await this.clock.now();
    const ids = await this.payouts.pendingAtProvider(new Date(now.getTime() - graceMs));
    if (ids.length === 0) return 0;
    const round = Math.floor(now.getTime() / graceMs);
    await this.tx.tx((em) => this.outbox.addAll(ids.map((id) => ({ ...executePayoutJob(id), jobId: `payout:${id}:requeue-${round}` })), em));
    return ids.length;
  }
}
