import type { AccountPurpose, NormalSide } from './domain/accounts.js';
import type { Line } from './domain/entry.js';

export interface LedgerAccount {
  readonly id: string;
  readonly ownerOrgId: string;
  readonly purpose: AccountPurpose;
  readonly currency: string;
  readonly normalSide: NormalSide;
  readonly mayGoNegative: boolean;
  readonly reference: string | null;
  readonly createdAt: Date;
}

export interface AccountBalance {
  readonly accountId: string;
  readonly currency: string;
  /** In the account's normal direction: what an escrow account holds, what a cash account has. */
  readonly balanceMinor: bigint;
  readonly normalSide: NormalSide;
  readonly mayGoNegative: boolean;
}

export interface JournalEntry {
  readonly id: bigint;
  readonly idempotencyKey: string;
  readonly reference: string;
  readonly description: string;
  /** The entry this one reverses, if it is a correction. */
  readonly reverses: bigint | null;
  readonly createdBy: string;
  readonly postedAt: Date;
  /** In posting order (by account id). */
  readonly lines: readonly Line[];
}

/** post's answer: the entry, and whether it was posted before under the same key (nothing was posted now). */
export interface PostedEntry extends JournalEntry {
  readonly replayed: boolean;
}

export const ACCOUNT_COLUMNS = 'id, owner_org_id, purpose, currency, normal_side, may_go_negative, reference, created_at';

export interface AccountRow {
  id: string;
  owner_org_id: string;
  purpose: AccountPurpose;
  currency: string;
  normal_side: NormalSide;
  may_go_negative: boolean;
  reference: string | null;
  created_at: Date;
}

export const toAccount = (r: AccountRow): LedgerAccount => ({
  id: r.id,
  ownerOrgId: r.owner_org_id,
  purpose: r.purpose,
  currency: r.currency,
  normalSide: r.normal_side,
  mayGoNegative: r.may_go_negative,
  reference: r.reference,
  createdAt: r.created_at,
});

/** An entry's columns and one of its lines' per row (ENTRY_LINE_COLUMNS over journal_entries e JOIN journal_lines l). */
export const ENTRY_LINE_COLUMNS =
  'e.id, e.idempotency_key, e.reference, e.description, e.reverses, e.created_by, e.posted_at, l.account_id, l.currency, l.amount_minor';

export interface EntryLineRow {
  id: bigint;
  idempotency_key: string;
  reference: string;
  description: string;
  reverses: bigint | null;
  created_by: string;
  posted_at: Date;
  account_id: string;
  currency: string;
  amount_minor: bigint;
}

/** Rows of ENTRY_LINE_COLUMNS, grouped by entry in the order the entries first appear. */
export function toEntries(rows: readonly EntryLineRow[]): JournalEntry[] {
  const byId = new Map<bigint, { entry: JournalEntry; lines: Line[] }>();
  for (const r of rows) {
    let e = byId.get(r.id);
    if (!e) {
      const lines: Line[] = [];
      e = {
        lines,
        entry: {
          id: r.id,
          idempotencyKey: r.idempotency_key,
          reference: r.reference,
          description: r.description,
          reverses: r.reverses,
          createdBy: r.created_by,
          postedAt: r.posted_at,
          lines,
        },
      };
      byId.set(r.id, e);
    }
    e.lines.push({ accountId: r.account_id, currency: r.currency, amountMinor: r.amount_minor });
  }
  return [...byId.values()].map((e) => e.entry);
}
