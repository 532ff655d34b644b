import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EscrowService, PayoutService, releaseSplit } from '@app/escrow';
import { parsePrefixOrThrow } from '@app/ipam';
import { APP_CONFIG, type AppConfig, Clock, Outbox, Transactions } from '@app/platform';
import { RdapClient, RegistryGateways, receiptDate, registrantHandles, registrationDate } from '@app/registry';
import { type Stage, evaluatePolicy } from './domain/index.js';
import { type Move, TransferHistory, advanceJob } from './transfer-history.js';
import { TRANSFER_COLUMNS, type TransferRow } from './transfer-rows.js';
import { TransfersService } from './transfers.service.js';

export interface AdvanceJob {
  readonly transferId: string;
  readonly stage: Stage;
  readonly round: number;
}


/**
 * The transfer pipeline's steps (job `transfers.advance`, one stage per job). Each step locks
 * the transfer, checks that it is still at the stage the job was for and that its step is
 * due, does its side effect idempotently (keyed by the transfer: the escrow's operations,
 * the registry request's reference, the payouts' keys), and records the new stage with its
 * event and risk placement in the same transaction; the next job goes through the outbox.
 * A duplicate or stale job finds the stage moved on and does nothing.
 */
@Injectable()
export class TransferSteps {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly history: TransferHistory,
    private readonly transfers: TransfersService,
    private readonly escrows: EscrowService,
    private readonly payouts: PayoutService,
    private readonly gateways: RegistryGateways,
    private readonly rdap: RdapClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** How soon the worker looks again at a stage that waits on something outside (funding, the RIR, RDAP, payouts). */
  private get pollMs(): number {
    return this.config.transfersReconcileIntervalMs;
  }

