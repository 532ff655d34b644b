import type { Money } from '@app/money';
import type { RiskPlacement, RiskSnapshot } from '@app/risk';
import type { Rir } from '@app/registry';
import type { Stage, Wait } from './domain/index.js';

export const TRANSFER_COLUMNS = `id, listing_id, block_id, host(prefix) || '/' || masklen(prefix) AS prefix, seller_org_id, lister_org_id, buyer_org_id,
  broker_org_id, broker_fee_bps, platform_fee_bps, currency, price_per_ip_minor, price_minor, source_rir, destination_rir, stage,
  stage_entered_at, next_step_at, step_round, due_at, frozen_stage, seller_handle, buyer_handle, registry_ticket, commitment_id, policy,
  waiting_for, event_count, created_at, updated_at`;

export interface TransferRow {
  id: string;
  listing_id: string;
  block_id: string;
  prefix: string;
  seller_org_id: string;
  lister_org_id: string;
  buyer_org_id: string;
  broker_org_id: string | null;
  broker_fee_bps: number;
  platform_fee_bps: number;
  currency: string;
  price_per_ip_minor: bigint;
  price_minor: bigint;
  source_rir: Rir;
  destination_rir: Rir;
  stage: Stage;
  stage_entered_at: Date;
  next_step_at: Date | null;
  step_round: number;
  due_at: Date | null;
  frozen_stage: Stage | null;
  seller_handle: string | null;
  buyer_handle: string | null;
  registry_ticket: string | null;
  commitment_id: string | null;
  policy: Record<string, unknown> | null;
  waiting_for: string | null;
  event_count: number;
  created_at: Date;
  updated_at: Date;
}

export interface TransferEventRow {
  transfer_id: string;
  seq: number;
  stage: Stage;
  from_stage: Stage | null;
  wait: Wait | null;
  actor: string;
  at: Date;
  evidence: Record<string, unknown>;
  risks: RiskSnapshot;
}

export interface TransferEventView {
  readonly seq: number;
  readonly stage: Stage;
  readonly from: Stage | null;
  readonly wait: Wait | null;
  readonly at: string;
  readonly actor: string;
  readonly evidence: Record<string, unknown>;
  readonly matrixVersion: string;
  readonly risks: readonly RiskPlacement[];
}

export interface TransferView {
  readonly id: string;
  readonly stage: Stage;
  readonly listingId: string;
  readonly prefix: string;
  readonly sourceRir: Rir;
  readonly destinationRir: Rir;
  readonly sellerOrgId: string;
  readonly buyerOrgId: string;
  readonly brokerOrgId: string | null;
  readonly brokerFeeBps: number;
  readonly platformFeeBps: number;
  readonly pricePerIp: Money;
  /** The whole deal's price. */
  readonly price: Money;
  readonly stageEnteredAt: string;
  readonly dueAt: string | null;
  readonly waitingFor: string | null;
  readonly frozenStage: Stage | null;
  readonly registryTicket: string | null;
  readonly policy: Record<string, unknown> | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function toTransferView(r: TransferRow): TransferView {
  const money = (amountMinor: bigint): Money => ({ amountMinor, currency: r.currency });
  return {
    id: r.id,
    stage: r.stage,
    listingId: r.listing_id,
    prefix: r.prefix,
    sourceRir: r.source_rir,
    destinationRir: r.destination_rir,
    sellerOrgId: r.seller_org_id,
    buyerOrgId: r.buyer_org_id,
    brokerOrgId: r.broker_org_id,
    brokerFeeBps: r.broker_fee_bps,
    platformFeeBps: r.platform_fee_bps,
    pricePerIp: money(r.price_per_ip_minor),
    price: money(r.price_minor),
    stageEnteredAt: r.stage_entered_at.toISOString(),
    dueAt: r.due_at?.toISOString() ?? null,
    waitingFor: r.waiting_for,
    frozenStage: r.frozen_stage,
    registryTicket: r.registry_ticket,
    policy: r.policy,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function toEventView(e: TransferEventRow): TransferEventView {
  return {
    seq: e.seq,
    stage: e.stage,
    from: e.from_stage,
    wait: e.wait,
    at: e.at.toISOString(),
    actor: e.actor,
    evidence: e.evidence,
    matrixVersion: e.risks.matrixVersion,
    risks: e.risks.risks,
  };
}
