import { Injectable } from '@nestjs/common';
import { LedgerService, ProviderMovements } from '@app/ledger';
import { OPERATION_METADATA_KEY } from '@app/payments';
import { Clock, ProblemError, Transactions } from '@app/platform';
import { isUuid } from './domain/index.js';
import { EscrowAccounts } from './escrow-accounts.js';
import { EscrowError } from './escrow-errors.js';
import type { PayoutInstruction } from './escrow-rows.js';
import { EscrowService } from './escrow.service.js';
import { PayoutService } from './payout.service.js';

/** What StripeEvents needs of an event (a `Stripe.Event` is one). */
export interface StripeEventLike {
  readonly id: string;
  readonly type: string;
  /** Unix seconds. */
  readonly created: number;
  readonly data: { readonly object: unknown };
}

type DisputeOutcome = 'dispute_opened' | 'dispute_updated' | 'dispute_won' | 'dispute_lost' | 'dispute_already_closed';

/** What was done with an event (kept in stripe_events.outcome). */
export type StripeEventOutcome =
  | 'funded'
  | 'payment_failed'
  | 'unknown_deal'
  | 'currency_mismatch'
  | DisputeOutcome
  /** The dispute's money is booked, but no deal is known for its payment yet (linked when the funding arrives). */
  | `${DisputeOutcome}_no_deal`
  | 'payout_confirmed'
  | 'payout_already_confirmed'
  | 'unknown_payout'
  | 'refund_outside_platform'
  | 'refund_failed'
  | 'transfer_outside_platform'
  | 'transfer_reversed'
  | 'transfer_reversal_already_recorded'
  | 'malformed'
  | 'ignored';

/** Prefix of the freeze reason of an escrow frozen by a Stripe dispute: only such a freeze is lifted by a won dispute. */
export const DISPUTE_FREEZE_PREFIX = 'stripe dispute ';

/** Stripe's dispute statuses, from least to most advanced; a status never moves back (events arrive out of order). */
const OPEN_STATUS_RANK: Readonly<Record<string, number>> = { warning_needs_response: 0, warning_under_review: 1, needs_response: 2, under_review: 3 };
const CLOSED_STATUSES: ReadonlySet<string> = new Set(['won', 'lost', 'warning_closed', 'prevented']);
const DISPUTE_EVENTS: ReadonlySet<string> = new Set([
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
]);
const REFUND_EVENTS: ReadonlySet<string> = new Set(['refund.created', 'refund.updated', 'charge.refund.updated']);

const STRIPE_ID = /^[a-z]{2,5}_[A-Za-z0-9]{1,250}$/;
type Json = Record<string, unknown>;

/** A Stripe id field: the id, or the id of an expanded object; `prefixes` when given must match. */
function idOf(v: unknown, ...prefixes: string[]): string | null {
  const id = typeof v === 'object' && v !== null ? (v as Json).id : v;
  if (typeof id !== 'string' || !STRIPE_ID.test(id)) return null;
  return prefixes.length === 0 || prefixes.some((p) => id.startsWith(`${p}_`)) ? id : null;
}
/** Stripe's amounts: positive integers in minor units. */
const amountOf = (v: unknown): bigint | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? BigInt(v) : null);
/** Stripe's currencies are lower case; ours are ISO 4217 upper case. */
const currencyOf = (v: unknown): string | null => (typeof v === 'string' && /^[a-z]{3}$/i.test(v) ? v.toUpperCase() : null);
const timeOf = (v: unknown, fallback: Date): Date => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? new Date(v * 1000) : fallback);
const metadataOf = (o: Json): Record<string, string> => {
  const m = o.metadata;
  return typeof m === 'object' && m !== null ? (m as Record<string, string>) : {};
};
/** The payout a Stripe object was made for: our metadata (`payoutId`, or the operation key `payout:<id>`). */
function payoutIdOf(o: Json): string | null {
  const m = metadataOf(o);
  if (typeof m.payoutId === 'string') return m.payoutId;
  const op = m[OPERATION_METADATA_KEY];
  return typeof op === 'string' && op.startsWith('payout:') ? op.slice('payout:'.length) : null;
}
const isCode = (err: unknown, ...codes: string[]) => err instanceof ProblemError && codes.includes(err.code);

