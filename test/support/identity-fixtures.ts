import { randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import type { Role } from '@app/identity';
import type { TestApp } from './app.js';

/** A name no other test (nor another run of this one) uses. */
export function uniqueName(prefix = 'org'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface TestOrg {
  readonly id: string;
  readonly name: string;
  /** The first admin key, shown once at creation. */
  readonly apiKey: string;
  readonly apiKeyId: string;
}

/** A member organisation, created by the platform admin through the API. */
export async function anOrg(t: TestApp, overrides: { name?: string } = {}): Promise<TestOrg> {
  const name = overrides.name ?? uniqueName();
  const res = await t.http.post('/v1/orgs').set(bearer(t.adminToken)).send({ name });
  expect(res.status).toBe(201);
  return { id: res.body.id, name: res.body.name, apiKey: res.body.apiKey, apiKeyId: res.body.apiKeyId };
}

export interface TestKey {
  readonly id: string;
  readonly orgId: string;
  readonly role: Role;
  readonly apiKey: string;
}

/** A key of `orgId` (any organisation, the platform's included), issued by the platform admin. */
export async function aKey(t: TestApp, orgId: string, role: Role, label = `${role} key`): Promise<TestKey> {
  const res = await t.http.post(`/v1/orgs/${orgId}/api-keys`).set(bearer(t.adminToken)).send({ role, label });
  expect(res.status).toBe(201);
  return { id: res.body.id, orgId: res.body.orgId, role: res.body.role, apiKey: res.body.apiKey };
}

/** The platform organisation's id (the platform admin token acts as its admin). */
export async function platformOrgId(t: TestApp): Promise<string> {
  const res = await t.http.get('/v1/me').set(bearer(t.adminToken));
  expect(res.status).toBe(200);
  return res.body.orgId;
}
