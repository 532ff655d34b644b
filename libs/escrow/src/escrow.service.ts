import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Actor, AuditLog } from '@app/identity';
import { type LineInput, LedgerService, ProviderMovements } from '@app/ledger';
import type { Money } from '@app/money';
import { newFundingReference } from '@app/payments';
import { Clock, DomainEvents, Transactions } from '@app/platform';
import {
  type EscrowMoney,
  type EscrowTerms,
  type FundingInput,
  type Settlement,
  checkFunding,
  checkTerms,
  decideSettlement,
  fundingEffect,
  heldMinor,
  isKeyText,
  isUuid,
  releaseSplit,
} from './domain/index.js';
import { EscrowAccounts, actorName } from './escrow-accounts.js';
import { EscrowError, invalid } from './escrow-errors.js';
import {
  ESCROW_COLUMNS,
  type EscrowRow,
  type EscrowView,
  type FundingResult,
  OPERATION_COLUMNS,
  type OperationRow,
  type SettlementResult,
  toEscrowView,
  toFundingResult,
  toSettlementResult,
} from './escrow-rows.js';

export interface OpenResult {
  readonly escrow: EscrowView;
  /** The escrow was opened before with the same terms; nothing was made now. */
  readonly replayed: boolean;
}

/** What the buyer is told to do (the manual provider: a wire with the reference on it). */
export interface FundingInstructions {
  readonly dealId: string;
  readonly method: 'wire';
  /** To be written on the wire, so that the bank statement line matches the deal. */
  readonly reference: string;
  /** What is still to pay (zero once funded or settled). */
  readonly amountDue: Money;
  readonly price: Money;
  readonly received: Money;
  readonly status: EscrowView['status'];
}

const notFound = (dealId: string) => new EscrowError('ESCROW.NOT_FOUND', `There is no escrow for deal ${dealId}`);
const ledgerKey = (dealId: string, operation: string) => `escrow:${dealId}:${operation}`;
const moneyOf = (e: EscrowRow): EscrowMoney => ({ status: e.status, expectedMinor: e.expected_minor, fundedMinor: e.funded_minor });

/**
 * Escrow use cases for the transfer pipeline and finance. Each runs in one transaction that
 * locks the escrow's row first (FOR UPDATE), so that operations on one deal happen one after
 * the other: a retry finds the operation recorded under its key and answers it (nothing
 * posted twice), and release and refund exclude each other. Every posting goes through the
 * ledger under a key derived from the operation's (`escrow:<deal>:<operation>`).
 */
