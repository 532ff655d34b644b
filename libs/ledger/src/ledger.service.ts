import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { type Page, type PageQuery, Transactions, decodeCursor, toPage } from '@app/platform';
import { type AccountSpec, checkAccountSpec } from './domain/accounts.js';
import { isUuid } from './domain/checks.js';
import { type CurrencyTotals, type LineInput, checkBalanced, checkEntryText, checkLines, reversalOf, sameLines } from './domain/entry.js';
import { LedgerError, pgError, refusal } from './ledger-errors.js';
import {
  ACCOUNT_COLUMNS,
  type AccountBalance,
  type AccountRow,
  ENTRY_LINE_COLUMNS,
  type EntryLineRow,
  type JournalEntry,
  type LedgerAccount,
  type PostedEntry,
  toAccount,
  toEntries,
} from './ledger-rows.js';

export interface PostEntryInput {
  /** The poster's key: a replay with the same entry answers the first one; with another entry, LEDGER.KEY_REUSED. */
  readonly idempotencyKey: string;
  /** What the entry is about, e.g. `transfer:<id>:funded`. */
  readonly reference: string;
  readonly description?: string;
  /** Positive amounts debit, negative ones credit; at least two, netting to zero per currency. */
  readonly lines: readonly LineInput[];
  /** Who posts (a job, an actor); 'system' by default. */
  readonly createdBy?: string;
}

/**
 * The entry and all its lines in one statement (one round trip): a replayed key inserts
 * nothing (ON CONFLICT DO NOTHING) and answers no row. Each line takes its account's
 * currency; an unknown account leaves it NULL, which the NOT NULL constraint refuses. The
 * lines' trigger then checks the entry and updates the balances (and refuses a negative
 * one); the deferred trigger checks the entry again at commit.
 */
const POST_SQL = `
  WITH e AS (
    INSERT INTO journal_entries (idempotency_key, reference, description, reverses, created_by)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, posted_at),
  l AS (
    INSERT INTO journal_lines (entry_id, account_id, currency, amount_minor)
    SELECT e.id, x.account_id, a.currency, x.amount_minor
      FROM e CROSS JOIN unnest($6::uuid[], $7::bigint[]) WITH ORDINALITY AS x (account_id, amount_minor, n)
      LEFT JOIN ledger_accounts a ON a.id = x.account_id
     ORDER BY x.n
    RETURNING id, account_id, currency, amount_minor)
  SELECT e.id, e.posted_at, l.account_id, l.currency, l.amount_minor FROM e CROSS JOIN l ORDER BY l.id`;

interface PostRow {
  id: bigint;
  posted_at: Date;
  account_id: string;
  currency: string;
  amount_minor: bigint;
}

const entryCursor = z.tuple([z.string().regex(/^[1-9]\d{0,18}$/)]);
const accountCursor = z.tuple([z.uuid()]);
/** Accounts (alias a) with their balance rows (alias b). */
const ACCOUNTS_WITH_BALANCES = `SELECT ${ACCOUNT_COLUMNS.split(', ')
  .map((c) => `a.${c}`)
  .join(', ')}, b.balance_minor FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id`;

