import type { Money } from '@app/money';
import type { EscrowStatus, FundingSource, Outcome, PayoutMethod, PayoutSource, PayoutStatus, ReleaseSplit } from './domain/index.js';

export const ESCROW_COLUMNS = `deal_id, buyer_org_id, seller_org_id, broker_org_id, currency, expected_minor, funded_minor, excess_minor,
  broker_fee_bps, platform_fee_bps, status, funding_reference, escrow_account_id, outcome, settled_at, settlement_entry_id, frozen_reason, frozen_at, created_at, updated_at`;

export interface EscrowRow {
  deal_id: string;
  buyer_org_id: string;
  seller_org_id: string;
  broker_org_id: string | null;
  currency: string;
  expected_minor: bigint;
  funded_minor: bigint;
  excess_minor: bigint;
  broker_fee_bps: number;
  platform_fee_bps: number;
  status: EscrowStatus;
  funding_reference: string;
  escrow_account_id: string;
  outcome: Outcome | null;
  settled_at: Date | null;
  settlement_entry_id: bigint | null;
  frozen_reason: string | null;
  frozen_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface EscrowView {
  readonly dealId: string;
  readonly buyerOrgId: string;
  readonly sellerOrgId: string;
  readonly brokerOrgId: string | null;
  readonly status: EscrowStatus;
  /** The price. */
  readonly expected: Money;
  /** In escrow now (what was in it, once settled). */
  readonly funded: Money;
  /** Still to pay in (zero once funded or settled). */
  readonly outstanding: Money;
  /** Paid beyond the price or after settlement: credited to the buyer's payable. */
  readonly excess: Money;
  readonly brokerFeeBps: number;
  readonly platformFeeBps: number;
  readonly fundingReference: string;
  readonly escrowAccountId: string;
  readonly outcome: Outcome | null;
  readonly settledAt: Date | null;
  readonly settlementEntryId: bigint | null;
  /** Why the escrow is frozen (a payment dispute): it is not released until the freeze is lifted. */
  readonly frozen: { readonly reason: string; readonly at: Date } | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export function toEscrowView(r: EscrowRow): EscrowView {
  const m = (amountMinor: bigint): Money => ({ amountMinor, currency: r.currency });
  const outstanding = r.outcome === null && r.expected_minor > r.funded_minor ? r.expected_minor - r.funded_minor : 0n;
  return {
    dealId: r.deal_id,
    buyerOrgId: r.buyer_org_id,
    sellerOrgId: r.seller_org_id,
    brokerOrgId: r.broker_org_id,
    status: r.status,
    expected: m(r.expected_minor),
    funded: m(r.funded_minor),
    outstanding: m(outstanding),
    excess: m(r.excess_minor),
    brokerFeeBps: r.broker_fee_bps,
    platformFeeBps: r.platform_fee_bps,
    fundingReference: r.funding_reference,
    escrowAccountId: r.escrow_account_id,
    outcome: r.outcome,
    settledAt: r.settled_at,
    settlementEntryId: r.settlement_entry_id,
    frozen: r.frozen_reason === null ? null : { reason: r.frozen_reason, at: r.frozen_at! },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export const OPERATION_COLUMNS = 'id, deal_id, operation, kind, source, external_id, amount_minor, to_escrow_minor, excess_minor, entry_id, details, actor, created_at';

export interface OperationRow {
  id: bigint;
  deal_id: string;
  operation: string;
  kind: 'fund' | 'release' | 'refund';
  source: FundingSource | null;
  external_id: string | null;
  amount_minor: bigint;
  to_escrow_minor: bigint;
  excess_minor: bigint;
  entry_id: bigint | null;
  details: { seller?: string; broker?: string; platform?: string };
  actor: string;
  created_at: Date;
}

/** What the caller gets back from every escrow operation. `replayed`: it happened before under the same key; nothing was posted now. */
export interface OperationResult {
  readonly dealId: string;
  /** The operation key: `fund:<source>:<externalId>`, `release`, `refund`. */
  readonly operation: string;
  readonly entryId: bigint | null;
  readonly replayed: boolean;
  /** The escrow as it is now. */
  readonly escrow: EscrowView;
}

export interface FundingResult extends OperationResult {
  readonly source: FundingSource;
  readonly externalId: string;
  readonly amount: Money;
  readonly toEscrow: Money;
  readonly excess: Money;
}

export interface SettlementResult extends OperationResult {
  readonly outcome: Outcome;
  /** What left the escrow account. */
  readonly amount: Money;
  /** A release's shares; null for a refund (all of it is the buyer's). */
  readonly split: ReleaseSplit | null;
}

export function toFundingResult(op: OperationRow, escrow: EscrowView, replayed: boolean): FundingResult {
  const m = (amountMinor: bigint): Money => ({ amountMinor, currency: escrow.expected.currency });
  return {
    dealId: op.deal_id,
    operation: op.operation,
    entryId: op.entry_id,
    replayed,
    escrow,
    source: op.source!,
    externalId: op.external_id!,
    amount: m(op.amount_minor),
    toEscrow: m(op.to_escrow_minor),
    excess: m(op.excess_minor),
  };
}

export function toSettlementResult(op: OperationRow, escrow: EscrowView, replayed: boolean): SettlementResult {
  const m = (amountMinor: bigint): Money => ({ amountMinor, currency: escrow.expected.currency });
  const d = op.details;
  return {
    dealId: op.deal_id,
    operation: op.operation,
    entryId: op.entry_id,
    replayed,
    escrow,
    outcome: op.kind === 'release' ? 'released' : 'refunded',
    amount: m(op.amount_minor),
    split: op.kind === 'release' ? { seller: m(BigInt(d.seller ?? '0')), broker: m(BigInt(d.broker ?? '0')), platform: m(BigInt(d.platform ?? '0')) } : null,
  };
}

export const PAYOUT_COLUMNS = `id, idempotency_key, org_id, currency, amount_minor, from_purpose, from_account_id, status, instruction_entry_id,
  confirm_entry_id, bank_reference, created_by, created_at, confirmed_by, confirmed_at, method, destination, deal_id, provider_reference,
  failure, failure_entry_id`;

export interface PayoutRow {
  id: string;
  idempotency_key: string;
  org_id: string;
  currency: string;
  amount_minor: bigint;
  from_purpose: PayoutSource;
  from_account_id: string;
  status: PayoutStatus;
  instruction_entry_id: bigint;
  confirm_entry_id: bigint | null;
  bank_reference: string | null;
  created_by: string;
  created_at: Date;
  confirmed_by: string | null;
  confirmed_at: Date | null;
  method: PayoutMethod;
  destination: string | null;
  deal_id: string | null;
  provider_reference: string | null;
  failure: string | null;
  failure_entry_id: bigint | null;
}

export interface PayoutInstruction {
  readonly id: string;
  readonly key: string;
  readonly orgId: string;
  readonly amount: Money;
  readonly from: PayoutSource;
  readonly fromAccountId: string;
  /** pending until paid; confirmed once paid (finance's wire, Stripe's transfer or refund); failed when the provider refused it for good. */
  readonly status: PayoutStatus;
  /** manual: finance sends a wire and confirms; stripe_transfer: to the organisation's connected account; stripe_refund: back onto the buyer's payment. */
  readonly method: PayoutMethod;
  /** The connected account (acct_...) or the PaymentIntent refunded (pi_...); null for manual payouts. */
  readonly destination: string | null;
  readonly dealId: string | null;
  /** The provider's id of the payment (tr_..., re_...), once made. */
  readonly providerReference: string | null;
  readonly failure: string | null;
  /** payable (or commission) -> payouts in transit, when issued. */
  readonly instructionEntryId: bigint;
  /** payouts in transit -> cash, when finance confirmed the wire. */
  readonly confirmEntryId: bigint | null;
  readonly bankReference: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly confirmedBy: string | null;
  readonly confirmedAt: Date | null;
  readonly replayed: boolean;
}

export function toPayout(r: PayoutRow, replayed: boolean): PayoutInstruction {
  return {
    id: r.id,
    key: r.idempotency_key,
    orgId: r.org_id,
    amount: { amountMinor: r.amount_minor, currency: r.currency },
    from: r.from_purpose,
    fromAccountId: r.from_account_id,
    status: r.status,
    method: r.method,
    destination: r.destination,
    dealId: r.deal_id,
    providerReference: r.provider_reference,
    failure: r.failure,
    instructionEntryId: r.instruction_entry_id,
    confirmEntryId: r.confirm_entry_id,
    bankReference: r.bank_reference,
    createdBy: r.created_by,
    createdAt: r.created_at,
    confirmedBy: r.confirmed_by,
    confirmedAt: r.confirmed_at,
    replayed,
  };
}
