import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Actor, AuditLog } from '@app/identity';
import { LedgerService } from '@app/ledger';
import { Clock, type Page, type PageQuery, Transactions, decodeCursor, timeIdCursor, toPage } from '@app/platform';
import { type PayoutInput, checkPayout, isKeyText, isUuid } from './domain/index.js';
import { EscrowAccounts, actorName } from './escrow-accounts.js';
import { EscrowError, invalid } from './escrow-errors.js';
import { PAYOUT_COLUMNS, type PayoutInstruction, type PayoutRow, toPayout } from './escrow-rows.js';

export interface PayoutFilter {
  readonly status?: 'pending' | 'confirmed';
  readonly orgId?: string;
}

const notFound = (id: string) => new EscrowError('PAYOUT.NOT_FOUND', `There is no payout instruction ${id}`);

/**
 * Money out (the manual provider): a payout becomes an instruction for finance, who sends the
 * wire and confirms it. Issuing moves the amount from the organisation's payable (or
 * commission) account to the platform's payouts-in-transit clearing account, so that it can
 * never be paid out twice; confirming moves it out of the platform's cash.
 */
@Injectable()
export class PayoutService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly ledger: LedgerService,
    private readonly accounts: EscrowAccounts,
  ) {}

  /**
   * An instruction to pay `amount` to the organisation, once per key (a retry answers the
   * first instruction; the key with other terms: 422 PAYOUT.KEY_REUSED). Never more than the
   * account holds (409 PAYOUT.INSUFFICIENT_FUNDS): payouts from one account take its turn,
   * so two cannot both spend the same balance.
   */
  async payout(input: PayoutInput, actor: Actor | 'system' = 'system'): Promise<PayoutInstruction> {
    const checked = checkPayout(input);
    if (!checked.ok) throw invalid('PAYOUT.INVALID', checked.problems);
    const { orgId, amount, key, from } = checked.value;
    return this.tx.tx(async (em) => {
      // The key's turn first, then the account's: a retry waits for the first call and finds its row.
      await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('payout-key:' || $1, 0))`, [key]);
      const [prior]: PayoutRow[] = await em.query(`SELECT ${PAYOUT_COLUMNS} FROM payout_instructions WHERE idempotency_key = $1`, [key]);
      if (prior) {
        const same = prior.org_id === orgId && prior.currency === amount.currency && prior.amount_minor === amount.amountMinor && prior.from_purpose === from;
        if (!same) throw new EscrowError('PAYOUT.KEY_REUSED', `The payout key ${key} was used for instruction ${prior.id}, with other terms`);
        return toPayout(prior, true);
      }
      const account = await this.accounts.owed(orgId, amount.currency, from);
      await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('payout-account:' || $1, 0))`, [account.id]);
      const { balanceMinor } = await this.ledger.balance(account.id);
      if (balanceMinor < amount.amountMinor) {
        throw new EscrowError('PAYOUT.INSUFFICIENT_FUNDS', `The ${from} account of organisation ${orgId} holds ${balanceMinor} ${amount.currency}, less than ${amount.amountMinor}`, {
          extra: { availableMinor: balanceMinor.toString() },
        });
      }
      const transit = await this.accounts.payoutsInTransit(amount.currency);
      const entry = await this.ledger.post({
        idempotencyKey: `payout:${key}`,
        reference: `payout:${orgId}`,
        description: `payout instruction ${key} to organisation ${orgId}`,
        lines: [
          { accountId: account.id, amountMinor: amount.amountMinor },
          { accountId: transit.id, amountMinor: -amount.amountMinor },
        ],
        createdBy: actorName(actor),
      });
      if (entry.replayed) throw new EscrowError('ESCROW.LEDGER_MISMATCH', `The ledger has entry ${entry.id} under payout:${key} but there is no instruction for it`);
      const [row]: PayoutRow[] = await em.query(
        `INSERT INTO payout_instructions (idempotency_key, org_id, currency, amount_minor, from_purpose, from_account_id, status, instruction_entry_id, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING ${PAYOUT_COLUMNS}`,
        [key, orgId, amount.currency, amount.amountMinor, from, account.id, entry.id, actorName(actor), await this.clock.now()],
      );
      await this.audit.record(actor, {
        action: 'payout.instructed',
        orgId,
        subject: { type: 'payout_instruction', id: row!.id },
        details: { key, amount: `${amount.currency} ${amount.amountMinor}`, from },
      });
      return toPayout(row!, false);
    });
  }

  /** Finance sent the wire: payouts in transit -> cash. Confirming again answers the confirmation (replayed). */
  async confirmPayout(id: string, actor: Actor | 'system' = 'system', o: { bankReference?: string } = {}): Promise<PayoutInstruction> {
    if (!isUuid(id)) throw notFound(id);
    if (o.bankReference !== undefined && !isKeyText(o.bankReference, 200)) {
      throw invalid('PAYOUT.INVALID', [{ field: 'bankReference', code: 'PAYOUT.INVALID_REFERENCE', message: 'must be 1 to 200 printable characters' }]);
    }
    return this.tx.tx(async (em) => {
      const [row]: PayoutRow[] = await em.query(`SELECT ${PAYOUT_COLUMNS} FROM payout_instructions WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw notFound(id);
      if (row.status === 'confirmed') return toPayout(row, true);
      const transit = await this.accounts.payoutsInTransit(row.currency);
      const cash = await this.accounts.cash(row.currency);
      const entry = await this.ledger.post({
        idempotencyKey: `payout:${row.idempotency_key}:confirmed`,
        reference: `payout:${row.org_id}`,
        description: `payout ${row.idempotency_key} sent`,
        lines: [
          { accountId: transit.id, amountMinor: row.amount_minor },
          { accountId: cash.id, amountMinor: -row.amount_minor },
        ],
        createdBy: actorName(actor),
      });
      const [[confirmed]]: [PayoutRow[], number] = await em.query(
        `UPDATE payout_instructions SET status = 'confirmed', confirm_entry_id = $2, confirmed_by = $3, confirmed_at = $4, bank_reference = $5
          WHERE id = $1 RETURNING ${PAYOUT_COLUMNS}`,
        [id, entry.id, actorName(actor), await this.clock.now(), o.bankReference ?? null],
      );
      await this.audit.record(actor, {
        action: 'payout.confirmed',
        orgId: row.org_id,
        subject: { type: 'payout_instruction', id },
        details: { key: row.idempotency_key, amount: `${row.currency} ${row.amount_minor}`, bankReference: o.bankReference ?? null },
      });
      return toPayout(confirmed!, false);
    });
  }

  async get(id: string): Promise<PayoutInstruction> {
    const rows: PayoutRow[] = isUuid(id) ? await this.tx.manager().query(`SELECT ${PAYOUT_COLUMNS} FROM payout_instructions WHERE id = $1`, [id]) : [];
    if (!rows[0]) throw notFound(id);
    return toPayout(rows[0], false);
  }

  /** Instructions oldest first (finance's work queue with status 'pending'). */
  async list(filter: PayoutFilter, page: PageQuery): Promise<Page<PayoutInstruction>> {
    const after = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    if (filter.orgId !== undefined && !isUuid(filter.orgId)) return { data: [], nextCursor: null };
    const rows: PayoutRow[] = await this.em().query(
      `SELECT ${PAYOUT_COLUMNS} FROM payout_instructions
        WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR org_id = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
        ORDER BY created_at, id LIMIT $5`,
      [filter.status ?? null, filter.orgId ?? null, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, (r) => [r.created_at.toISOString(), r.id], (r) => toPayout(r, false));
  }

  private em(): EntityManager {
    return this.tx.manager();
  }
}
