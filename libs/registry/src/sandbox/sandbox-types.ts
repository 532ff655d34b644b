import { type Prefix, parsePrefix } from '@app/ipam';
import { ProblemError } from '@app/platform';
import type { Rir } from '../domain/rir.js';
import type { TransferAnswer } from '../domain/transfer-script.js';
import type { SandboxEntityRow, SandboxNetworkRow } from './rdap-render.js';

/** The sandbox registry's inputs, views and database rows, and the mappings between them. */

/** RDAP "type" of a network the sandbox registers, by RIR, when none is given (each RIR's usual word for an allocation). */
export const DEFAULT_NETWORK_TYPE: Readonly<Record<Rir, string>> = {
  ARIN: 'DIRECT ALLOCATION',
  RIPE: 'ALLOCATED PA',
  APNIC: 'ALLOCATED PORTABLE',
  LACNIC: 'ALLOCATED',
  AFRINIC: 'ALLOCATED PA',
};

/** How a stand-in RIR answers transfer requests (domain/transfer-script.ts). */
export type TransferBehaviour = TransferAnswer;
/** How a stand-in RIR answers writes of ROAs, route objects and sub-assignments. */
export type ChangesBehaviour = 'apply' | 'reject' | 'unavailable';
export const CHANGES_BEHAVIOURS = ['apply', 'reject', 'unavailable'] as const satisfies readonly ChangesBehaviour[];
/** The longest scripted wait before a stand-in RIR answers a write (the column's CHECK). */
export const MAX_CHANGE_DELAY_MS = 60_000;

export interface SandboxEntityInput {
  readonly rir: Rir;
  readonly handle: string;
  readonly name: string;
  readonly email: string;
}

export interface SandboxResourceInput {
  readonly prefix: string;
  readonly rir: Rir;
  readonly holderHandle: string;
  /** Needed only when the holder's entity does not exist yet. */
  readonly holderName?: string;
  readonly holderEmail?: string;
  readonly registeredAt?: Date;
  /** When the holder received the network by a transfer (RDAP "transfer" event); kept when left out. */
  readonly transferredAt?: Date;
  readonly country?: string;
  readonly name?: string;
  readonly type?: string;
}

export interface SandboxBehaviourInput {
  readonly rir: Rir;
  readonly transfer?: TransferBehaviour;
  readonly delayMs?: number;
  readonly rdap?: 'up' | 'down';
  readonly changes?: ChangesBehaviour;
  readonly changeDelayMs?: number;
  /** null: back to the default, a calendar year. */
  readonly roaValidityDays?: number | null;
}

export interface SandboxEntityView {
  rir: Rir;
  handle: string;
  name: string;
  email: string;
  createdAt: string;
  updatedAt: string;
}

export interface SandboxResourceView {
  prefix: string;
  rir: Rir;
  handle: string;
  holderHandle: string;
  name: string;
  type: string;
  country: string;
  registeredAt: string;
  transferredAt: string | null;
  updatedAt: string;
  created: boolean;
}

export interface SandboxBehaviourView {
  rir: Rir;
  transfer: TransferBehaviour;
  delayMs: number;
  rdap: 'up' | 'down';
  changes: ChangesBehaviour;
  changeDelayMs: number;
  /** null: a calendar year. */
  roaValidityDays: number | null;
  updatedAt: string;
}

export interface EntityDbRow {
  handle: string;
  rir: Rir;
  name: string;
  email: string;
  created_at: Date;
  updated_at: Date;
}

export interface NetworkDbRow {
  prefix: string;
  rir: Rir;
  name: string;
  type: string;
  country: string;
  registered_at: Date;
  updated_at: Date;
  last_transferred_at: Date | null;
  holder_handle: string;
  holder_rir: Rir;
  holder_name: string;
  holder_email: string;
  holder_created_at: Date;
  holder_updated_at: Date;
  /** Set on a sub-assignment (both or neither). */
  customer_handle: string | null;
  customer_name: string | null;
  origin_asn: bigint | null;
}

export interface BehaviourDbRow {
  rir: Rir;
  transfer: TransferBehaviour;
  delay_ms: number;
  rdap: 'up' | 'down';
  changes: ChangesBehaviour;
  change_delay_ms: number;
  roa_validity_days: number | null;
  updated_at: Date;
}

/** A prefix from the API or the database; refusals carry the ipam code (CIDR.MALFORMED, CIDR.NOT_NETWORK_ADDRESS...). */
export function parsePrefixOrRefuse(text: string): Prefix {
  const parsed = parsePrefix(text);
  if (parsed.ok) return parsed.value;
  const { code, message, suggestion } = parsed.error;
  throw new ProblemError(422, code, 'Invalid prefix', message, [{ field: 'body.prefix', code, message }], suggestion ? { suggestion } : undefined);
}

export function toEntityRow(r: EntityDbRow): SandboxEntityRow {
  return { handle: r.handle, rir: r.rir, name: r.name, email: r.email, createdAt: r.created_at, updatedAt: r.updated_at };
}

export function toEntityView(r: EntityDbRow): SandboxEntityView {
  return { rir: r.rir, handle: r.handle, name: r.name, email: r.email, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() };
}

export function toNetworkRow(r: NetworkDbRow): SandboxNetworkRow {
  return {
    prefix: parsePrefixOrRefuse(r.prefix),
    rir: r.rir,
    name: r.name,
    type: r.type,
    country: r.country,
    registeredAt: r.registered_at,
    updatedAt: r.updated_at,
    transferredAt: r.last_transferred_at,
    holder: {
      handle: r.holder_handle,
      rir: r.holder_rir,
      name: r.holder_name,
      email: r.holder_email,
      createdAt: r.holder_created_at,
      updatedAt: r.holder_updated_at,
    },
    customer: r.customer_handle !== null && r.customer_name !== null ? { handle: r.customer_handle, name: r.customer_name } : null,
    originAsn: r.origin_asn === null ? null : Number(r.origin_asn),
  };
}

export function toBehaviourView(r: BehaviourDbRow): SandboxBehaviourView {
  return {
    rir: r.rir,
    transfer: r.transfer,
    delayMs: r.delay_ms,
    rdap: r.rdap,
    changes: r.changes,
    changeDelayMs: r.change_delay_ms,
    roaValidityDays: r.roa_validity_days,
    updatedAt: r.updated_at.toISOString(),
  };
}