  async advance(job: AdvanceJob): Promise<string> {
    return this.tx.tx(async (em) => {
      const [row]: TransferRow[] = await em.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = $1 FOR UPDATE`, [job.transferId]);
      if (!row) return 'unknown_transfer';
      if (row.stage !== job.stage) return `stale: the transfer is ${row.stage}`;
      const now = await this.clock.now();
      if (row.next_step_at === null || row.next_step_at > now) return 'not_due';
      return this.step(em, row, now);
    });
  }

  /** Queues every transfer whose next step is due (the reconciler): a lost job, or a Redis emptied, only delays the pipeline. */
  async requeueDue(limit = 1000): Promise<number> {
    const now = await this.clock.now();
    const rows: { id: string; stage: Stage; step_round: number }[] = await this.tx
      .manager()
      .query('SELECT id, stage, step_round FROM transfers WHERE next_step_at <= $1 ORDER BY next_step_at LIMIT $2', [now, limit]);
    if (rows.length === 0) return 0;
    // A job id of its own per reconciliation round: a job of the row's round that failed for good must not block this one.
    const round = Math.floor(now.getTime() / this.pollMs);
    await this.tx.tx((em) =>
      this.outbox.addAll(rows.map((r) => ({ ...advanceJob(r.id, r.stage, r.step_round), jobId: `transfer:${r.id}:${r.stage}-${r.step_round}-r${round}` })), em),
    );
    return rows.length;
  }

  private async step(em: EntityManager, row: TransferRow, now: Date): Promise<string> {
    const move = async (m: Omit<Move, 'by' | 'actor'> & { by?: Move['by'] }) => this.history.move(em, row, { by: 'worker', actor: 'system', ...m });
    switch (row.stage) {
      case 'agreed':
        return this.policyCheck(em, row, now);
      case 'policy_checked': {
        await this.escrows.open({
          dealId: row.id,
          buyerOrgId: row.buyer_org_id,
          sellerOrgId: row.seller_org_id,
          brokerOrgId: row.broker_org_id,
          price: { amountMinor: row.price_minor, currency: row.currency },
          brokerFeeBps: row.broker_fee_bps,
          platformFeeBps: row.platform_fee_bps,
        });
        await move({ to: 'awaiting_funds', nextStepAt: this.later(now) });
        return 'awaiting_funds';
      }
      case 'awaiting_funds': {
        const escrow = await this.escrows.get(row.id);
        if (escrow.status !== 'funded') return this.again(em, row, now, 'funding not complete');
        await move({ to: 'funded', by: 'platform', evidence: { funded: escrow.funded.amountMinor.toString() } });
        return 'funded';
      }
      case 'funded': {
        const fromHandle = row.seller_handle ?? (await this.registrant(row.prefix))[0] ?? 'UNKNOWN';
        const submitted = await this.gateways.gatewayFor(row.source_rir).submitTransfer({
          reference: row.id,
          prefix: row.prefix,
          sourceRir: row.source_rir,
          destinationRir: row.destination_rir,
          fromHandle,
          toHandle: row.buyer_handle!,
        });
        if (submitted.kind === 'rejected') {
          const at = await move({ to: 'registry_submitted', evidence: { rejectedOnReceipt: submitted.reason, ...submitted.evidence } });
          await this.history.move(em, at, { to: 'registry_rejected', by: 'worker', actor: 'system', evidence: { reason: submitted.reason } });
          return 'registry_rejected';
        }
        await move({ to: 'registry_submitted', patch: { registry_ticket: submitted.ticket }, evidence: submitted.evidence, nextStepAt: this.later(now) });
        return 'registry_submitted';
      }
      case 'registry_submitted':
      case 'registry_approved': {
        const status = await this.gateways.gatewayFor(row.source_rir).transferStatus(row.registry_ticket!);
        if (status.status === 'rejected') {
          await move({ to: 'registry_rejected', evidence: { reason: status.reason ?? null, ...status.evidence } });
          return 'registry_rejected';
        }
        if (status.status === 'info_requested' && row.stage === 'registry_submitted') {
          if (row.waiting_for !== null) return this.again(em, row, now, 'the registry waits for information');
          await move({ to: 'registry_submitted', wait: 'registry_info_requested', waitingFor: status.reason ?? 'the registry asks for information', evidence: status.evidence, nextStepAt: this.later(now) });
          return 'registry_info_requested';
        }
        if (status.status === 'pending' || status.status === 'info_requested') return this.again(em, row, now, `registry ${status.status}`);
        let at = row;
        if (row.stage === 'registry_submitted') {
          at = await move({ to: 'registry_approved', evidence: status.evidence, nextStepAt: status.status === 'completed' ? now : this.later(now) });
          if (status.status === 'approved') return 'registry_approved';
        }
        if (status.status !== 'completed') return this.again(em, row, now, 'approved, not yet recorded');
        await this.history.move(em, at, { to: 'registry_completed', by: 'worker', actor: 'system', evidence: status.evidence });
        return 'registry_completed';
      }
      case 'registry_completed': {
        const handles = await this.registrant(row.prefix);
        const buyer = row.buyer_handle!.toUpperCase();
        if (!handles.map((h) => h.toUpperCase()).includes(buyer)) return this.again(em, row, now, `RDAP names ${handles.join(', ') || 'nobody'}, not ${buyer}`);
        await move({ to: 'verified', evidence: { rdapRegistrants: handles } });
        return 'verified';
      }
      case 'verified': {
        await this.escrows.release(row.id);
        await this.payOut(row);
        await move({ to: 'released', nextStepAt: now });
        return 'released';
      }
      case 'released': {
        await this.payOut(row);
        if (!(await this.paid(em, row.id))) return this.again(em, row, now, 'payouts not yet paid');
        await this.transfers.releaseSpace(em, row);
        await em.query(`UPDATE blocks SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL`, [row.block_id, now]);
        await em.query(`UPDATE listings SET status = 'closed', ended_at = $2, updated_at = $2, end_reason = 'sold' WHERE id = $1 AND status IN ('active', 'paused')`, [row.listing_id, now]);
        await move({ to: 'completed', evidence: { blockRemovedFromSeller: row.block_id } });
        return 'completed';
      }
      case 'registry_rejected': {
        await this.escrows.refund(row.id);
        await move({ to: 'refunding', nextStepAt: now });
        return 'refunding';
      }
      case 'refunding': {
        const settled = await this.escrows.refund(row.id);
        const amount = settled.amount.amountMinor + (await this.escrows.get(row.id)).excess.amountMinor;
        if (amount > 0n) {
          await this.payouts.payout({ orgId: row.buyer_org_id, amount: { amountMinor: amount, currency: row.currency }, key: `transfer:${row.id}:refund`, dealId: row.id });
          if (!(await this.paid(em, row.id))) return this.again(em, row, now, 'refund not yet paid');
        }
        await this.transfers.releaseSpace(em, row);
        await move({ to: 'refunded', evidence: { refunded: amount.toString() } });
        return 'refunded';
      }
      default:
        return `nothing to do at ${row.stage}`;
    }
  }

  /** The RIR policy check, with the registration dates from RDAP and the buyer's documents. */
  private async policyCheck(em: EntityManager, row: TransferRow, now: Date): Promise<string> {
    const network = await this.rdap.ipNetwork(row.prefix);
    const docs: { kind: 'needs_justification' | 'pre_approval'; rir: TransferRow['source_rir']; approved_size: number; issued_at: Date; expires_at: Date | null }[] = await em.query(
      'SELECT kind, rir, approved_size, issued_at, expires_at FROM transfer_documents WHERE transfer_id = $1',
      [row.id],
    );
    const outcome = evaluatePolicy({
      prefix: row.prefix,
      prefixLength: parsePrefixOrThrow(row.prefix).length,
      sourceRir: row.source_rir,
      destinationRir: row.destination_rir,
      blockReceivedAt: receiptDate(network),
      delegatedAt: registrationDate(network),
      now,
      documents: docs.map((d) => ({ kind: d.kind, rir: d.rir, approvedSize: d.approved_size, issuedAt: d.issued_at, expiresAt: d.expires_at })),
    });
    const policy = outcome as unknown as Record<string, unknown>;
    const base = { by: 'worker' as const, actor: 'system' as const, patch: { policy } };
    if (outcome.result === 'pass') {
      await this.history.move(em, row, { ...base, to: 'policy_checked', evidence: { policy } });
      return 'policy_checked';
    }
    const waitedTooLong = row.waiting_for !== null && row.due_at !== null && row.due_at <= now;
    if (outcome.result === 'fail' || waitedTooLong) {
      await this.transfers.releaseSpace(em, row);
      await this.history.move(em, row, { ...base, to: 'policy_failed', evidence: { policy, ...(waitedTooLong ? { documentsWaitedMs: this.config.transferDocumentsWaitMs, waitingFor: row.waiting_for } : {}) } });
      return 'policy_failed';
    }
    const waitingFor = `documents: ${outcome.required.map((r) => `${r.kind} from ${r.rir}`).join(', ')}`.slice(0, 500);
    if (row.waiting_for === waitingFor) {
      // Already asked for exactly these: wait for an attachment (or the wait's due time).
      await em.query('UPDATE transfers SET next_step_at = due_at, step_round = step_round + 1 WHERE id = $1', [row.id]);
      return 'documents still required';
    }
    await this.history.move(em, row, { ...base, to: 'agreed', wait: 'documents_required', waitingFor, evidence: { policy }, nextStepAt: null });
    // Look again when the wait is due (to fail it), unless a document comes first.
    await em.query('UPDATE transfers SET next_step_at = due_at WHERE id = $1', [row.id]);
    return 'documents_required';
  }

  /** The payouts of a release: the seller's proceeds and the broker's commission (the platform's fee stays in its fees account). */
  private async payOut(row: TransferRow): Promise<void> {
    const split = releaseSplit({ amountMinor: row.price_minor, currency: row.currency }, { brokerFeeBps: row.broker_fee_bps, platformFeeBps: row.platform_fee_bps });
    if (split.seller.amountMinor > 0n) await this.payouts.payout({ orgId: row.seller_org_id, amount: split.seller, key: `transfer:${row.id}:seller`, dealId: row.id });
    if (row.broker_org_id && split.broker.amountMinor > 0n) {
      await this.payouts.payout({ orgId: row.broker_org_id, amount: split.broker, key: `transfer:${row.id}:broker`, from: 'commission', dealId: row.id });
    }
  }

  /** Whether every payout of the transfer is paid (none pending). */
  private async paid(em: EntityManager, id: string): Promise<boolean> {
    const [r]: { pending: number }[] = await em.query(
      `SELECT count(*) FILTER (WHERE status <> 'confirmed')::int AS pending FROM payout_instructions WHERE idempotency_key LIKE $1`,
      [`transfer:${id}:%`],
    );
    return r!.pending === 0;
  }

  private async registrant(prefix: string): Promise<string[]> {
    return registrantHandles(await this.rdap.ipNetwork(prefix));
  }

  private later(now: Date): Date {
    return new Date(now.getTime() + this.pollMs);
  }

  /** Nothing new: look again later (no event; a new round, so the job is new). */
  private async again(em: EntityManager, row: TransferRow, now: Date, why: string): Promise<string> {
    const [[next]]: [TransferRow[], number] = await em.query(
      `UPDATE transfers SET next_step_at = $2, step_round = step_round + 1 WHERE id = $1 RETURNING ${TRANSFER_COLUMNS}`,
      [row.id, this.later(now)],
    );
    await this.history.enqueue(em, next!);
    return `waiting: ${why}`;
  }
}