/**
 * The double-entry ledger: accounts, posting, reversal, balances, the trial balance. Every
 * method runs in the caller's transaction when there is one (Transactions), so that escrow
 * or billing post in the transaction of their own change; without one, each statement is
 * its own transaction (post is one statement, so it is atomic either way).
 *
 * A refusal the database raises (LEDGER.INSUFFICIENT_FUNDS, LEDGER.UNKNOWN_ACCOUNT, a race
 * lost to LEDGER.ALREADY_REVERSED) aborts the caller's transaction: the caller rolls back.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly tx: Transactions) {}

  /**
   * The account for this owner, purpose, currency and reference, created with its balance
   * row the first time (safe to call concurrently). LEDGER.ACCOUNT_CONFLICT when it exists
   * and the spec says otherwise about going negative.
   */
  async account(spec: AccountSpec): Promise<LedgerAccount> {
    const c = checkAccountSpec(spec);
    if (!c.ok) throw new LedgerError(c.code, c.message);
    const { ownerOrgId, purpose, currency, reference, mayGoNegative, normalSide } = c.value;
    const em = this.tx.manager();
    const owner = `coalesce($1::uuid, (SELECT id FROM organisations WHERE kind = 'platform'))`;
    let rows: AccountRow[];
    try {
      rows = await em.query(
        `INSERT INTO ledger_accounts (owner_org_id, purpose, currency, normal_side, may_go_negative, reference)
         VALUES (${owner}, $2, $3, $4, $5, $6)
         ON CONFLICT (owner_org_id, purpose, currency, reference) DO NOTHING
         RETURNING ${ACCOUNT_COLUMNS}`,
        [ownerOrgId, purpose, currency, normalSide, mayGoNegative, reference],
      );
    } catch (err) {
      if (pgError(err).constraint === 'ledger_accounts_owner_org_id_fkey') throw new LedgerError('LEDGER.UNKNOWN_OWNER', `There is no organisation ${ownerOrgId}`);
      throw err;
    }
    if (!rows[0]) {
      // Made by someone else (committed: ON CONFLICT waited for it), read in a new statement.
      rows = await em.query(
        `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts
          WHERE owner_org_id = ${owner} AND purpose = $2 AND currency = $3 AND reference IS NOT DISTINCT FROM $4`,
        [ownerOrgId, purpose, currency, reference],
      );
    }
    const account = toAccount(rows[0]!);
    // A caller that said nothing about going negative takes the account as it is.
    if (spec.mayGoNegative !== undefined && account.mayGoNegative !== mayGoNegative) {
      throw new LedgerError(
        'LEDGER.ACCOUNT_CONFLICT',
        `The ${purpose} account ${account.id} exists and ${account.mayGoNegative ? 'may' : 'may not'} go negative`,
      );
    }
    return account;
  }

  /**
   * Posts a balanced entry, or answers the entry posted before under the same key (replayed,
   * nothing posted now). LEDGER.INSUFFICIENT_FUNDS when an account that may not go negative
   * would; LEDGER.KEY_REUSED when the key was used for another entry.
   */
  post(input: PostEntryInput): Promise<PostedEntry> {
    return this.insert(input, null);
  }

  /**
   * Posts the entry that undoes entry `entryId` (each line negated), under its own key; an
   * entry is reversed at most once (LEDGER.ALREADY_REVERSED). This is the only correction.
   */
  async reverse(entryId: bigint, idempotencyKey: string, reason: string, createdBy = 'system'): Promise<PostedEntry> {
    if (typeof entryId !== 'bigint' || entryId < 1n) throw new LedgerError('LEDGER.ENTRY_NOT_FOUND', `There is no journal entry ${String(entryId)}`);
    const rows: (EntryLineRow & { reversed_by: string | null })[] = await this.tx.manager().query(
      `SELECT ${ENTRY_LINE_COLUMNS}, r.idempotency_key AS reversed_by
         FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
         LEFT JOIN journal_entries r ON r.reverses = e.id
        WHERE e.id = $1 ORDER BY l.id`,
      [entryId],
    );
    const [original] = toEntries(rows);
    if (!original) throw new LedgerError('LEDGER.ENTRY_NOT_FOUND', `There is no journal entry ${entryId}`);
    const reversedBy = rows[0]!.reversed_by;
    if (reversedBy !== null && reversedBy !== idempotencyKey) {
      throw new LedgerError('LEDGER.ALREADY_REVERSED', `Journal entry ${entryId} has been reversed already`);
    }
    return this.insert(
      {
        idempotencyKey,
        reference: original.reference,
        description: `reversal of entry ${entryId}: ${reason}`,
        lines: reversalOf(original.lines).map(({ accountId, amountMinor }) => ({ accountId, amountMinor })),
        createdBy,
      },
      entryId,
    );
  }

  async balance(accountId: string): Promise<AccountBalance> {
    const rows: { currency: string; balance_minor: bigint; may_go_negative: boolean; normal_side: 'debit' | 'credit' }[] = isUuid(accountId)
      ? await this.tx.manager().query(
          `SELECT b.currency, b.balance_minor, b.may_go_negative, a.normal_side
             FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id WHERE b.account_id = $1`,
          [accountId],
        )
      : [];
    const r = rows[0];
    if (!r) throw new LedgerError('LEDGER.UNKNOWN_ACCOUNT', `There is no ledger account ${accountId}`);
    return { accountId: accountId.toLowerCase(), currency: r.currency, balanceMinor: r.balance_minor, normalSide: r.normal_side, mayGoNegative: r.may_go_negative };
  }

  async entry(id: bigint): Promise<JournalEntry> {
    const rows: EntryLineRow[] = await this.tx.manager().query(
      `SELECT ${ENTRY_LINE_COLUMNS} FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id WHERE e.id = $1 ORDER BY l.id`,
      [id],
    );
    const [entry] = toEntries(rows);
    if (!entry) throw new LedgerError('LEDGER.ENTRY_NOT_FOUND', `There is no journal entry ${id}`);
    return entry;
  }

  /** The entries with a line on the account, newest first, each with all its lines. */
  async entries(accountId: string, page: PageQuery): Promise<Page<JournalEntry>> {
    const before = page.cursor ? BigInt(decodeCursor(page.cursor, entryCursor)[0]) : null;
    await this.balance(accountId);
    const rows: EntryLineRow[] = await this.tx.manager().query(
      `SELECT ${ENTRY_LINE_COLUMNS}
         FROM (SELECT DISTINCT entry_id FROM journal_lines
                WHERE account_id = $1 AND ($2::bigint IS NULL OR entry_id < $2)
                ORDER BY entry_id DESC LIMIT $3) p
         JOIN journal_entries e ON e.id = p.entry_id
         JOIN journal_lines l ON l.entry_id = e.id
        ORDER BY e.id DESC, l.id`,
      [accountId, before, page.limit + 1],
    );
    return toPage(toEntries(rows), page.limit, (e) => [e.id.toString()], (e) => e);
  }

  /**
   * The entries with a line on the account posted in [from, to) (an end left null is open),
   * oldest first, each with all its lines; at most `limit` of them (an export asks for one
   * more than it serves, to tell a whole period from a cut one).
   */
  async entriesPosted(accountId: string, period: { from: Date | null; to: Date | null }, limit: number): Promise<JournalEntry[]> {
    await this.balance(accountId);
    const rows: EntryLineRow[] = await this.tx.manager().query(
      `SELECT ${ENTRY_LINE_COLUMNS}
         FROM (SELECT DISTINCT l.entry_id FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
                WHERE l.account_id = $1 AND ($2::timestamptz IS NULL OR e.posted_at >= $2) AND ($3::timestamptz IS NULL OR e.posted_at < $3)
                ORDER BY l.entry_id LIMIT $4) p
         JOIN journal_entries e ON e.id = p.entry_id
         JOIN journal_lines l ON l.entry_id = e.id
        ORDER BY e.id, l.id`,
      [accountId, period.from, period.to, limit],
    );
    return toEntries(rows);
  }

  /**
   * Accounts with their balances: one organisation's (ownerOrgId), or every account (null),
   * in id order (the cursor is the last id served).
   */
  async accounts(ownerOrgId: string | null, page: PageQuery): Promise<Page<LedgerAccount & { balanceMinor: bigint }>> {
    const after = page.cursor ? decodeCursor(page.cursor, accountCursor)[0] : null;
    const rows: (AccountRow & { balance_minor: bigint })[] = await this.tx.manager().query(
      `${ACCOUNTS_WITH_BALANCES}
        WHERE ($1::uuid IS NULL OR a.owner_org_id = $1) AND ($2::uuid IS NULL OR a.id > $2)
        ORDER BY a.id LIMIT $3`,
      [ownerOrgId, after, page.limit + 1],
    );
    return toPage(rows, page.limit, (r) => [r.id], (r) => ({ ...toAccount(r), balanceMinor: r.balance_minor }));
  }

  /**
   * Locks the balances of these accounts, in account order, until the caller's transaction
   * ends: a caller that posts several entries sharing a busy account (the platform's fees)
   * takes it first, so that two such transactions queue instead of deadlocking.
   */
  async lockBalances(accountIds: readonly string[]): Promise<void> {
    const em = this.tx.manager();
    if (!em.queryRunner?.isTransactionActive) throw new Error('lockBalances must run inside a transaction');
    await em.query('SELECT 1 FROM ledger_balances WHERE account_id = ANY($1::uuid[]) ORDER BY account_id FOR UPDATE', [[...new Set(accountIds)]]);
  }

  /** One account and its balance, or LEDGER.UNKNOWN_ACCOUNT. */
  async accountById(id: string): Promise<LedgerAccount & { balanceMinor: bigint }> {
    const rows: (AccountRow & { balance_minor: bigint })[] = isUuid(id)
      ? await this.tx.manager().query(
          `${ACCOUNTS_WITH_BALANCES} WHERE a.id = $1`,
          [id],
        )
      : [];
    if (!rows[0]) throw new LedgerError('LEDGER.UNKNOWN_ACCOUNT', `There is no ledger account ${id}`);
    return { ...toAccount(rows[0]), balanceMinor: rows[0].balance_minor };
  }

  /** Debits and credits per currency over the whole journal: equal in every currency, always. */
  async trialBalance(): Promise<CurrencyTotals[]> {
    const rows: { currency: string; debits: string; credits: string }[] = await this.tx.manager().query(
      `SELECT currency,
              coalesce(sum(amount_minor) FILTER (WHERE amount_minor > 0), 0)::text AS debits,
              coalesce(-sum(amount_minor) FILTER (WHERE amount_minor < 0), 0)::text AS credits
         FROM journal_lines GROUP BY currency ORDER BY currency`,
    );
    return rows.map((r) => ({ currency: r.currency, debitsMinor: BigInt(r.debits), creditsMinor: BigInt(r.credits) }));
  }

  private async insert(input: PostEntryInput, reverses: bigint | null): Promise<PostedEntry> {
    const text = checkEntryText({
      idempotencyKey: input.idempotencyKey,
      reference: input.reference,
      description: input.description ?? '',
      createdBy: input.createdBy ?? 'system',
    });
    if (!text.ok) throw new LedgerError(text.code, text.message);
    const lines = checkLines(input.lines);
    if (!lines.ok) throw new LedgerError(lines.code, lines.message);
    const { idempotencyKey, reference, description, createdBy } = text.value;

    const em = this.tx.manager();
    let rows: PostRow[];
    try {
      rows = await em.query(POST_SQL, [
        idempotencyKey,
        reference,
        description,
        reverses,
        createdBy,
        lines.value.map((l) => l.accountId),
        lines.value.map((l) => l.amountMinor),
      ]);
    } catch (err) {
      throw refusal(err) ?? err;
    }

    if (rows.length === 0) {
      const existing: EntryLineRow[] = await em.query(
        `SELECT ${ENTRY_LINE_COLUMNS} FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
          WHERE e.idempotency_key = $1 ORDER BY l.id`,
        [idempotencyKey],
      );
      const [first] = toEntries(existing);
      if (!first) throw new Error(`journal entry ${idempotencyKey} conflicted on its key but cannot be read`);
      if (first.reference !== reference || first.description !== description || first.reverses !== reverses || !sameLines(first.lines, lines.value)) {
        throw new LedgerError('LEDGER.KEY_REUSED', `The idempotency key ${idempotencyKey} was used for journal entry ${first.id}, which is another entry`, {
          entryId: first.id.toString(),
        });
      }
      return { ...first, replayed: true };
    }

    const posted = rows.map((r) => ({ accountId: r.account_id, currency: r.currency, amountMinor: r.amount_minor }));
    // The lines' trigger has refused an unbalanced entry already; a second look costs nothing.
    const balanced = checkBalanced(posted);
    if (!balanced.ok) throw new LedgerError(balanced.code, balanced.message);
    const head = rows[0]!;
    return { id: head.id, idempotencyKey, reference, description, reverses, createdBy, postedAt: head.posted_at, lines: posted, replayed: false };
  }
}
