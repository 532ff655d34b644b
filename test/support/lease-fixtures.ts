import { randomUUID } from 'node:crypto';
import { expect } from '@jest/globals';
import type { Response } from 'supertest';
import type { DataSource } from 'typeorm';
import type { TestApp } from './app.js';
import { type TestOrg, anOrg, bearer } from './identity-fixtures.js';
import { type TestBlock, type TestRir, aVerifiedBlock } from './inventory-fixtures.js';
import { aLeaseBody, aListing } from './listings-fixtures.js';
import { waitFor } from './queues.js';
import { Sandbox, aHandle, anEmail } from './registry-fixtures.js';

/**
 * Space to lease: a verified block of a new holder organisation, declared at the sandbox
 * registry under a new handle (so that the lease's sub-assignment has a parent network),
 * and an active lease listing of it.
 */
export interface LeaseListing {
  readonly holder: TestOrg;
  readonly block: TestBlock;
  readonly listing: Record<string, unknown> & { id: string };
  readonly holderHandle: string;
}

export async function aLeaseListing(
  t: TestApp,
  db: DataSource,
  o: { length?: 22 | 23 | 24; unitPrefixLength?: number; rir?: TestRir; minTermMonths?: number; pricePerIpMonth?: number } = {},
): Promise<LeaseListing> {
  const holder = await anOrg(t);
  const rir = o.rir ?? 'RIPE';
  const block = await aVerifiedBlock(db, { holderOrgId: holder.id, length: o.length ?? 24, rir });
  const holderHandle = aHandle(rir);
  // The holder's allocation at the registry: the block's /22 fixture slot (no other fixture
  // gets it), so that a unit as large as a /24 block is still a sub-assignment of something.
  await new Sandbox(t).resource({ prefix: slotOf(block.prefix), rir, holderHandle, holderName: `${holder.name} Ltd`, holderEmail: anEmail(), registeredAt: '2012-05-01T00:00:00Z' });
  const listing = await aListing(
    t,
    holder.apiKey,
    aLeaseBody(block.id, {
      unitPrefixLength: o.unitPrefixLength ?? 24,
      minTermMonths: o.minTermMonths ?? 1,
      pricePerIpMonth: { amountMinor: o.pricePerIpMonth ?? 40, currency: 'USD' },
    }),
  );
  return { holder, block, listing, holderHandle };
}

function slotOf(prefix: string): string {
  const n = prefix.split('/')[0]!.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const slot = n - (n % 1024);
  return `${[slot >>> 24, (slot >>> 16) & 255, (slot >>> 8) & 255, 0].join('.')}/22`;
}

/** A valid POST /v1/leases body, with overrides (a key set to undefined is left out). */
export function aLeaseRequest(listingId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { listingId, lesseeAsn: 213415, termMonths: 12, autoRenew: true, noticeDays: 30, ...overrides };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body;
}

export function postLease(t: TestApp, token: string, body: Record<string, unknown>, key: string = randomUUID()): Promise<Response> {
  return t.http.post('/v1/leases').set(bearer(token)).set('idempotency-key', key).send(body);
}

/** Creates a lease through the API; returns the 201 body. */
export async function aLease(t: TestApp, token: string, body: Record<string, unknown>): Promise<Record<string, unknown> & { id: string; prefix: string }> {
  const res = await postLease(t, token, body);
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 201 });
  return res.body;
}

export interface RiskJson {
  risk: string;
  bearer: string;
  exposure: { amountMinor: number; currency: string };
  mitigation: string;
  status: string;
}

/** GET /v1/leases/{id} as the tests read it. */
export interface LeaseJson {
  id: string;
  status: string;
  prefix: string;
  startsAt: string;
  endsAt: string;
  noticeDeadline: string;
  termNumber: number;
  endedAt: string | null;
  endReason: string | null;
  failureReason: string | null;
  events: { seq: number; event: string; from: string | null; to: string; actor: Record<string, unknown>; evidence: Record<string, unknown>; risks: RiskJson[] }[];
  registryChanges: { phase: string; change: string; status: string; attempts: number; lastError: string | null }[];
  risks: RiskJson[];
  [field: string]: unknown;
}

export async function getLease(t: TestApp, token: string, id: string): Promise<LeaseJson> {
  const res = await t.http.get(`/v1/leases/${id}`).set(bearer(token));
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200 });
  return res.body;
}

/** Waits (bounded) until the lease has `status`; returns it as GET shows it. */
export async function leaseReaches(t: TestApp, token: string, id: string, status: string, timeoutMs = 20_000): Promise<LeaseJson> {
  let last = '';
  return waitFor(
    `lease ${id} to be ${status} (last seen ${last || 'nothing'})`,
    async () => {
      const lease = await getLease(t, token, id);
      last = lease.status;
      return lease.status === status ? lease : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Live commitments and leases of a block, straight from the tables (for "nothing stored" checks). */
export async function leaseRowsOf(db: DataSource, blockId: string): Promise<{ leases: number; commitments: number }> {
  const [l] = await db.query('SELECT count(*)::int AS n FROM leases WHERE block_id = $1', [blockId]);
  const [c] = await db.query('SELECT count(*)::int AS n FROM space_commitments WHERE block_id = $1 AND released_at IS NULL', [blockId]);
  return { leases: l.n, commitments: c.n };
}
