import { isCurrency } from '@app/money';
import { type LedgerCheck, isUuid, textLength } from './checks.js';

/**
 * What an account is for. The list, each purpose's normal side and the escrow rule are also
 * CHECK constraints on ledger_accounts: change both together, in a migration.
 */
export const ACCOUNT_PURPOSES = ['cash', 'clearing', 'receivable', 'escrow', 'payable', 'commission', 'fees', 'suspense'] as const;
export type AccountPurpose = (typeof ACCOUNT_PURPOSES)[number];

/** The side that increases an account: debit for what the platform has or is owed, credit for what it owes or has earned. */
export type NormalSide = 'debit' | 'credit';

interface PurposeRule {
  readonly normalSide: NormalSide;
  /** Whether a new account of this purpose may go negative unless the caller says otherwise. */
  readonly mayGoNegative: boolean;
  /** Escrow: one account per deal (the reference), never negative, whatever the caller asks. */
  readonly escrow: boolean;
  readonly meaning: string;
}

export const PURPOSES: Readonly<Record<AccountPurpose, PurposeRule>> = {
  cash: { normalSide: 'debit', mayGoNegative: true, escrow: false, meaning: 'money the platform holds at a bank or payment provider' },
  clearing: { normalSide: 'debit', mayGoNegative: true, escrow: false, meaning: 'money on its way in from a payment provider, not yet settled' },
  receivable: { normalSide: 'debit', mayGoNegative: true, escrow: false, meaning: 'money owed to the platform (an unpaid invoice)' },
  escrow: { normalSide: 'credit', mayGoNegative: false, escrow: true, meaning: "a deal's money, held until release or refund" },
  payable: { normalSide: 'credit', mayGoNegative: true, escrow: false, meaning: "money owed to an organisation (a seller's proceeds, a lessor's rent)" },
  commission: { normalSide: 'credit', mayGoNegative: true, escrow: false, meaning: "a broker's commission, owed to it" },
  fees: { normalSide: 'credit', mayGoNegative: true, escrow: false, meaning: "the platform's revenue" },
  suspense: { normalSide: 'credit', mayGoNegative: true, escrow: false, meaning: 'money received and not yet identified' },
};

/** +1 for a debit-normal account, -1 for a credit-normal one: balance = sign * (sum of its lines). */
export const normalSign = (side: NormalSide): 1n | -1n => (side === 'debit' ? 1n : -1n);

export interface AccountSpec {
  /** The platform's own account, or an organisation's. */
  readonly owner: 'platform' | { readonly orgId: string };
  readonly purpose: AccountPurpose;
  /** ISO 4217, upper case. */
  readonly currency: string;
  /** What the account is for within its purpose (the deal of an escrow account); one account per owner, purpose, currency and reference. */
  readonly reference?: string | null;
  /** Defaults to the purpose's rule; an escrow account never may. */
  readonly mayGoNegative?: boolean;
}

export interface CheckedAccountSpec {
  /** null: the platform organisation. */
  readonly ownerOrgId: string | null;
  readonly purpose: AccountPurpose;
  readonly currency: string;
  readonly reference: string | null;
  readonly mayGoNegative: boolean;
  readonly normalSide: NormalSide;
}

const bad = (message: string): LedgerCheck<never> => ({ ok: false, code: 'LEDGER.INVALID_ACCOUNT_SPEC', message });

/** Validates an account spec (from code, but values may come from requests) and fills in the purpose's defaults. */
export function checkAccountSpec(spec: AccountSpec): LedgerCheck<CheckedAccountSpec> {
  const owner: unknown = spec.owner;
  let ownerOrgId: string | null;
  if (owner === 'platform') ownerOrgId = null;
  else if (typeof owner === 'object' && owner !== null && isUuid((owner as { orgId?: unknown }).orgId)) ownerOrgId = (owner as { orgId: string }).orgId.toLowerCase();
  else return bad("owner must be 'platform' or { orgId: <uuid> }");

  if (!(ACCOUNT_PURPOSES as readonly unknown[]).includes(spec.purpose)) return bad(`purpose must be one of ${ACCOUNT_PURPOSES.join(', ')}`);
  const rule = PURPOSES[spec.purpose];
  if (!isCurrency(spec.currency)) return { ok: false, code: 'LEDGER.UNKNOWN_CURRENCY', message: `${String(spec.currency)} is not a known ISO 4217 currency` };

  const reference = spec.reference ?? null;
  if (reference !== null) {
    const n = textLength(reference);
    if (n === null || n < 1 || n > 200) return bad('reference must be text of 1 to 200 characters');
  }
  if (rule.escrow && reference === null) return bad('an escrow account needs a reference (the deal it holds money for)');

  if (spec.mayGoNegative !== undefined && typeof spec.mayGoNegative !== 'boolean') return bad('mayGoNegative must be a boolean');
  const mayGoNegative = spec.mayGoNegative ?? rule.mayGoNegative;
  if (rule.escrow && mayGoNegative) return bad('an escrow account may never go negative');

  return { ok: true, value: { ownerOrgId, purpose: spec.purpose, currency: spec.currency, reference, mayGoNegative, normalSide: rule.normalSide } };
}
