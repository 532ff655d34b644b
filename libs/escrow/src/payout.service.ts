import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Actor, AuditLog } from '@app/identity';
import { LedgerService, ProviderMovements } from '@app/ledger';
import { APP_CONFIG, type AppConfig, Clock, Outbox, type Page, type PageQuery, Transactions, decodeCursor, timeIdCursor, toPage } from '@app/platform';
import { type CheckedPayout, type PayoutInput, type PayoutMethod, checkPayout, isKeyText, isUuid } from './domain/index.js';
import { EscrowAccounts, actorName } from './escrow-accounts.js';
import { EscrowError, invalid } from './escrow-errors.js';
import { PAYOUT_COLUMNS, type PayoutInstruction, type PayoutRow, toPayout } from './escrow-rows.js';

export interface PayoutFilter {
  readonly status?: 'pending' | 'confirmed' | 'failed';
  readonly orgId?: string;
}

/** The job that pays a Stripe payout; its id collapses duplicates while one is queued. */
export const executePayoutJob = (payoutId: string) => ({ job: 'payments.execute-payout' as const, data: { payoutId }, jobId: `payout:${payoutId}:execute` });

const notFound = (id: string) => new EscrowError('PAYOUT.NOT_FOUND', `There is no payout instruction ${id}`);

/**
 * Money out. Issuing a payout moves the amount from the organisation's payable (or
 * commission) account to the platform's payouts-in-transit clearing account, so that it can
 * never be paid out twice. Then, by its method:
 *
 * - manual: an instruction for finance, who sends the wire and confirms it (transit -> cash);
 * - stripe_transfer / stripe_refund: the worker pays it through Stripe (StripePayouts), and the
 *   payment confirms it (transit -> the platform's Stripe balance); Stripe's refusal for good
 *   fails it, and the amount goes back to the account it came from.
 */
