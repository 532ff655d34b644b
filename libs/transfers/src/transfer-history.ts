import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { actorName } from '@app/escrow';
import type { Actor } from '@app/identity';
import { APP_CONFIG, type AppConfig, Clock, DomainEvents, Outbox, ProblemError } from '@app/platform';
import type { RiskSnapshot } from '@app/risk';
import { type Actor as StageActor, type Stage, type Wait, dueHours, isTerminal, placementFor, transition } from './domain/index.js';
import { TRANSFER_COLUMNS, type TransferRow } from './transfer-rows.js';

/** Columns a move may change besides the stage. */
export interface TransferPatch {
  frozen_stage?: Stage | null;
  registry_ticket?: string;
  commitment_id?: string;
  policy?: Record<string, unknown>;
  seller_handle?: string;
  buyer_handle?: string;
}
const PATCHABLE = new Set<keyof TransferPatch>(['frozen_stage', 'registry_ticket', 'commitment_id', 'policy', 'seller_handle', 'buyer_handle']);

export interface Move {
  readonly to: Stage;
  /** Who asks: the party, the platform, or the worker (the transition table's `by`). */
  readonly by: StageActor;
  readonly actor: Actor | 'system';
  readonly wait?: Wait;
  readonly evidence?: Record<string, unknown>;
  readonly patch?: TransferPatch;
  /** When the worker should look again (default: now for a worker stage, none otherwise). */
  readonly nextStepAt?: Date | null;
  readonly waitingFor?: string | null;
}

/**
 * The job that advances a transfer; its id (`transfer:<id>:<stage>-<round>`: BullMQ takes ids
 * with exactly two colons) is new per (stage, round), so a poll is a new job and duplicates of
 * one round collapse.
 */
export const advanceJob = (transferId: string, stage: Stage, round: number, delayMs = 0) => ({
  job: 'transfers.advance' as const,
  data: { transferId, stage, round },
  jobId: `transfer:${transferId}:${stage}-${round}`,
  ...(delayMs > 0 ? { delayMs } : {}),
});

/**
 * Every stage change of a transfer goes through here, in the caller's transaction, on a row
 * the caller locked (FOR UPDATE): the pure transition table decides, the row moves, and an
 * event carrying the actor, the evidence and the risk placement the stage sets is appended
 * (a stage is reached at most once: the database refuses a second). When the worker has
 * work at the new stage, its job is written to the outbox in the same transaction.
 */
@Injectable()
export class TransferHistory {
  constructor(
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: DomainEvents,
  ) {}