interface DisputeRow {
  id: string;
  charge_id: string;
  payment_intent_id: string | null;
  deal_id: string | null;
  currency: string;
  amount_minor: bigint;
  status: string;
  closed: boolean;
  withdrawn_entry_id: bigint | null;
  reinstated_entry_id: bigint | null;
}

/**
 * What Stripe's events do to our books (issue 5), each called inside the webhook's
 * transaction that stores the event once (stripe_events), so a duplicate delivery never gets
 * here. Out-of-order and repeated information is harmless because every handler converges:
 * money is posted under keys derived from Stripe's ids (a second posting is a replay), a
 * dispute's status only moves forward and never leaves `closed`, a payout is confirmed once
 * by its object, and a dispute that arrives before the funding it disputes is linked to the
 * deal when the funding arrives. Events on one payment take their turn (an advisory lock on
 * the PaymentIntent / charge), so a dispute and its payment's funding never miss each other.
 *
 * - `payment_intent.succeeded`: funds the deal (metadata.dealId, or the PaymentIntent we made
 *   for it), with the charge as the provider movement; `payment_intent.payment_failed` is
 *   only noted (a failure after the success changes nothing).
 * - `charge.dispute.*`: on first sight Stripe's withdrawal is posted (suspense
 *   `stripe-disputes` <- the Stripe balance, movement `dp_x:withdrawn`) and the deal's escrow is
 *   frozen; won: the reinstatement (the reverse, `dp_x:reinstated`) and the freeze is lifted
 *   when no other dispute on the deal holds it; lost (or any other closing): stays frozen for
 *   the platform admin, the loss stays in suspense.
 * - refunds: ours (metadata.payoutId) confirm the payout; one made in Stripe's dashboard is
 *   posted once to suspense `stripe-refunds-outside` (movement `re_x`).
 * - `transfer.created` confirms our payout; `transfer.reversed` confirms it first, then credits
 *   each reversal back to the account the payout came from (movement `trr_x`).
 */