@Injectable()
export class PayoutService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly ledger: LedgerService,
    private readonly accounts: EscrowAccounts,
    private readonly movements: ProviderMovements,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
        const same =
          prior.org_id === orgId &&
          prior.currency === amount.currency &&
          prior.amount_minor === amount.amountMinor &&
          prior.from_purpose === from &&
          (checked.value.method === null || prior.method === checked.value.method) &&
          (checked.value.dealId === null || prior.deal_id === checked.value.dealId);
        if (!same) throw new EscrowError('PAYOUT.KEY_REUSED', `The payout key ${key} was used for instruction ${prior.id}, with other terms`);
        return toPayout(prior, true);
      }
      const { method, destination } = await this.route(em, checked.value);
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
        `INSERT INTO payout_instructions (idempotency_key, org_id, currency, amount_minor, from_purpose, from_account_id, status, instruction_entry_id, created_by, created_at,
                                          method, destination, deal_id)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $12) RETURNING ${PAYOUT_COLUMNS}`,
        [key, orgId, amount.currency, amount.amountMinor, from, account.id, entry.id, actorName(actor), await this.clock.now(), method, destination, checked.value.dealId],
      );
      if (method !== 'manual') await this.outbox.add(executePayoutJob(row!.id), em);
      await this.audit.record(actor, {
        action: 'payout.instructed',
        orgId,
        subject: { type: 'payout_instruction', id: row!.id },
        details: { key, amount: `${amount.currency} ${amount.amountMinor}`, from, method, destination, dealId: checked.value.dealId },
      });
      return toPayout(row!, false);
    });
  }

  /**
   * How a payout is paid, and where to: the method asked for (or the default), checked against
   * the provider and the organisation's connected account; a refund goes onto the deal's
   * Stripe payment and never beyond what that payment brought in less what was refunded.
   */
  private async route(em: EntityManager, p: CheckedPayout): Promise<{ method: PayoutMethod; destination: string | null }> {
    const stripe = this.config.paymentsProvider === 'stripe';
    const [connected]: { account_id: string }[] = await em.query('SELECT account_id FROM stripe_connected_accounts WHERE org_id = $1', [p.orgId]);
    const method: PayoutMethod = p.method ?? (stripe && connected ? 'stripe_transfer' : 'manual');
    if (method !== 'manual' && !stripe) throw new EscrowError('PAYOUT.PROVIDER_DISABLED', `${method} needs Stripe as the payment provider (PAYMENTS_PROVIDER=stripe)`);
    if (method === 'manual') return { method, destination: null };
    if (method === 'stripe_transfer') {
      if (!connected) throw new EscrowError('PAYOUT.NO_CONNECTED_ACCOUNT', `Organisation ${p.orgId} has no Stripe connected account to transfer to`);
      return { method, destination: connected.account_id };
    }
    const [payment]: { external_id: string; paid: bigint; refunded: bigint }[] = await em.query(
      `SELECT o.external_id, o.amount_minor AS paid,
              COALESCE((SELECT sum(p.amount_minor) FROM payout_instructions p
                         WHERE p.method = 'stripe_refund' AND p.destination = o.external_id AND p.status <> 'failed'), 0)::bigint AS refunded
         FROM escrow_operations o JOIN escrows e ON e.deal_id = o.deal_id
        WHERE o.deal_id = $1 AND o.kind = 'fund' AND o.source = 'stripe' AND e.buyer_org_id = $2 AND e.currency = $3
        ORDER BY o.amount_minor - COALESCE((SELECT sum(p.amount_minor) FROM payout_instructions p
                   WHERE p.method = 'stripe_refund' AND p.destination = o.external_id AND p.status <> 'failed'), 0) DESC, o.id
        LIMIT 1`,
      [p.dealId, p.orgId, p.amount.currency],
    );
    if (!payment || !payment.external_id.startsWith('pi_')) {
      throw new EscrowError('PAYOUT.NO_STRIPE_PAYMENT', `Deal ${p.dealId} has no Stripe payment in ${p.amount.currency} by organisation ${p.orgId} to refund onto`);
    }
    if (payment.paid - payment.refunded < p.amount.amountMinor) {
      throw new EscrowError('PAYOUT.REFUND_EXCEEDS_PAYMENT', `Payment ${payment.external_id} has ${payment.paid - payment.refunded} ${p.amount.currency} left to refund, less than ${p.amount.amountMinor}`);
    }
    return { method, destination: payment.external_id };
  }

  /** Finance sent the wire: payouts in transit -> cash. Confirming again answers the confirmation (replayed). Manual payouts only. */
  async confirmPayout(id: string, actor: Actor | 'system' = 'system', o: { bankReference?: string } = {}): Promise<PayoutInstruction> {
    if (!isUuid(id)) throw notFound(id);
    if (o.bankReference !== undefined && !isKeyText(o.bankReference, 200)) {
      throw invalid('PAYOUT.INVALID', [{ field: 'bankReference', code: 'PAYOUT.INVALID_REFERENCE', message: 'must be 1 to 200 printable characters' }]);
    }
    return this.tx.tx(async (em) => {
      const row = await this.lock(em, id);
      if (row.method !== 'manual') throw new EscrowError('PAYOUT.PAID_BY_PROVIDER', `Payout ${id} is paid by ${row.method}, not confirmed by hand`);
      if (row.status === 'confirmed') return toPayout(row, true);
      if (row.status === 'failed') throw new EscrowError('PAYOUT.FAILED', `Payout ${id} failed: ${row.failure}`);
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
      const now = await this.clock.now();
      if (o.bankReference !== undefined) {
        // The wire out, as the main account's statement will show it (a debit line under this bank reference), for the reconciliation report.
        await this.movements.record({ provider: 'bank', externalId: `main:${o.bankReference}`, entryId: entry.id, amount: { amountMinor: -row.amount_minor, currency: row.currency }, at: now });
      }
      const [[confirmed]]: [PayoutRow[], number] = await em.query(
        `UPDATE payout_instructions SET status = 'confirmed', confirm_entry_id = $2, confirmed_by = $3, confirmed_at = $4, bank_reference = $5
          WHERE id = $1 RETURNING ${PAYOUT_COLUMNS}`,
        [id, entry.id, actorName(actor), now, o.bankReference ?? null],
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

  /**
   * Stripe made the payment (a transfer or a refund): payouts in transit -> the platform's
   * Stripe balance, with the movement recorded for reconciliation. Called by the worker after
   * its call and by the webhook for the object, whichever comes first; the other is a replay.
   * A second, different object for one payout is a defect (money paid twice) and is refused.
   */
  async confirmByProvider(id: string, providerReference: string, o: { at?: Date } = {}): Promise<PayoutInstruction> {
    if (!isUuid(id)) throw notFound(id);
    return this.tx.tx(async (em) => {
      const row = await this.lock(em, id);
      if (row.method === 'manual') throw new EscrowError('PAYOUT.NOT_A_PROVIDER_PAYOUT', `Payout ${id} is paid by hand`);
      if (row.status === 'confirmed') {
        if (row.provider_reference !== providerReference) {
          throw new EscrowError('ESCROW.LEDGER_MISMATCH', `Payout ${id} was paid by ${row.provider_reference}, and Stripe reports ${providerReference} for it too`);
        }
        return toPayout(row, true);
      }
      if (row.status === 'failed') throw new EscrowError('ESCROW.LEDGER_MISMATCH', `Payout ${id} was recorded as failed, and Stripe reports ${providerReference} for it`);
      const transit = await this.accounts.payoutsInTransit(row.currency);
      const balance = await this.accounts.clearing('stripe', row.currency);
      const entry = await this.ledger.post({
        idempotencyKey: `payout:${row.idempotency_key}:confirmed`,
        reference: `payout:${row.org_id}`,
        description: `payout ${row.idempotency_key} paid by Stripe ${providerReference}`,
        lines: [
          { accountId: transit.id, amountMinor: row.amount_minor },
          { accountId: balance.id, amountMinor: -row.amount_minor },
        ],
        createdBy: 'system',
      });
      const now = await this.clock.now();
      await this.movements.record({ provider: 'stripe', externalId: providerReference, entryId: entry.id, amount: { amountMinor: -row.amount_minor, currency: row.currency }, at: o.at ?? now });
      const [[confirmed]]: [PayoutRow[], number] = await em.query(
        `UPDATE payout_instructions SET status = 'confirmed', confirm_entry_id = $2, confirmed_by = 'system', confirmed_at = $3, provider_reference = $4
          WHERE id = $1 RETURNING ${PAYOUT_COLUMNS}`,
        [id, entry.id, now, providerReference],
      );
      await this.audit.record('system', {
        action: 'payout.paid',
        orgId: row.org_id,
        subject: { type: 'payout_instruction', id },
        details: { key: row.idempotency_key, amount: `${row.currency} ${row.amount_minor}`, method: row.method, providerReference },
      });
      return toPayout(confirmed!, false);
    });
  }

  /** The provider refused the payout for good: payouts in transit -> back to the account it came from. A second call answers the first. */
  async failByProvider(id: string, failure: string): Promise<PayoutInstruction> {
    if (!isUuid(id)) throw notFound(id);
    return this.tx.tx(async (em) => {
      const row = await this.lock(em, id);
      if (row.status === 'failed') return toPayout(row, true);
      if (row.status === 'confirmed') throw new EscrowError('PAYOUT.ALREADY_PAID', `Payout ${id} was paid (${row.provider_reference ?? row.bank_reference ?? 'by hand'})`);
      const transit = await this.accounts.payoutsInTransit(row.currency);
      const entry = await this.ledger.post({
        idempotencyKey: `payout:${row.idempotency_key}:failed`,
        reference: `payout:${row.org_id}`,
        description: `payout ${row.idempotency_key} failed; back to the ${row.from_purpose} account`,
        lines: [
          { accountId: transit.id, amountMinor: row.amount_minor },
          { accountId: row.from_account_id, amountMinor: -row.amount_minor },
        ],
        createdBy: 'system',
      });
      const text = failure.slice(0, 1000) || 'refused';
      const [[failed]]: [PayoutRow[], number] = await em.query(
        `UPDATE payout_instructions SET status = 'failed', failure = $2, failure_entry_id = $3 WHERE id = $1 RETURNING ${PAYOUT_COLUMNS}`,
        [id, text, entry.id],
      );
      await this.audit.record('system', {
        action: 'payout.failed',
        orgId: row.org_id,
        subject: { type: 'payout_instruction', id },
        details: { key: row.idempotency_key, amount: `${row.currency} ${row.amount_minor}`, method: row.method, failure: text },
      });
      return toPayout(failed!, false);
    });
  }

  /** Stripe payouts still pending since before `olderThan` (the reconciler queues them again), oldest first. */
  async pendingAtProvider(olderThan: Date, limit = 500): Promise<string[]> {
    const rows: { id: string }[] = await this.em().query(
      `SELECT id FROM payout_instructions WHERE status = 'pending' AND method <> 'manual' AND created_at < $1 ORDER BY created_at, id LIMIT $2`,
      [olderThan, limit],
    );
    return rows.map((r) => r.id);
  }

  private async lock(em: EntityManager, id: string): Promise<PayoutRow> {
    const [row]: PayoutRow[] = await em.query(`SELECT ${PAYOUT_COLUMNS} FROM payout_instructions WHERE id = $1 FOR UPDATE`, [id]);
    if (!row) throw notFound(id);
    return row;
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
