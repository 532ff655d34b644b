import { type FieldError, ProblemError } from '@app/platform';
import type { EscrowRuleCode, InputProblem } from './domain/index.js';

export type EscrowErrorCode =
  | EscrowRuleCode
  | 'ESCROW.INVALID'
  | 'ESCROW.NOT_FOUND'
  | 'ESCROW.UNKNOWN_PARTY'
  | 'ESCROW.TERMS_CONFLICT'
  | 'ESCROW.CURRENCY_MISMATCH'
  | 'ESCROW.KEY_REUSED'
  | 'ESCROW.LEDGER_MISMATCH'
  | 'ESCROW.FROZEN'
  | 'PAYOUT.INVALID'
  | 'PAYOUT.NOT_FOUND'
  | 'PAYOUT.KEY_REUSED'
  | 'PAYOUT.INSUFFICIENT_FUNDS'
  | 'PAYOUT.PROVIDER_DISABLED'
  | 'PAYOUT.NO_CONNECTED_ACCOUNT'
  | 'PAYOUT.NO_STRIPE_PAYMENT'
  | 'PAYOUT.REFUND_EXCEEDS_PAYMENT'
  | 'PAYOUT.PAID_BY_PROVIDER'
  | 'PAYOUT.NOT_A_PROVIDER_PAYOUT'
  | 'PAYOUT.FAILED'
  | 'PAYOUT.ALREADY_PAID'
  | 'PAYMENTS.ACCOUNT_TAKEN'
  | 'STATEMENT.MALFORMED';

const STATUS_AND_TITLE: Readonly<Record<EscrowErrorCode, readonly [number, string]>> = {
  'ESCROW.INVALID': [422, 'Invalid escrow request'],
  'ESCROW.NOT_FOUND': [404, 'Escrow not found'],
  'ESCROW.UNKNOWN_PARTY': [422, 'Unknown party'],
  'ESCROW.TERMS_CONFLICT': [409, 'Escrow exists with other terms'],
  'ESCROW.CURRENCY_MISMATCH': [422, 'Wrong currency'],
  'ESCROW.KEY_REUSED': [422, 'Operation key reused'],
  'ESCROW.NOT_FUNDED': [409, 'Escrow not funded'],
  'ESCROW.ALREADY_SETTLED': [409, 'Escrow already settled'],
  'ESCROW.FROZEN': [409, 'Escrow frozen'],
  // The escrow's books and the ledger disagree: a defect, never the caller's fault.
  'ESCROW.LEDGER_MISMATCH': [500, 'Escrow and ledger disagree'],
  'PAYOUT.INVALID': [422, 'Invalid payout'],
  'PAYOUT.NOT_FOUND': [404, 'Payout instruction not found'],
  'PAYOUT.KEY_REUSED': [422, 'Payout key reused'],
  'PAYOUT.INSUFFICIENT_FUNDS': [409, 'Insufficient funds'],
  'PAYOUT.PROVIDER_DISABLED': [409, 'Payment provider not enabled'],
  'PAYOUT.NO_CONNECTED_ACCOUNT': [409, 'No connected account'],
  'PAYOUT.NO_STRIPE_PAYMENT': [409, 'No Stripe payment to refund'],
  'PAYOUT.REFUND_EXCEEDS_PAYMENT': [409, 'Refund exceeds the payment'],
  'PAYOUT.PAID_BY_PROVIDER': [409, 'Paid by the provider'],
  'PAYOUT.NOT_A_PROVIDER_PAYOUT': [409, 'Not a provider payout'],
  'PAYOUT.FAILED': [409, 'Payout failed'],
  'PAYOUT.ALREADY_PAID': [409, 'Payout already paid'],
  'PAYMENTS.ACCOUNT_TAKEN': [409, 'Stripe account in use'],
  'STATEMENT.MALFORMED': [422, 'Malformed bank statement'],
};

/** A refusal by the escrow context, with a stable code; a ProblemError, so the HTTP layer answers it as problem+json. */
export class EscrowError extends ProblemError {
  declare readonly code: EscrowErrorCode;

  constructor(code: EscrowErrorCode, detail: string, o: { errors?: readonly FieldError[]; extra?: Readonly<Record<string, unknown>> } = {}) {
    const [status, title] = STATUS_AND_TITLE[code];
    super(status, code, title, detail, o.errors, o.extra);
    this.name = 'EscrowError';
  }
}

/** Input problems as a 422 listing every field. */
export function invalid(code: 'ESCROW.INVALID' | 'PAYOUT.INVALID', problems: readonly InputProblem[]): EscrowError {
  return new EscrowError(code, problems.map((p) => `${p.field} ${p.message}`).join('; '), { errors: problems });
}
