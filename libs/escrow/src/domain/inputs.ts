import { MAX_AMOUNT_MINOR, type Money, isCurrency } from '@app/money';

/**
 * The checks on what callers hand the escrow (the transfer pipeline, finance, a statement
 * import): pure, with every problem listed by field. Values may come from requests one day,
 * so nothing is trusted to have its declared type.
 */
export interface InputProblem {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly InputProblem[] };

export interface EscrowTerms {
  readonly dealId: string;
  readonly buyerOrgId: string;
  readonly sellerOrgId: string;
  readonly brokerOrgId?: string | null;
  /** The deal's price: what the buyer pays into escrow. */
  readonly price: Money;
  /** 0 (the default) without a broker. */
  readonly brokerFeeBps?: number;
  readonly platformFeeBps: number;
}

export interface CheckedTerms {
  readonly dealId: string;
  readonly buyerOrgId: string;
  readonly sellerOrgId: string;
  readonly brokerOrgId: string | null;
  readonly price: Money;
  readonly brokerFeeBps: number;
  readonly platformFeeBps: number;
}

export const FUNDING_SOURCES = ['bank', 'manual', 'stripe'] as const;
export type FundingSource = (typeof FUNDING_SOURCES)[number];

/** The longest external id: the ledger key `escrow:<deal>:fund:<source>:<id>` stays within its 200 characters. */
export const MAX_EXTERNAL_ID = 128;
/** The longest payout key: `payout:<key>:confirmed` stays within 200. */
export const MAX_PAYOUT_KEY = 150;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

/** Text a key may be: printable, no NUL, within bounds. */
export function isKeyText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= max && !/[\u0000-\u001f\u007f]/.test(v) && v.trim() === v;
}

const isBps = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 10_000;

/** Positive money within what the platform handles, in a known currency. */
export function moneyProblems(field: string, m: unknown): InputProblem[] {
  const { amountMinor, currency } = (typeof m === 'object' && m !== null ? m : {}) as Partial<Money>;
  const out: InputProblem[] = [];
  if (typeof amountMinor !== 'bigint' || amountMinor < 1n || amountMinor > MAX_AMOUNT_MINOR) {
    out.push({ field: `${field}.amountMinor`, code: 'MONEY.INVALID', message: `must be a bigint of minor units between 1 and ${MAX_AMOUNT_MINOR}` });
  }
  if (!isCurrency(currency)) out.push({ field: `${field}.currency`, code: 'MONEY.UNKNOWN_CURRENCY', message: 'must be an ISO 4217 currency code' });
  return out;
}

export function checkTerms(t: EscrowTerms): Checked<CheckedTerms> {
  const problems: InputProblem[] = [];
  const uuid = (field: keyof EscrowTerms, v: unknown) => {
    if (!isUuid(v)) problems.push({ field, code: 'ESCROW.INVALID_ID', message: 'must be a uuid' });
  };
  uuid('dealId', t.dealId);
  uuid('buyerOrgId', t.buyerOrgId);
  uuid('sellerOrgId', t.sellerOrgId);
  const broker = t.brokerOrgId ?? null;
  if (broker !== null) uuid('brokerOrgId', broker);
  problems.push(...moneyProblems('price', t.price));
  const brokerFeeBps = t.brokerFeeBps ?? 0;
  if (!isBps(brokerFeeBps)) problems.push({ field: 'brokerFeeBps', code: 'ESCROW.INVALID_FEE', message: 'must be an integer of basis points, 0 to 10000' });
  if (!isBps(t.platformFeeBps)) problems.push({ field: 'platformFeeBps', code: 'ESCROW.INVALID_FEE', message: 'must be an integer of basis points, 0 to 10000' });
  if (isBps(brokerFeeBps) && isBps(t.platformFeeBps) && brokerFeeBps + t.platformFeeBps >= 10_000) {
    problems.push({ field: 'platformFeeBps', code: 'ESCROW.INVALID_FEE', message: 'the fees together must leave the seller a share (less than 10000 basis points)' });
  }
  if (broker === null && brokerFeeBps !== 0) problems.push({ field: 'brokerFeeBps', code: 'ESCROW.INVALID_FEE', message: 'must be 0 without a broker' });
  if (isUuid(t.buyerOrgId) && isUuid(t.sellerOrgId) && t.buyerOrgId.toLowerCase() === t.sellerOrgId.toLowerCase()) {
    problems.push({ field: 'sellerOrgId', code: 'ESCROW.SAME_PARTY', message: 'the seller cannot be the buyer' });
  }
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: {
      dealId: t.dealId.toLowerCase(),
      buyerOrgId: t.buyerOrgId.toLowerCase(),
      sellerOrgId: t.sellerOrgId.toLowerCase(),
      brokerOrgId: broker?.toLowerCase() ?? null,
      price: { amountMinor: t.price.amountMinor, currency: t.price.currency },
      brokerFeeBps,
      platformFeeBps: t.platformFeeBps,
    },
  };
}

