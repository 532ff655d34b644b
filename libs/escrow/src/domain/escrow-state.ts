/**
 * An escrow's life (one per deal):
 *
 *   awaiting_funds --fund (price complete)--> funded --release--> released
 *   awaiting_funds --refund--> refunded        funded --refund--> refunded
 *
 * - awaiting_funds: the buyer has paid in less than the price (maybe nothing yet).
 * - funded: the whole price is in the escrow account.
 * - released: the price went to the seller's payable, the broker's commission and the
 *   platform's fees. Terminal.
 * - refunded: what was in escrow went back to the buyer's payable. Terminal. (An unfunded or
 *   partly funded escrow can be refunded: the deal was called off before the money was in.)
 *
 * Release and refund exclude each other: the first settles the escrow, the other is refused
 * (ESCROW.ALREADY_SETTLED); the same one again is a replay. Money that arrives after the
 * price is complete, or after settlement, never goes into escrow: it is owed back to the
 * buyer (fundingEffect), so that the escrow account holds exactly the price at release and
 * nothing once the deal has ended.
 */
export const ESCROW_STATUSES = ['awaiting_funds', 'funded', 'released', 'refunded'] as const;
export type EscrowStatus = (typeof ESCROW_STATUSES)[number];

export type Settlement = 'release' | 'refund';
export type Outcome = 'released' | 'refunded';

export const OUTCOME_OF: Readonly<Record<Settlement, Outcome>> = { release: 'released', refund: 'refunded' };

/** The escrow's money as the rules need it. */
export interface EscrowMoney {
  readonly status: EscrowStatus;
  /** The price. */
  readonly expectedMinor: bigint;
  /** What is in escrow (until settlement; what was in it, after). */
  readonly fundedMinor: bigint;
}

export function isEscrowStatus(v: unknown): v is EscrowStatus {
  return typeof v === 'string' && (ESCROW_STATUSES as readonly string[]).includes(v);
}

export function isSettled(status: EscrowStatus): status is Outcome {
  return status === 'released' || status === 'refunded';
}

/** The status of an open escrow holding `fundedMinor` of `expectedMinor`. */
export function openStatus(expectedMinor: bigint, fundedMinor: bigint): 'awaiting_funds' | 'funded' {
  return fundedMinor >= expectedMinor ? 'funded' : 'awaiting_funds';
}

/** What the escrow account holds: what was funded while open, nothing once settled. */
export function heldMinor(e: EscrowMoney): bigint {
  return isSettled(e.status) ? 0n : e.fundedMinor;
}

export interface FundingEffect {
  /** Into the escrow account: up to what is outstanding, nothing once settled. */
  readonly toEscrowMinor: bigint;
  /** The rest: credited to the buyer's payable, to be paid back. */
  readonly excessMinor: bigint;
  readonly fundedAfterMinor: bigint;
  readonly statusAfter: EscrowStatus;
}

/**
 * What a payment of `amountMinor` (> 0) does: it fills the escrow up to the price, and
 * whatever is beyond (an overpayment, a second wire, money after settlement) is owed back to
 * the buyer. Never rejected: the money has arrived, and the ledger must say where it is.
 */
export function fundingEffect(e: EscrowMoney, amountMinor: bigint): FundingEffect {
  if (amountMinor <= 0n) throw new RangeError(`a funding is a positive amount, not ${amountMinor}`);
  const outstanding = isSettled(e.status) ? 0n : max(e.expectedMinor - e.fundedMinor, 0n);
  const toEscrowMinor = amountMinor < outstanding ? amountMinor : outstanding;
  const fundedAfterMinor = e.fundedMinor + toEscrowMinor;
  return {
    toEscrowMinor,
    excessMinor: amountMinor - toEscrowMinor,
    fundedAfterMinor,
    statusAfter: isSettled(e.status) ? e.status : openStatus(e.expectedMinor, fundedAfterMinor),
  };
}

export type EscrowRuleCode = 'ESCROW.NOT_FUNDED' | 'ESCROW.ALREADY_SETTLED';

export type SettlementDecision =
  /** Move `amountMinor` (all that is in escrow) out; the escrow ends `to`. */
  | { readonly kind: 'settle'; readonly amountMinor: bigint; readonly to: Outcome }
  /** This settlement happened already: answer it again. */
  | { readonly kind: 'replay'; readonly outcome: Outcome }
  | { readonly kind: 'refused'; readonly code: EscrowRuleCode; readonly message: string };

/** Whether a release or a refund may happen now, and of how much. */
export function decideSettlement(e: EscrowMoney, what: Settlement): SettlementDecision {
  if (isSettled(e.status)) {
    if (e.status === OUTCOME_OF[what]) return { kind: 'replay', outcome: e.status };
    return { kind: 'refused', code: 'ESCROW.ALREADY_SETTLED', message: `The escrow was ${e.status} already; it cannot be ${OUTCOME_OF[what]} as well` };
  }
  if (what === 'release' && e.status !== 'funded') {
    return {
      kind: 'refused',
      code: 'ESCROW.NOT_FUNDED',
      message: `The escrow holds ${e.fundedMinor} of the ${e.expectedMinor} minor units expected; only a funded escrow is released`,
    };
  }
  return { kind: 'settle', amountMinor: e.fundedMinor, to: OUTCOME_OF[what] };
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