  async move(em: EntityManager, row: TransferRow, m: Move): Promise<TransferRow> {
    const checked = transition(row.stage, m.to, m.by);
    if (!checked.ok) {
      throw new ProblemError(409, 'TRANSFER.ILLEGAL_TRANSITION', 'Not possible at this stage', checked.message, undefined, { stage: row.stage, to: m.to });
    }
    const now = await this.clock.now();
    const risks = await this.risksAt(em, row, m.to);
    const stageChanged = m.to !== row.stage;
    const hours = dueHours(m.to, { sourceRir: row.source_rir, destinationRir: row.destination_rir }, m.wait);
    // The documents wait is a setting (TRANSFER_DOCUMENTS_WAIT_MS; the table's 30 days by default).
    const dueMs = m.wait === 'documents_required' ? this.config.transferDocumentsWaitMs : hours === null ? null : hours * 3_600_000;
    const dueAt = stageChanged || m.wait ? (dueMs === null ? null : new Date(now.getTime() + dueMs)) : row.due_at;
    const nextStepAt = m.nextStepAt !== undefined ? m.nextStepAt : isTerminal(m.to) ? null : now;

    const sets = ['stage = $2', 'updated_at = $3', 'event_count = event_count + 1', 'due_at = $4', 'next_step_at = $5', 'waiting_for = $6', 'step_round = step_round + 1'];
    const params: unknown[] = [row.id, m.to, now, dueAt, nextStepAt, m.waitingFor ?? null];
    if (stageChanged) sets.push('stage_entered_at = $3');
    for (const [k, v] of Object.entries(m.patch ?? {}) as [keyof TransferPatch, unknown][]) {
      if (!PATCHABLE.has(k)) throw new Error(`transfers.${k} is not patchable`);
      params.push(k === 'policy' && v !== null ? JSON.stringify(v) : v);
      sets.push(`${k} = $${params.length}`);
    }
    const [[moved]]: [TransferRow[], number] = await em.query(`UPDATE transfers SET ${sets.join(', ')} WHERE id = $1 RETURNING ${TRANSFER_COLUMNS}`, params);
    await em.query(
      `INSERT INTO transfer_events (transfer_id, seq, stage, from_stage, wait, actor, at, evidence, risks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [row.id, moved!.event_count, m.to, row.stage === m.to && !m.wait ? null : row.stage, m.wait ?? null, actorName(m.actor), now, JSON.stringify(m.evidence ?? {}), JSON.stringify(risks)],
    );
    // Outgoing webhooks: every party hears of a stage reached (or a wait within one).
    await this.events.publish(em, {
      type: stageChanged ? 'transfer.stage_changed' : 'transfer.waiting',
      orgIds: [row.buyer_org_id, row.seller_org_id, row.lister_org_id, ...(row.broker_org_id ? [row.broker_org_id] : [])],
      subject: { type: 'transfer', id: row.id },
      data: { transferId: row.id, prefix: row.prefix, from: row.stage, stage: m.to, wait: m.wait ?? null, dueAt: dueAt?.toISOString() ?? null, actor: actorName(m.actor) },
      occurredAt: now,
    });
    if (nextStepAt !== null) {
      const delayMs = Math.max(0, nextStepAt.getTime() - now.getTime());
      await this.outbox.add(advanceJob(row.id, m.to, moved!.step_round, delayMs), em);
    }
    return moved!;
  }

  /** Queues the worker's next look at the transfer's stage (its row carries the time and the round). */
  async enqueue(em: EntityManager, row: TransferRow): Promise<void> {
    if (row.next_step_at === null) return;
    const delayMs = Math.max(0, row.next_step_at.getTime() - (await this.clock.now()).getTime());
    await this.outbox.add(advanceJob(row.id, row.stage, row.step_round, delayMs), em);
  }

  /** The first event of a transfer (proposed), written with its row. */
  async first(em: EntityManager, row: TransferRow, actor: Actor | 'system'): Promise<void> {
    const risks = await this.risksAt(em, row, row.stage);
    await em.query(
      `INSERT INTO transfer_events (transfer_id, seq, stage, from_stage, wait, actor, at, evidence, risks) VALUES ($1, 1, $2, NULL, NULL, $3, $4, '{}', $5)`,
      [row.id, row.stage, actorName(actor), row.created_at, JSON.stringify(risks)],
    );
    await em.query('UPDATE transfers SET event_count = 1 WHERE id = $1', [row.id]);
  }

  /** The placement the matrix gives the stage, for the deal's terms and what its escrow holds now. */
  async risksAt(em: EntityManager, row: TransferRow, stage: Stage): Promise<RiskSnapshot> {
    const [escrow]: { funded_minor: bigint }[] = await em.query('SELECT funded_minor FROM escrows WHERE deal_id = $1', [row.id]);
    return placementFor(stage, {
      price: { amountMinor: row.price_minor, currency: row.currency },
      brokerFeeBps: row.broker_fee_bps,
      platformFeeBps: row.platform_fee_bps,
      hasBroker: row.broker_org_id !== null,
      interRir: row.source_rir !== row.destination_rir,
      provider: this.config.paymentsProvider,
      fundedMinor: escrow?.funded_minor ?? 0n,
    });
  }
}