@Injectable()
export class EscrowService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly ledger: LedgerService,
    private readonly accounts: EscrowAccounts,
    private readonly movements: ProviderMovements,
    private readonly events: DomainEvents,
  ) {}

  /**
   * Opens the deal's escrow, awaiting the price, with a new funding reference and its escrow
   * account. Idempotent per deal: the same terms again answer the escrow (replayed); other
   * terms are refused (409 ESCROW.TERMS_CONFLICT).
   */
  async open(input: EscrowTerms, actor: Actor | 'system' = 'system'): Promise<OpenResult> {
    const checked = checkTerms(input);
    if (!checked.ok) throw invalid('ESCROW.INVALID', checked.problems);
    const t = checked.value;
    return this.tx.tx(async (em) => {
      const again = (row: EscrowRow): OpenResult => {
        const same =
          row.buyer_org_id === t.buyerOrgId &&
          row.seller_org_id === t.sellerOrgId &&
          row.broker_org_id === t.brokerOrgId &&
          row.currency === t.price.currency &&
          row.expected_minor === t.price.amountMinor &&
          row.broker_fee_bps === t.brokerFeeBps &&
          row.platform_fee_bps === t.platformFeeBps;
        if (!same) throw new EscrowError('ESCROW.TERMS_CONFLICT', `The escrow of deal ${t.dealId} was opened with other terms`);
        return { escrow: toEscrowView(row), replayed: true };
      };
      const existing = await this.find(em, t.dealId, true);
      if (existing) return again(existing);

      const account = await this.accounts.escrow(t.dealId, t.price.currency);
      const now = await this.clock.now();
      // A new reference collides with a live one about once in 2^40 draws: draw again.
      for (let attempt = 0; attempt < 5; attempt++) {
        let rows: EscrowRow[];
        try {
          rows = await em.query(
            `INSERT INTO escrows (deal_id, buyer_org_id, seller_org_id, broker_org_id, currency, expected_minor, broker_fee_bps, platform_fee_bps,
                                  status, funding_reference, escrow_account_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'awaiting_funds', $9, $10, $11, $11)
             ON CONFLICT DO NOTHING RETURNING ${ESCROW_COLUMNS}`,
            [t.dealId, t.buyerOrgId, t.sellerOrgId, t.brokerOrgId, t.price.currency, t.price.amountMinor, t.brokerFeeBps, t.platformFeeBps, newFundingReference(), account.id, now],
          );
        } catch (err) {
          const e = (err as { driverError?: { code?: string; constraint?: string } }).driverError;
          if (e?.code === '23503' && e.constraint?.endsWith('_org_id_fkey')) {
            throw new EscrowError('ESCROW.UNKNOWN_PARTY', `A party of deal ${t.dealId} is not an organisation (${e.constraint.replace(/^escrows_|_org_id_fkey$/g, '')})`);
          }
          throw err;
        }
        if (rows[0]) {
          await this.audit.record(actor, {
            action: 'escrow.opened',
            orgId: t.buyerOrgId,
            subject: { type: 'escrow', id: t.dealId },
            details: { sellerOrgId: t.sellerOrgId, brokerOrgId: t.brokerOrgId, price: show(t.price), brokerFeeBps: t.brokerFeeBps, platformFeeBps: t.platformFeeBps },
          });
          return { escrow: toEscrowView(rows[0]), replayed: false };
        }
        const raced = await this.find(em, t.dealId, true);
        if (raced) return again(raced);
      }
      throw new Error(`no unused funding reference for deal ${t.dealId} after 5 draws`);
    });
  }

  async get(dealId: string): Promise<EscrowView> {
    const row = isUuid(dealId) ? await this.find(this.tx.manager(), dealId, false) : null;
    if (!row) throw notFound(dealId);
    return toEscrowView(row);
  }

  async fundingInstructions(dealId: string): Promise<FundingInstructions> {
    const e = await this.get(dealId);
    return { dealId: e.dealId, method: 'wire', reference: e.fundingReference, amountDue: e.outstanding, price: e.expected, received: e.funded, status: e.status };
  }

  /**
   * Records money received for the deal (clearing -> escrow), once per (source, externalId):
   * up to what is outstanding goes into escrow; anything beyond (overpayment, a payment after
   * the price was complete or the escrow settled) is credited to the buyer's payable, to be
   * paid back. The same externalId with another amount is refused (422 ESCROW.KEY_REUSED).
   */
  async recordFunding(input: FundingInput, actor: Actor | 'system' = 'system'): Promise<FundingResult> {
    const checked = checkFunding(input);
    if (!checked.ok) throw invalid('ESCROW.INVALID', checked.problems);
    const { dealId, amount, source, externalId, movement } = checked.value;
    const operation = `fund:${source}:${externalId}`;
    return this.tx.tx(async (em) => {
      const escrow = await this.lock(em, dealId);
      const prior = await this.operation(em, dealId, operation);
      if (prior) {
        if (prior.amount_minor !== amount.amountMinor || escrow.currency !== amount.currency) {
          throw new EscrowError('ESCROW.KEY_REUSED', `${operation} was recorded for deal ${dealId} with ${prior.amount_minor} ${escrow.currency}, not ${show(amount)}`);
        }
        return toFundingResult(prior, toEscrowView(escrow), true);
      }
      if (amount.currency !== escrow.currency) {
        throw new EscrowError('ESCROW.CURRENCY_MISMATCH', `The escrow of deal ${dealId} is in ${escrow.currency}, not ${amount.currency}`);
      }
      const effect = fundingEffect(moneyOf(escrow), amount.amountMinor);
      const { currency } = escrow;
      const lines: LineInput[] = [{ accountId: (await this.accounts.clearing(source, currency)).id, amountMinor: amount.amountMinor }];
      if (effect.toEscrowMinor > 0n) lines.push({ accountId: escrow.escrow_account_id, amountMinor: -effect.toEscrowMinor });
      if (effect.excessMinor > 0n) lines.push({ accountId: (await this.accounts.payable(escrow.buyer_org_id, currency)).id, amountMinor: -effect.excessMinor });
      const entryId = await this.post(dealId, operation, `funding of deal ${dealId} (${source} ${externalId})`, lines, actor);
      await this.accounts.expectEscrowBalance(escrow.escrow_account_id, heldMinor({ ...moneyOf(escrow), status: effect.statusAfter, fundedMinor: effect.fundedAfterMinor }), `funding ${operation}`);

      const now = await this.clock.now();
      if (source !== 'manual') {
        await this.movements.record({
          provider: source === 'stripe' ? 'stripe' : 'bank',
          externalId: movement?.externalId ?? externalId,
          entryId,
          amount,
          at: movement?.at ?? now,
        });
      }
      const [[updated]]: [EscrowRow[], number] = await em.query(
        `UPDATE escrows SET funded_minor = $2, excess_minor = excess_minor + $3, status = $4, updated_at = $5 WHERE deal_id = $1 RETURNING ${ESCROW_COLUMNS}`,
        [dealId, effect.fundedAfterMinor, effect.excessMinor, effect.statusAfter, now],
      );
      const op = await this.record(em, {
        dealId, operation, kind: 'fund', source, externalId, amountMinor: amount.amountMinor,
        toEscrowMinor: effect.toEscrowMinor, excessMinor: effect.excessMinor, entryId, details: {}, actor, at: now,
      });
      await this.audit.record(actor, {
        action: 'escrow.funded',
        orgId: escrow.buyer_org_id,
        subject: { type: 'escrow', id: dealId },
        details: { source, externalId, amount: show(amount), toEscrowMinor: effect.toEscrowMinor.toString(), excessMinor: effect.excessMinor.toString(), status: effect.statusAfter },
      });
      await this.publish(em, updated!, effect.statusAfter === 'funded' && escrow.status !== 'funded' ? 'escrow.funded' : 'escrow.funding_received', now, {
        amount: { amountMinor: Number(amount.amountMinor), currency: amount.currency }, source, status: effect.statusAfter,
      });
      return toFundingResult(op, toEscrowView(updated!), false);
    });
  }

  /**
   * Releases the price: escrow -> the seller's payable, the broker's commission and the
   * platform's fees (releaseSplit). Only a funded escrow (409 ESCROW.NOT_FUNDED); never after
   * a refund (409 ESCROW.ALREADY_SETTLED); a second release answers the first (replayed).
   */
  release(dealId: string, actor: Actor | 'system' = 'system'): Promise<SettlementResult> {
    return this.settle(dealId, 'release', actor);
  }

  /**
   * Gives what is in escrow back to the buyer: escrow -> the buyer's payable (paid out by a
   * payout instruction). Open escrows only, funded or not (409 ESCROW.ALREADY_SETTLED after a
   * release); a second refund answers the first (replayed).
   */
  refund(dealId: string, actor: Actor | 'system' = 'system'): Promise<SettlementResult> {
    return this.settle(dealId, 'refund', actor);
  }

  private async settle(dealId: string, what: Settlement, actor: Actor | 'system'): Promise<SettlementResult> {
    if (!isUuid(dealId)) throw notFound(dealId);
    const id = dealId.toLowerCase();
    return this.tx.tx(async (em) => {
      const escrow = await this.lock(em, id);
      const decision = decideSettlement(moneyOf(escrow), what);
      if (decision.kind === 'replay') {
        const prior = await this.operation(em, id, what);
        if (!prior) throw new EscrowError('ESCROW.LEDGER_MISMATCH', `Deal ${id} is ${escrow.status} but has no ${what} operation`);
        return toSettlementResult(prior, toEscrowView(escrow), true);
      }
      if (decision.kind === 'refused') throw new EscrowError(decision.code, decision.message, { extra: { dealId: id, status: escrow.status } });
      if (what === 'release' && escrow.frozen_reason !== null) {
        throw new EscrowError('ESCROW.FROZEN', `The escrow of deal ${id} is frozen (${escrow.frozen_reason}) and is not released until the freeze is lifted`, {
          extra: { dealId: id, frozenReason: escrow.frozen_reason },
        });
      }

      const { currency } = escrow;
      const amount = decision.amountMinor;
      await this.accounts.expectEscrowBalance(escrow.escrow_account_id, amount, `before ${what}`);
      const split = what === 'release' ? releaseSplit({ amountMinor: amount, currency }, { brokerFeeBps: escrow.broker_fee_bps, platformFeeBps: escrow.platform_fee_bps }) : null;
      const lines: LineInput[] = [];
      if (amount > 0n) lines.push({ accountId: escrow.escrow_account_id, amountMinor: amount });
      if (split) {
        if (split.seller.amountMinor > 0n) lines.push({ accountId: (await this.accounts.payable(escrow.seller_org_id, currency)).id, amountMinor: -split.seller.amountMinor });
        if (split.broker.amountMinor > 0n) lines.push({ accountId: (await this.accounts.commission(escrow.broker_org_id!, currency)).id, amountMinor: -split.broker.amountMinor });
        if (split.platform.amountMinor > 0n) lines.push({ accountId: (await this.accounts.fees(currency)).id, amountMinor: -split.platform.amountMinor });
      } else if (amount > 0n) {
        lines.push({ accountId: (await this.accounts.payable(escrow.buyer_org_id, currency)).id, amountMinor: -amount });
      }
      // A refund of an escrow that holds nothing settles it without an entry.
      const entryId = lines.length ? await this.post(id, what, `${what} of deal ${id}`, lines, actor) : null;
      // The deal has ended: its escrow account must be empty.
      await this.accounts.expectEscrowBalance(escrow.escrow_account_id, 0n, `after ${what}`);

      const now = await this.clock.now();
      const [[updated]]: [EscrowRow[], number] = await em.query(
        `UPDATE escrows SET status = $2, outcome = $2, settled_at = $3, settlement_entry_id = $4, updated_at = $3 WHERE deal_id = $1 RETURNING ${ESCROW_COLUMNS}`,
        [id, decision.to, now, entryId],
      );
      const details: Record<string, string> = split ? { seller: split.seller.amountMinor.toString(), broker: split.broker.amountMinor.toString(), platform: split.platform.amountMinor.toString() } : {};
      const op = await this.record(em, {
        dealId: id, operation: what, kind: what, source: null, externalId: null, amountMinor: amount,
        toEscrowMinor: 0n, excessMinor: 0n, entryId, details, actor, at: now,
      });
      await this.audit.record(actor, {
        action: `escrow.${decision.to}`,
        orgId: what === 'release' ? escrow.seller_org_id : escrow.buyer_org_id,
        subject: { type: 'escrow', id },
        details: { amount: show({ amountMinor: amount, currency }), ...details },
      });
      await this.publish(em, updated!, `escrow.${decision.to}`, now, { amount: { amountMinor: Number(amount), currency }, ...details });
      return toSettlementResult(op, toEscrowView(updated!), false);
    });
  }

  /**
   * Freezes an open escrow (a payment dispute): it is not released until unfrozen; a refund
   * stays possible (the platform may resolve a dispute either way). Freezing a frozen escrow
   * keeps the first reason; a settled escrow is answered as it is (nothing left to hold).
   */
  async freeze(dealId: string, reason: string, actor: Actor | 'system' = 'system'): Promise<EscrowView> {
    if (!isUuid(dealId)) throw notFound(dealId);
    if (!isKeyText(reason, 200)) throw invalid('ESCROW.INVALID', [{ field: 'reason', code: 'ESCROW.INVALID_REASON', message: 'must be 1 to 200 printable characters' }]);
    return this.tx.tx(async (em) => {
      const escrow = await this.lock(em, dealId.toLowerCase());
      if (escrow.outcome !== null || escrow.frozen_reason !== null) return toEscrowView(escrow);
      const now = await this.clock.now();
      const [[updated]]: [EscrowRow[], number] = await em.query(
        `UPDATE escrows SET frozen_reason = $2, frozen_at = $3, updated_at = $3 WHERE deal_id = $1 RETURNING ${ESCROW_COLUMNS}`,
        [escrow.deal_id, reason, now],
      );
      await this.audit.record(actor, { action: 'escrow.frozen', orgId: escrow.seller_org_id, subject: { type: 'escrow', id: escrow.deal_id }, details: { reason } });
      await this.publish(em, updated!, 'escrow.frozen', now, { reason });
      return toEscrowView(updated!);
    });
  }

  /** Lifts a freeze (the dispute was won, or the platform resolved it). Unfreezing an escrow that is not frozen changes nothing. */
  async unfreeze(dealId: string, actor: Actor | 'system' = 'system', o: { resolution?: string } = {}): Promise<EscrowView> {
    if (!isUuid(dealId)) throw notFound(dealId);
    return this.tx.tx(async (em) => {
      const escrow = await this.lock(em, dealId.toLowerCase());
      if (escrow.frozen_reason === null) return toEscrowView(escrow);
      const now = await this.clock.now();
      const [[updated]]: [EscrowRow[], number] = await em.query(
        `UPDATE escrows SET frozen_reason = NULL, frozen_at = NULL, updated_at = $2 WHERE deal_id = $1 RETURNING ${ESCROW_COLUMNS}`,
        [escrow.deal_id, now],
      );
      await this.audit.record(actor, {
        action: 'escrow.unfrozen',
        orgId: escrow.seller_org_id,
        subject: { type: 'escrow', id: escrow.deal_id },
        details: { reason: escrow.frozen_reason, resolution: o.resolution ?? null },
      });
      await this.publish(em, updated!, 'escrow.unfrozen', now, { resolution: o.resolution ?? null });
      return toEscrowView(updated!);
    });
  }

  /** Outgoing webhooks: the buyer, the seller and the broker hear of the escrow's moves. */
  private async publish(em: EntityManager, escrow: EscrowRow, type: string, at: Date, data: Record<string, unknown>): Promise<void> {
    await this.events.publish(em, {
      type,
      orgIds: [escrow.buyer_org_id, escrow.seller_org_id, ...(escrow.broker_org_id ? [escrow.broker_org_id] : [])],
      subject: { type: 'escrow', id: escrow.deal_id },
      data: { dealId: escrow.deal_id, status: escrow.status, fundingReference: escrow.funding_reference, ...data },
      occurredAt: at,
    });
  }

  private async post(dealId: string, operation: string, description: string, lines: LineInput[], actor: Actor | 'system'): Promise<bigint> {
    const entry = await this.ledger.post({ idempotencyKey: ledgerKey(dealId, operation), reference: `escrow:${dealId}`, description, lines, createdBy: actorName(actor) });
    // The operation row and the entry commit together: an entry without its row was posted by someone else.
    if (entry.replayed) throw new EscrowError('ESCROW.LEDGER_MISMATCH', `The ledger has entry ${entry.id} under ${ledgerKey(dealId, operation)} but the escrow has no record of it`);
    return entry.id;
  }

  private async find(em: EntityManager, dealId: string, forUpdate: boolean): Promise<EscrowRow | null> {
    const rows: EscrowRow[] = await em.query(`SELECT ${ESCROW_COLUMNS} FROM escrows WHERE deal_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [dealId]);
    return rows[0] ?? null;
  }

  private async lock(em: EntityManager, dealId: string): Promise<EscrowRow> {
    const row = await this.find(em, dealId, true);
    if (!row) throw notFound(dealId);
    return row;
  }

  private async operation(em: EntityManager, dealId: string, operation: string): Promise<OperationRow | null> {
    const rows: OperationRow[] = await em.query(`SELECT ${OPERATION_COLUMNS} FROM escrow_operations WHERE deal_id = $1 AND operation = $2`, [dealId, operation]);
    return rows[0] ?? null;
  }

  private async record(
    em: EntityManager,
    o: {
      dealId: string;
      operation: string;
      kind: OperationRow['kind'];
      source: string | null;
      externalId: string | null;
      amountMinor: bigint;
      toEscrowMinor: bigint;
      excessMinor: bigint;
      entryId: bigint | null;
      details: Record<string, string>;
      actor: Actor | 'system';
      at: Date;
    },
  ): Promise<OperationRow> {
    const [row]: OperationRow[] = await em.query(
      `INSERT INTO escrow_operations (deal_id, operation, kind, source, external_id, amount_minor, to_escrow_minor, excess_minor, entry_id, details, actor, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${OPERATION_COLUMNS}`,
      [o.dealId, o.operation, o.kind, o.source, o.externalId, o.amountMinor, o.toEscrowMinor, o.excessMinor, o.entryId, JSON.stringify(o.details), actorName(o.actor), o.at],
    );
    return row!;
  }
}

const show = (m: Money) => `${m.currency} ${m.amountMinor}`;
