import { randomInt } from 'node:crypto';
import { expect } from '@jest/globals';
import type { TestApp } from './app.js';
import { type TestOrg, bearer } from './identity-fixtures.js';
import { waitFor } from './queues.js';
import { Sandbox, type SandboxEntity, aHandle, anEmail, codeIn, mailboxOf, waitForMail } from './registry-fixtures.js';

/**
 * An organisation that holds space at the sandbox registry and has proved it: the sandbox
 * lists `network` under a new handle, and the organisation claimed and confirmed that handle
 * through the mailed code (a worker must run to deliver the mail).
 */
export async function aConfirmedHolder(t: TestApp, org: TestOrg, network: string, rir = 'RIPE'): Promise<SandboxEntity> {
  const sandbox = new Sandbox(t);
  const entity: SandboxEntity = { rir, handle: aHandle(rir === 'RIPE' ? 'RIPE' : rir), name: `${org.name} Ltd`, email: anEmail() };
  await sandbox.resource({ prefix: network, rir, holderHandle: entity.handle, holderName: entity.name, holderEmail: entity.email, registeredAt: '2014-03-01T00:00:00Z' });
  const before = (await mailboxOf(t, entity.email)).length;
  const claim = await t.http.post('/v1/registry-handles').set(bearer(org.apiKey)).send({ rir, handle: entity.handle });
  expect({ status: claim.status, body: claim.body }).toMatchObject({ status: 201 });
  const [mail] = await waitForMail(t, entity.email, before + 1);
  const confirm = await t.http.post(`/v1/registry-handles/${claim.body.id}/confirm`).set(bearer(org.apiKey)).send({ code: codeIn(mail!) });
  expect({ status: confirm.status, body: confirm.body }).toMatchObject({ status: 200, body: { status: 'confirmed' } });
  return entity;
}

const FIRST_OCTETS = [31, 37, 46, 62, 77, 78, 79, 80, 81, 82];
const SLASH16_SLOTS = FIRST_OCTETS.length * 256;
let nextSlot = randomInt(SLASH16_SLOTS);

/**
 * A /16 'a.b' of public space that no other call in this test file gets: slots are handed out
 * in turn from a random start (random picks collided often enough to fail a run). Other test
 * files draw from other first octets.
 */
export function aSlash16(): string {
  const slot = nextSlot++ % SLASH16_SLOTS;
  return `${FIRST_OCTETS[Math.floor(slot / 256)]}.${slot % 256}`;
}

/** Waits (bounded) until the block leaves 'verifying'; returns the block as GET shows it. */
export async function verified(t: TestApp, org: TestOrg, blockId: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  return waitFor(
    `block ${blockId} to leave 'verifying'`,
    async () => {
      const res = await t.http.get(`/v1/blocks/${blockId}`).set(bearer(org.apiKey));
      expect(res.status).toBe(200);
      return res.body.status === 'verifying' ? undefined : (res.body as Record<string, unknown>);
    },
    { timeoutMs },
  );
}
