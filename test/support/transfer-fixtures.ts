import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestApp } from './app.js';
import { type TestOrg, anOrg, bearer } from './identity-fixtures.js';
import { type TestBlock, type TestRir, aVerifiedBlock } from './inventory-fixtures.js';
import { aListing, aSaleBody } from './listings-fixtures.js';
import { waitFor } from './queues.js';
import { Sandbox, aHandle, anEmail } from './registry-fixtures.js';

/** An organisation's confirmed account (handle) at an RIR: the entity at the stand-in RIR and our confirmed claim of it. */
export async function aConfirmedHandle(t: TestApp, db: DataSource, org: TestOrg, rir: TestRir): Promise<string> {
  const handle = aHandle(rir);
  await new Sandbox(t).entity({ rir, handle, name: `${org.name} Ltd`, email: anEmail() });
  await db.query(
    `INSERT INTO registry_handle_claims (org_id, rir, handle, status, sent_to, code_hash, code_salt, code_expires_at, created_by, created_at, confirmed_at)
     VALUES ($1, $2, $3, 'confirmed', 'noc@example.net', NULL, $4, now(), 'test fixture', now(), now())`,
    [org.id, rir, handle, randomBytes(16)],
  );
  return handle;
}

export interface SaleListing {
  readonly seller: TestOrg;
  readonly sellerHandle: string;
  readonly block: TestBlock;
  readonly listing: Record<string, unknown> & { id: string };
}

/**
 * A verified block of a new seller, registered at the stand-in RIR under the seller's handle
 * (received `receivedAt`, default 2012), and an active sale listing of it.
 */
export async function aSaleListing(t: TestApp, db: DataSource, o: { rir?: TestRir; receivedAt?: string; askPerIp?: number } = {}): Promise<SaleListing> {
  const rir = o.rir ?? 'RIPE';
  const seller = await anOrg(t);
  const block = await aVerifiedBlock(db, { holderOrgId: seller.id, length: 24, rir });
  const sellerHandle = await aConfirmedHandle(t, db, seller, rir);
  await new Sandbox(t).resource({ prefix: block.prefix, rir, holderHandle: sellerHandle, holderName: `${seller.name} Ltd`, holderEmail: anEmail(), registeredAt: o.receivedAt ?? '2012-05-01T00:00:00Z' });
  const listing = await aListing(t, seller.apiKey, aSaleBody(block.id, { amountMinor: o.askPerIp ?? 5000, currency: 'USD' }));
  return { seller, sellerHandle, block, listing };
}

export function propose(t: TestApp, token: string, body: Record<string, unknown>, key: string = randomUUID()) {
  return t.http.post('/v1/transfers').set(bearer(token)).set('idempotency-key', key).send(body);
}

export interface TransferJson {
  id: string;
  stage: string;
  events: { stage: string; wait: string | null; risks: { risk: string; bearer: string; status: string; exposure: { amountMinor: number; currency: string } }[] }[];
  risks: { risk: string; bearer: string; status: string; exposure: { amountMinor: number; currency: string } }[];
  [k: string]: unknown;
}

export async function getTransfer(t: TestApp, token: string, id: string): Promise<TransferJson> {
  const res = await t.http.get(`/v1/transfers/${id}`).set(bearer(token));
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200 });
  return res.body;
}

/** Waits until the transfer is at one of `stages`. */
export async function transferReaches(t: TestApp, token: string, id: string, stages: string | string[], timeoutMs = 30_000): Promise<TransferJson> {
  const want = Array.isArray(stages) ? stages : [stages];
  let last: TransferJson | null = null;
  try {
    return await waitFor(
      `transfer ${id} to reach ${want.join(' or ')}`,
      async () => {
        last = await getTransfer(t, token, id);
        return want.includes(last.stage) ? last : null;
      },
      { timeoutMs, intervalMs: 50 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; it is ${last ? `${(last as TransferJson).stage}: ${JSON.stringify((last as TransferJson).events.map((e) => e.stage))}` : 'unknown'}`);
  }
}