@Injectable()
export class StripeEvents {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly ledger: LedgerService,
    private readonly accounts: EscrowAccounts,
    private readonly movements: ProviderMovements,
    private readonly escrows: EscrowService,
    private readonly payouts: PayoutService,
  ) {}

  handle(event: StripeEventLike): Promise<StripeEventOutcome> {
    return this.tx.tx(async () => {
      const object = event.data?.object;
      if (typeof object !== 'object' || object === null) return 'malformed';
      const o = object as Json;
      const at = timeOf(event.created, await this.clock.now());
      if (event.type === 'payment_intent.succeeded') return this.paymentSucceeded(o, at);
      if (event.type === 'payment_intent.payment_failed') return 'payment_failed';
      if (DISPUTE_EVENTS.has(event.type)) return this.dispute(o, event.type === 'charge.dispute.closed', at);
      if (REFUND_EVENTS.has(event.type)) return this.refund(o, at);
      if (event.type === 'transfer.created') return this.transferCreated(o, at);
      if (event.type === 'transfer.reversed') return this.transferReversed(o, at);
      // charge.refunded among them: the refund events carry the detail.
      return 'ignored';
    });
  }

  // ---- payments ----

  private async paymentSucceeded(pi: Json, at: Date): Promise<StripeEventOutcome> {
    const id = idOf(pi.id, 'pi');
    const received = amountOf(pi.amount_received);
    const currency = currencyOf(pi.currency);
    if (!id || received === null || !currency) return 'malformed';
    const charge = idOf(pi.latest_charge, 'ch', 'py');
    await this.takeTurn(id);
    if (charge) await this.takeTurn(charge);
    const dealId = await this.dealOf(id, null, metadataOf(pi).dealId);
    if (!dealId) return 'unknown_deal';
    try {
      await this.escrows.recordFunding(
        { dealId, amount: { amountMinor: received, currency }, source: 'stripe', externalId: id, movement: { externalId: charge ?? id, at } },
        'system',
      );
    } catch (err) {
      // Kept with the outcome (and answered 200): Stripe would only deliver it again. The
      // charge then shows in reconciliation as missing in the ledger, for finance.
      if (isCode(err, 'ESCROW.NOT_FOUND')) return 'unknown_deal';
      if (isCode(err, 'ESCROW.CURRENCY_MISMATCH')) return 'currency_mismatch';
      throw err;
    }
    // Disputes that arrived before this payment's funding belong to the deal now.
    const [linked]: [{ id: string }[], number] = await this.em().query(
      `UPDATE stripe_disputes SET deal_id = $1, updated_at = $4 WHERE deal_id IS NULL AND (payment_intent_id = $2 OR charge_id = $3) RETURNING id`,
      [dealId, id, charge, await this.clock.now()],
    );
    if (linked.length > 0) await this.settleFreeze(dealId);
    return 'funded';
  }

  /**
   * The deal a Stripe payment is for: the funding recorded for the PaymentIntent (or its
   * charge), the PaymentIntent we made for the deal, or the deal in the metadata; null when
   * none is an escrow.
   */
  private async dealOf(paymentIntent: string | null, charge: string | null, metadataDealId: unknown): Promise<string | null> {
    const [row]: { deal_id: string }[] = await this.em().query(
      `SELECT e.deal_id FROM escrows e WHERE e.deal_id = COALESCE(
         (SELECT o.deal_id FROM escrow_operations o WHERE o.kind = 'fund' AND o.source = 'stripe' AND o.external_id = $1 LIMIT 1),
         (SELECT o.deal_id FROM provider_movements m JOIN escrow_operations o ON o.entry_id = m.entry_id
           WHERE m.provider = 'stripe' AND m.external_id = $2 AND o.kind = 'fund' LIMIT 1),
         (SELECT r.deal_id FROM stripe_requests r WHERE r.kind = 'payment_intent' AND r.object_id = $1 LIMIT 1),
         $3::uuid)`,
      [paymentIntent, charge, isUuid(metadataDealId) ? metadataDealId.toLowerCase() : null],
    );
    return row?.deal_id ?? null;
  }

  /** Events on one payment (PaymentIntent or charge) take their turn until the transaction ends. */
  private async takeTurn(stripeId: string): Promise<void> {
    await this.em().query(`SELECT pg_advisory_xact_lock(hashtextextended('stripe-payment:' || $1, 0))`, [stripeId]);
  }

  // ---- disputes ----

  private async dispute(d: Json, closing: boolean, at: Date): Promise<StripeEventOutcome> {
    const id = idOf(d.id, 'dp', 'du');
    const charge = idOf(d.charge);
    const paymentIntent = idOf(d.payment_intent, 'pi');
    const amount = amountOf(d.amount);
    const currency = currencyOf(d.currency);
    const status = typeof d.status === 'string' && d.status.length >= 1 && d.status.length <= 50 ? d.status : null;
    if (!id || !charge || amount === null || !currency || !status) return 'malformed';
    await this.takeTurn(paymentIntent ?? charge);
    const em = this.em();
    const dealId = await this.dealOf(paymentIntent, charge, metadataOf(d).dealId);
    const now = await this.clock.now();
    const closed = closing || CLOSED_STATUSES.has(status);

    const inserted: { id: string }[] = await em.query(
      `INSERT INTO stripe_disputes (id, charge_id, payment_intent_id, deal_id, currency, amount_minor, status, closed, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, charge, paymentIntent, dealId, currency, amount, status, closed, now],
    );
    const firstSight = inserted.length === 1;
    const [row]: DisputeRow[] = await em.query(
      `SELECT id, charge_id, payment_intent_id, deal_id, currency, amount_minor, status, closed, withdrawn_entry_id, reinstated_entry_id
         FROM stripe_disputes WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const was = row!;
    const newlyLinked = was.deal_id === null && dealId !== null;
    const deal = was.deal_id ?? dealId;
    const suffix = deal ? '' : '_no_deal';

    if (!firstSight && was.closed) {
      // Closed is final: a late created/updated never reopens it nor freezes again.
      if (newlyLinked) {
        await em.query('UPDATE stripe_disputes SET deal_id = $2, updated_at = $3 WHERE id = $1', [id, deal, now]);
        await this.settleFreeze(deal!);
      }
      return `dispute_already_closed${suffix}`;
    }

    const next = {
      status: firstSight || closed ? status : laterStatus(was.status, status),
      closed: was.closed || closed,
      withdrawn: was.withdrawn_entry_id,
      reinstated: was.reinstated_entry_id,
    };
    // Stripe took the disputed amount from the platform's balance when the dispute opened.
    if (next.withdrawn === null) next.withdrawn = await this.disputeMoney(was, 'withdrawn', timeOf(d.created, at));
    // ...and gives it back when the platform wins.
    if (next.closed && next.status === 'won' && next.reinstated === null) next.reinstated = await this.disputeMoney(was, 'reinstated', at);
    await em.query(
      `UPDATE stripe_disputes SET status = $2, closed = $3, deal_id = $4, withdrawn_entry_id = $5, reinstated_entry_id = $6, updated_at = $7 WHERE id = $1`,
      [id, next.status, next.closed, deal, next.withdrawn, next.reinstated, now],
    );
    const becameClosed = next.closed && (firstSight || !was.closed);
    if (deal && (firstSight || becameClosed || newlyLinked)) await this.settleFreeze(deal);

    const outcome: DisputeOutcome = next.closed ? (next.status === 'won' ? 'dispute_won' : 'dispute_lost') : firstSight ? 'dispute_opened' : 'dispute_updated';
    return `${outcome}${suffix}`;
  }

  /** The withdrawal (suspense <- Stripe balance) or the reinstatement (the reverse) of a dispute, with its movement; the entry's id. */
  private async disputeMoney(d: DisputeRow, what: 'withdrawn' | 'reinstated', at: Date): Promise<bigint> {
    const suspense = await this.accounts.suspense('stripe-disputes', d.currency);
    const balance = await this.accounts.clearing('stripe', d.currency);
    const sign = what === 'withdrawn' ? 1n : -1n;
    const entry = await this.ledger.post({
      idempotencyKey: `stripe:dispute:${d.id}:${what}`,
      reference: `stripe:${d.id}`,
      description:
        what === 'withdrawn'
          ? `Stripe dispute ${d.id} on charge ${d.charge_id}: ${d.currency} ${d.amount_minor} withdrawn from the platform's balance`
          : `Stripe dispute ${d.id} on charge ${d.charge_id} won: ${d.currency} ${d.amount_minor} reinstated`,
      lines: [
        { accountId: suspense.id, amountMinor: sign * d.amount_minor },
        { accountId: balance.id, amountMinor: -sign * d.amount_minor },
      ],
      createdBy: 'system',
    });
    await this.movements.record({ provider: 'stripe', externalId: `${d.id}:${what}`, entryId: entry.id, amount: { amountMinor: -sign * d.amount_minor, currency: d.currency }, at });
    return entry.id;
  }

  /**
   * Makes the escrow's freeze agree with the deal's disputes: frozen while one is open or was
   * closed other than won; lifted when all were won, but only a freeze a dispute made (one
   * the platform made for its own reasons stays).
   */
  private async settleFreeze(dealId: string): Promise<void> {
    const em = this.em();
    const [escrow]: { frozen_reason: string | null }[] = await em.query('SELECT frozen_reason FROM escrows WHERE deal_id = $1 FOR UPDATE', [dealId]);
    if (!escrow) return;
    const disputes: { id: string; status: string; closed: boolean }[] = await em.query(
      'SELECT id, status, closed FROM stripe_disputes WHERE deal_id = $1 ORDER BY id',
      [dealId],
    );
    const holding = disputes.filter((x) => !(x.closed && x.status === 'won'));
    if (holding.length > 0) {
      await this.escrows.freeze(dealId, `${DISPUTE_FREEZE_PREFIX}${holding[0]!.id}`, 'system');
    } else if (escrow.frozen_reason?.startsWith(DISPUTE_FREEZE_PREFIX)) {
      await this.escrows.unfreeze(dealId, 'system', { resolution: `won at Stripe: ${disputes.map((x) => x.id).join(', ')}`.slice(0, 500) });
    }
  }

  // ---- refunds and transfers ----

  private async refund(r: Json, at: Date): Promise<StripeEventOutcome> {
    const id = idOf(r.id);
    const amount = amountOf(r.amount);
    const currency = currencyOf(r.currency);
    if (!id || r.object !== 'refund' || amount === null || !currency) return 'malformed';
    // A refund that failed or was canceled moved no money (Stripe gives it back with a refund_failure).
    if (r.status === 'failed' || r.status === 'canceled') return 'refund_failed';
    const created = timeOf(r.created, at);
    const payoutId = payoutIdOf(r);
    if (payoutId !== null) return this.confirmPayout(payoutId, 'stripe_refund', id, created);

    // Made outside the platform (Stripe's dashboard): the money left the balance; finance explains it.
    const charge = idOf(r.charge) ?? 'unknown';
    const entry = await this.ledger.post({
      idempotencyKey: `stripe:refund-outside:${id}`,
      reference: `stripe:${id}`,
      description: `Stripe refund ${id} of charge ${charge}, made outside the platform: ${currency} ${amount}`,
      lines: [
        { accountId: (await this.accounts.suspense('stripe-refunds-outside', currency)).id, amountMinor: amount },
        { accountId: (await this.accounts.clearing('stripe', currency)).id, amountMinor: -amount },
      ],
      createdBy: 'system',
    });
    await this.movements.record({ provider: 'stripe', externalId: id, entryId: entry.id, amount: { amountMinor: -amount, currency }, at: created });
    return 'refund_outside_platform';
  }

  private async transferCreated(t: Json, at: Date): Promise<StripeEventOutcome> {
    const id = idOf(t.id, 'tr');
    if (!id) return 'malformed';
    const payoutId = payoutIdOf(t);
    if (payoutId === null) return 'transfer_outside_platform';
    return this.confirmPayout(payoutId, 'stripe_transfer', id, timeOf(t.created, at));
  }

  private async transferReversed(t: Json, at: Date): Promise<StripeEventOutcome> {
    const id = idOf(t.id, 'tr');
    const currency = currencyOf(t.currency);
    if (!id || !currency) return 'malformed';
    const payoutId = payoutIdOf(t);
    if (payoutId === null) return 'transfer_outside_platform';
    // The reversal is of a payment we have confirmed: confirm it first when the worker and
    // transfer.created have not (yet).
    const confirmed = await this.confirmPayout(payoutId, 'stripe_transfer', id, timeOf(t.created, at));
    if (confirmed === 'unknown_payout') return confirmed;
    const payout = await this.payouts.get(payoutId);
    if (payout.amount.currency !== currency) {
      throw new EscrowError('ESCROW.LEDGER_MISMATCH', `Payout ${payout.id} is in ${payout.amount.currency}, and Stripe reverses its transfer ${id} in ${currency}`);
    }
    const reversals = (t.reversals as { data?: unknown } | undefined)?.data;
    const balance = await this.accounts.clearing('stripe', currency);
    let recorded = 0;
    for (const r of Array.isArray(reversals) ? (reversals as Json[]) : []) {
      const reversal = idOf(r?.id, 'trr');
      const amount = amountOf(r?.amount);
      if (!reversal || amount === null) return 'malformed';
      const entry = await this.ledger.post({
        idempotencyKey: `stripe:transfer-reversal:${reversal}`,
        reference: `payout:${payout.orgId}`,
        description: `Stripe reversal ${reversal} of transfer ${id} (payout ${payout.key}): ${currency} ${amount} owed to organisation ${payout.orgId} again`,
        lines: [
          { accountId: balance.id, amountMinor: amount },
          { accountId: payout.fromAccountId, amountMinor: -amount },
        ],
        createdBy: 'system',
      });
      await this.movements.record({ provider: 'stripe', externalId: reversal, entryId: entry.id, amount: { amountMinor: amount, currency }, at: timeOf(r.created, at) });
      if (!entry.replayed) recorded++;
    }
    return recorded > 0 ? 'transfer_reversed' : 'transfer_reversal_already_recorded';
  }

  /** Confirms our payout by the Stripe object that paid it (the worker may have: a replay). */
  private async confirmPayout(payoutId: string, method: PayoutInstruction['method'], objectId: string, at: Date): Promise<StripeEventOutcome> {
    let payout: PayoutInstruction;
    try {
      payout = await this.payouts.get(payoutId);
    } catch (err) {
      if (isCode(err, 'PAYOUT.NOT_FOUND')) return 'unknown_payout';
      throw err;
    }
    if (payout.method !== method) {
      throw new EscrowError('ESCROW.LEDGER_MISMATCH', `Payout ${payout.id} is paid by ${payout.method}, and Stripe reports ${objectId} for it`);
    }
    const confirmed = await this.payouts.confirmByProvider(payout.id, objectId, { at });
    return confirmed.replayed ? 'payout_already_confirmed' : 'payout_confirmed';
  }

  private em() {
    return this.tx.manager();
  }
}

/** The later of two dispute statuses (open ones by their rank; an unknown status counts as open and new). */
function laterStatus(a: string, b: string): string {
  if (CLOSED_STATUSES.has(a)) return a;
  if (CLOSED_STATUSES.has(b)) return b;
  return (OPEN_STATUS_RANK[b] ?? 2) >= (OPEN_STATUS_RANK[a] ?? 2) ? b : a;
}