export interface FundingInput {
  readonly dealId: string;
  readonly amount: Money;
  /** bank: a statement line; manual: finance confirmed receipt; stripe: a Stripe payment. */
  readonly source: FundingSource;
  /** The source's id of the payment (bank reference, Stripe id): a retry with it posts nothing. */
  readonly externalId: string;
  /**
   * The movement at the provider this funding is (for the reconciliation report): Stripe's
   * balance transaction source (the charge), a bank line. Defaults to `externalId` at the
   * source's provider, now; a manual confirmation records none (finance saw it, the bank
   * statement will show it).
   */
  readonly movement?: { readonly externalId: string; readonly at: Date };
}

export function checkFunding(f: FundingInput): Checked<FundingInput> {
  const problems: InputProblem[] = [];
  if (!isUuid(f.dealId)) problems.push({ field: 'dealId', code: 'ESCROW.INVALID_ID', message: 'must be a uuid' });
  problems.push(...moneyProblems('amount', f.amount));
  if (!(FUNDING_SOURCES as readonly unknown[]).includes(f.source)) {
    problems.push({ field: 'source', code: 'ESCROW.INVALID_SOURCE', message: `must be one of ${FUNDING_SOURCES.join(', ')}` });
  }
  if (!isKeyText(f.externalId, MAX_EXTERNAL_ID)) {
    problems.push({ field: 'externalId', code: 'ESCROW.INVALID_EXTERNAL_ID', message: `must be 1 to ${MAX_EXTERNAL_ID} printable characters, without surrounding spaces` });
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { ...f, dealId: f.dealId.toLowerCase(), amount: { amountMinor: f.amount.amountMinor, currency: f.amount.currency } } };
}

export const PAYOUT_SOURCES = ['payable', 'commission'] as const;
export type PayoutSource = (typeof PAYOUT_SOURCES)[number];

export const PAYOUT_METHODS = ['manual', 'stripe_transfer', 'stripe_refund'] as const;
export type PayoutMethod = (typeof PAYOUT_METHODS)[number];
export type PayoutStatus = 'pending' | 'confirmed' | 'failed';

export interface PayoutInput {
  readonly orgId: string;
  readonly amount: Money;
  /** The caller's key: a retry with it answers the first instruction. */
  readonly key: string;
  /** The organisation's account that pays: its payable (proceeds, refunds; the default) or its commission. */
  readonly from?: PayoutSource;
  /**
   * How it is paid. Default: by a Stripe transfer when Stripe is the provider and the
   * organisation has a connected account, else manually. stripe_refund gives a buyer's money
   * back onto its Stripe payment for `dealId`.
   */
  readonly method?: PayoutMethod;
  /** The deal the payout settles (required for stripe_refund; the transfer group at Stripe). */
  readonly dealId?: string | null;
}

export interface CheckedPayout {
  readonly orgId: string;
  readonly amount: Money;
  readonly key: string;
  readonly from: PayoutSource;
  readonly method: PayoutMethod | null;
  readonly dealId: string | null;
}

export function checkPayout(p: PayoutInput): Checked<CheckedPayout> {
  const problems: InputProblem[] = [];
  if (!isUuid(p.orgId)) problems.push({ field: 'orgId', code: 'PAYOUT.INVALID_ID', message: 'must be a uuid' });
  problems.push(...moneyProblems('amount', p.amount));
  if (!isKeyText(p.key, MAX_PAYOUT_KEY)) problems.push({ field: 'key', code: 'PAYOUT.INVALID_KEY', message: `must be 1 to ${MAX_PAYOUT_KEY} printable characters` });
  const from = p.from ?? 'payable';
  if (!(PAYOUT_SOURCES as readonly unknown[]).includes(from)) problems.push({ field: 'from', code: 'PAYOUT.INVALID_SOURCE', message: `must be one of ${PAYOUT_SOURCES.join(', ')}` });
  const method = p.method ?? null;
  if (method !== null && !(PAYOUT_METHODS as readonly unknown[]).includes(method)) {
    problems.push({ field: 'method', code: 'PAYOUT.INVALID_METHOD', message: `must be one of ${PAYOUT_METHODS.join(', ')}` });
  }
  const dealId = p.dealId ?? null;
  if (dealId !== null && !isUuid(dealId)) problems.push({ field: 'dealId', code: 'PAYOUT.INVALID_ID', message: 'must be a uuid' });
  if (method === 'stripe_refund' && dealId === null) problems.push({ field: 'dealId', code: 'PAYOUT.DEAL_REQUIRED', message: 'is required for a refund onto a Stripe payment' });
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: { orgId: p.orgId.toLowerCase(), amount: { amountMinor: p.amount.amountMinor, currency: p.amount.currency }, key: p.key, from, method, dealId: dealId?.toLowerCase() ?? null },
  };
}
