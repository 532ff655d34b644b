import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditLog, type AuditView, type Role, auditHash } from '@app/identity';
import { encodeCursor } from '@app/platform';
import type supertest from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { type TestKey, type TestOrg, aKey, anOrg, bearer, platformOrgId, uniqueName } from './support/identity-fixtures.js';

type Response = supertest.Response;

/**
 * API.md "Identity" and "Conventions", end to end through the real app (Fastify, PostgreSQL,
 * Redis). The database is shared with the other test files of the run: every test makes its
 * own organisations and never assumes a table is empty.
 */

const PROBLEM_JSON = /^application\/problem\+json/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const API_KEY = /^ipv4m_[A-Za-z0-9_-]{43}$/;

function expectProblem(res: Response, status: number, code: string): void {
  expect({ status: res.status, contentType: res.headers['content-type'], code: res.body.code }).toEqual({
    status,
    contentType: expect.stringMatching(PROBLEM_JSON),
    code,
  });
  expect(res.body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) });
}

function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  const { requestId: _requestId, ...rest } = body;
  return rest;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

// Every kind of caller: the five roles of a member organisation, the platform admin token,
// and keys of the platform organisation (admin and non-admin).
const CALLERS = [
  'member admin',
  'member trader',
  'member finance',
  'member ops',
  'member viewer',
  'platform admin token',
  'platform admin key',
  'platform finance key',
  'platform viewer key',
] as const;
type Caller = (typeof CALLERS)[number];
const PLATFORM_ADMINS: readonly Caller[] = ['platform admin token', 'platform admin key'];
const ADMINS: readonly Caller[] = ['member admin', ...PLATFORM_ADMINS];

const ENDPOINTS = [
  'GET /v1/orgs',
  'POST /v1/orgs',
  'GET /v1/orgs/:id',
  'POST /v1/orgs/:id/api-keys',
  'GET /v1/orgs/:id/api-keys',
  'POST /v1/api-keys',
  'GET /v1/api-keys',
  'DELETE /v1/api-keys/:id',
  'GET /v1/me',
  'GET /v1/audit',
] as const;
type Endpoint = (typeof ENDPOINTS)[number];

/** Who may call what (API.md "Identity"), and the success status. */
const RULES: Record<Endpoint, { ok: number; allowed: readonly Caller[] }> = {
  'GET /v1/orgs': { ok: 200, allowed: PLATFORM_ADMINS },
  'POST /v1/orgs': { ok: 201, allowed: PLATFORM_ADMINS },
  'GET /v1/orgs/:id': { ok: 200, allowed: CALLERS },
  'POST /v1/orgs/:id/api-keys': { ok: 201, allowed: PLATFORM_ADMINS },
  'GET /v1/orgs/:id/api-keys': { ok: 200, allowed: ADMINS },
  'POST /v1/api-keys': { ok: 201, allowed: ADMINS },
  'GET /v1/api-keys': { ok: 200, allowed: ADMINS },
  'DELETE /v1/api-keys/:id': { ok: 204, allowed: ADMINS },
  'GET /v1/me': { ok: 200, allowed: CALLERS },
  'GET /v1/audit': { ok: 200, allowed: ADMINS },
};

const MATRIX = ENDPOINTS.flatMap((endpoint) =>
  CALLERS.map((caller) => [endpoint, caller, RULES[endpoint].allowed.includes(caller) ? RULES[endpoint].ok : 403] as const),
);

describe('identity (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let platformId: string;
  /** The member organisation whose keys play the member roles. */
  let member: TestOrg;
  /** Another member organisation, to act on rows that are not the caller's. */
  let other: TestOrg;
  const keys = new Map<Caller, TestKey>();

  const tokenOf = (c: Caller): string => (c === 'platform admin token' ? t.adminToken : keys.get(c)!.apiKey);
  const orgOf = (c: Caller): string => (c.startsWith('member') ? member.id : platformId);
  const roleOf = (c: Caller): Role => (c === 'platform admin token' ? 'admin' : keys.get(c)!.role);

  async function counts(): Promise<{ orgs: number; keys: number; audit: number }> {
    const [row] = await db.query(
      `SELECT (SELECT count(*) FROM organisations)::int AS orgs,
              (SELECT count(*) FROM api_keys)::int AS keys,
              (SELECT count(*) FROM audit_log)::int AS audit`,
    );
    return row;
  }

  /** Whether a key authenticates (200) or not (401). */
  async function meStatus(apiKey: string): Promise<number> {
    return (await t.http.get('/v1/me').set(bearer(apiKey))).status;
  }

  beforeAll(async () => {
    t = await startApi();
    db = t.app.get(DataSource);
    platformId = await platformOrgId(t);
    member = await anOrg(t);
    other = await anOrg(t);
    keys.set('member admin', { id: member.apiKeyId, orgId: member.id, role: 'admin', apiKey: member.apiKey });
    for (const role of ['trader', 'finance', 'ops', 'viewer'] as const) keys.set(`member ${role}`, await aKey(t, member.id, role));
    for (const role of ['admin', 'finance', 'viewer'] as const) keys.set(`platform ${role} key`, await aKey(t, platformId, role));
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('roles: every endpoint with every kind of caller', () => {
    /** Calls the endpoint as `caller`; `check` then verifies the effect (or its absence). */
    async function act(endpoint: Endpoint, caller: Caller): Promise<{ res: Response; check(allowed: boolean): Promise<void> }> {
      const auth = bearer(tokenOf(caller));
      switch (endpoint) {
        case 'GET /v1/orgs': {
          const res = await t.http.get('/v1/orgs').set(auth);
          return {
            res,
            check: async (allowed) => {
              if (!allowed) return;
              expect(res.body.nextCursor === null || typeof res.body.nextCursor === 'string').toBe(true);
              expect(res.body.data.length).toBeGreaterThan(0);
              for (const org of res.body.data) {
                expect(org).toEqual({ id: expect.stringMatching(UUID), name: expect.any(String), kind: expect.stringMatching(/^(platform|member)$/), createdAt: expect.any(String) });
              }
            },
          };
        }
        case 'POST /v1/orgs': {
          const name = uniqueName('matrix');
          const res = await t.http.post('/v1/orgs').set(auth).send({ name });
          return {
            res,
            check: async (allowed) => {
              const stored: { id: string }[] = await db.query('SELECT id FROM organisations WHERE name = $1', [name]);
              if (!allowed) return expect(stored).toEqual([]);
              expect(res.body).toEqual({ id: stored[0]!.id, name, createdAt: expect.any(String), apiKey: expect.stringMatching(API_KEY), apiKeyId: expect.stringMatching(UUID) });
              const me = await t.http.get('/v1/me').set(bearer(res.body.apiKey));
              expect(me.body).toMatchObject({ orgId: res.body.id, role: 'admin', keyId: res.body.apiKeyId, platform: false });
            },
          };
        }
        case 'GET /v1/orgs/:id': {
          const res = await t.http.get(`/v1/orgs/${member.id}`).set(auth);
          return {
            res,
            check: async (allowed) => {
              if (allowed) expect(res.body).toEqual({ id: member.id, name: member.name, kind: 'member', createdAt: expect.any(String) });
            },
          };
        }
        case 'POST /v1/orgs/:id/api-keys': {
          const label = uniqueName('label');
          const res = await t.http.post(`/v1/orgs/${member.id}/api-keys`).set(auth).send({ role: 'viewer', label });
          return {
            res,
            check: async (allowed) => {
              const stored: { id: string; org_id: string }[] = await db.query('SELECT id, org_id FROM api_keys WHERE label = $1', [label]);
              if (!allowed) return expect(stored).toEqual([]);
              expect(stored).toEqual([{ id: res.body.id, org_id: member.id }]);
              expect(res.body).toMatchObject({ id: stored[0]!.id, orgId: member.id, role: 'viewer', label, apiKey: expect.stringMatching(API_KEY), revokedAt: null });
              expect(await meStatus(res.body.apiKey)).toBe(200);
            },
          };
        }
        case 'GET /v1/orgs/:id/api-keys': {
          const res = await t.http.get(`/v1/orgs/${member.id}/api-keys?limit=500`).set(auth);
          return {
            res,
            check: async (allowed) => {
              if (!allowed) return;
              const ids = res.body.data.map((k: { id: string }) => k.id);
              expect(ids).toContain(member.apiKeyId);
              for (const k of res.body.data) expect(k.orgId).toBe(member.id);
            },
          };
        }
        case 'POST /v1/api-keys': {
          const label = uniqueName('label');
          const res = await t.http.post('/v1/api-keys').set(auth).send({ role: 'viewer', label });
          return {
            res,
            check: async (allowed) => {
              const stored: { id: string; org_id: string }[] = await db.query('SELECT id, org_id FROM api_keys WHERE label = $1', [label]);
              if (!allowed) return expect(stored).toEqual([]);
              // Always in the caller's own organisation.
              expect(stored).toEqual([{ id: res.body.id, org_id: orgOf(caller) }]);
              expect(res.body).toMatchObject({ orgId: orgOf(caller), role: 'viewer', label, apiKey: expect.stringMatching(API_KEY) });
            },
          };
        }
        case 'GET /v1/api-keys': {
          const res = await t.http.get('/v1/api-keys?limit=500').set(auth);
          return {
            res,
            check: async (allowed) => {
              if (!allowed) return;
              expect(res.body.data.length).toBeGreaterThan(0);
              for (const k of res.body.data) expect(k.orgId).toBe(orgOf(caller));
            },
          };
        }
        case 'DELETE /v1/api-keys/:id': {
          const target = await aKey(t, member.id, 'viewer');
          const res = await t.http.delete(`/v1/api-keys/${target.id}`).set(auth);
          return {
            res,
            check: async (allowed) => {
              expect(await meStatus(target.apiKey)).toBe(allowed ? 401 : 200);
              if (allowed) expect(res.text).toBe('');
            },
          };
        }
        case 'GET /v1/me': {
          const res = await t.http.get('/v1/me').set(auth);
          return {
            res,
            check: async (allowed) => {
              if (!allowed) return;
              expect(res.body).toEqual({
                orgId: orgOf(caller),
                role: roleOf(caller),
                keyId: caller === 'platform admin token' ? null : keys.get(caller)!.id,
                platform: caller.startsWith('platform'),
              });
            },
          };
        }
        case 'GET /v1/audit': {
          const res = await t.http.get('/v1/audit?limit=500').set(auth);
          return {
            res,
            check: async (allowed) => {
              if (!allowed) return;
              expect(res.body.data.length).toBeGreaterThan(0);
              if (caller === 'member admin') for (const row of res.body.data) expect(row.orgId).toBe(member.id);
            },
          };
        }
      }
    }

    it.each(MATRIX)('%s by the %s answers %i', async (endpoint, caller, expected) => {
      const { res, check } = await act(endpoint, caller);
      if (expected === 403) {
        expectProblem(res, 403, 'AUTH.FORBIDDEN');
      } else {
        expect(res.status).toBe(expected);
        if (expected !== 204) expect(res.headers['content-type']).toMatch(/^application\/json/);
      }
      await check(expected !== 403);
    });
  });

  describe('authentication', () => {
    let revokedKey: TestKey;
    beforeAll(async () => {
      revokedKey = await aKey(t, member.id, 'admin');
      const res = await t.http.delete(`/v1/api-keys/${revokedKey.id}`).set(bearer(t.adminToken));
      expect(res.status).toBe(204);
    });

    const CREDENTIALS: readonly [string, (() => string) | null][] = [
      ['no Authorization header', null],
      ['an empty bearer token', () => 'Bearer '],
      ['a garbage bearer token', () => 'Bearer not-a-key'],
      ['a well-formed key that was never issued', () => `Bearer ipv4m_${'A'.repeat(43)}`],
      ['the admin token as Basic auth', () => `Basic ${Buffer.from(`admin:${t.adminToken}`).toString('base64')}`],
      ['a key as Basic auth', () => `Basic ${member.apiKey}`],
      ['the admin token with a suffix', () => `Bearer ${t.adminToken}x`],
      ['a revoked key', () => `Bearer ${revokedKey.apiKey}`],
    ];
    const CASES = ENDPOINTS.flatMap((endpoint) => CREDENTIALS.map(([what, header]) => [endpoint, what, header] as const));

    it.each(CASES)('%s with %s answers 401', async (endpoint, _what, header) => {
      const before = await counts();
      const [method, template] = endpoint.split(' ') as [string, string];
      const path = template.replace(':id', template.startsWith('/v1/orgs') ? member.id : member.apiKeyId);
      let req = method === 'GET' ? t.http.get(path) : method === 'POST' ? t.http.post(path) : t.http.delete(path);
      if (header) req = req.set('authorization', header());
      const res = method === 'POST' ? await req.send(endpoint === 'POST /v1/orgs' ? { name: uniqueName() } : { role: 'admin' }) : await req;
      expectProblem(res, 401, 'AUTH.UNAUTHENTICATED');
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(await counts()).toEqual(before);
      expect(await meStatus(member.apiKey)).toBe(200);
    });
  });

  describe('revocation', () => {
    it('is immediate, idempotent, audited once, and listed with its time', async () => {
      const org = await anOrg(t);
      const victim = (await t.http.post('/v1/api-keys').set(bearer(org.apiKey)).send({ role: 'trader', label: 'to revoke' })).body;
      expect(await meStatus(victim.apiKey)).toBe(200);

      const first = await t.http.delete(`/v1/api-keys/${victim.id}`).set(bearer(org.apiKey));
      expect(first.status).toBe(204);
      const refused = await t.http.get('/v1/me').set(bearer(victim.apiKey));
      expectProblem(refused, 401, 'AUTH.UNAUTHENTICATED');
      expect(refused.headers['www-authenticate']).toBe('Bearer');

      const again = await t.http.delete(`/v1/api-keys/${victim.id}`).set(bearer(org.apiKey));
      expect(again.status).toBe(204);
      const byPlatform = await t.http.delete(`/v1/api-keys/${victim.id}`).set(bearer(t.adminToken));
      expect(byPlatform.status).toBe(204);

      const listed = await t.http.get('/v1/api-keys').set(bearer(org.apiKey));
      const row = listed.body.data.find((k: { id: string }) => k.id === victim.id);
      expect(row).toMatchObject({ id: victim.id, role: 'trader', revokedAt: expect.any(String) });
      expect(Date.parse(row.revokedAt)).toBeGreaterThanOrEqual(Date.parse(row.createdAt));
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'api_key.revoked' AND subject_id = $1`, [victim.id]);
      expect(n).toBe(1);
    });

    it('lets an admin revoke its own key, after which that key is refused', async () => {
      const org = await anOrg(t);
      const res = await t.http.delete(`/v1/api-keys/${org.apiKeyId}`).set(bearer(org.apiKey));
      expect(res.status).toBe(204);
      const after = await t.http.get('/v1/api-keys').set(bearer(org.apiKey));
      expectProblem(after, 401, 'AUTH.UNAUTHENTICATED');
      expect(after.headers['www-authenticate']).toBe('Bearer');
    });
  });

  describe("another organisation's rows", () => {
    /** Same answer for a row of another organisation as for an id that names nothing. */
    async function expectSameAsNonexistent(existing: Response, nonexistent: Response, code: string): Promise<void> {
      expectProblem(existing, 404, code);
      expectProblem(nonexistent, 404, code);
      expect(existing.headers['content-type']).toBe(nonexistent.headers['content-type']);
      expect(withoutRequestId(existing.body)).toEqual(withoutRequestId(nonexistent.body));
      expect(Object.keys(existing.body).sort()).toEqual(Object.keys(nonexistent.body).sort());
    }

    it.each(['admin', 'viewer'] as const)('GET /v1/orgs/:otherId by a member %s: 404 as for a nonexistent id', async (role) => {
      const token = role === 'admin' ? other.apiKey : (await aKey(t, other.id, role)).apiKey;
      const existing = await t.http.get(`/v1/orgs/${member.id}`).set(bearer(token));
      const nonexistent = await t.http.get(`/v1/orgs/${randomUUID()}`).set(bearer(token));
      await expectSameAsNonexistent(existing, nonexistent, 'ORG.NOT_FOUND');
      const platform = await t.http.get(`/v1/orgs/${platformId}`).set(bearer(token));
      await expectSameAsNonexistent(platform, nonexistent, 'ORG.NOT_FOUND');
    });

    it("GET /v1/orgs/:otherId/api-keys by another org's admin: 404 as for a nonexistent id", async () => {
      const existing = await t.http.get(`/v1/orgs/${member.id}/api-keys`).set(bearer(other.apiKey));
      const nonexistent = await t.http.get(`/v1/orgs/${randomUUID()}/api-keys`).set(bearer(other.apiKey));
      await expectSameAsNonexistent(existing, nonexistent, 'ORG.NOT_FOUND');
      expect(existing.text).not.toContain(member.apiKeyId);
    });

    it("DELETE another org's key: 404 as for a nonexistent id, and the key still works", async () => {
      const victim = await aKey(t, member.id, 'viewer');
      const before = await counts();
      const existing = await t.http.delete(`/v1/api-keys/${victim.id}`).set(bearer(other.apiKey));
      const nonexistent = await t.http.delete(`/v1/api-keys/${randomUUID()}`).set(bearer(other.apiKey));
      await expectSameAsNonexistent(existing, nonexistent, 'API_KEY.NOT_FOUND');
      expect(await counts()).toEqual(before);
      expect(await meStatus(victim.apiKey)).toBe(200);
      const [{ revoked_at }] = await db.query('SELECT revoked_at FROM api_keys WHERE id = $1', [victim.id]);
      expect(revoked_at).toBeNull();
    });

    it("a member admin cannot revoke the platform's keys either", async () => {
      const platformKey = await aKey(t, platformId, 'viewer');
      const res = await t.http.delete(`/v1/api-keys/${platformKey.id}`).set(bearer(member.apiKey));
      expectProblem(res, 404, 'API_KEY.NOT_FOUND');
      expect(await meStatus(platformKey.apiKey)).toBe(200);
    });

    it.each([
      ['GET', '/v1/orgs'],
      ['POST', '/v1/orgs'],
      ['POST', '/v1/orgs/:memberId/api-keys'],
    ] as const)("%s %s by another org's admin: 403 (platform only), nothing stored", async (method, template) => {
      const before = await counts();
      const path = template.replace(':memberId', member.id);
      const auth = bearer(other.apiKey);
      const res =
        method === 'GET' ? await t.http.get(path).set(auth) : await t.http.post(path).set(auth).send(path === '/v1/orgs' ? { name: uniqueName() } : { role: 'admin' });
      expectProblem(res, 403, 'AUTH.FORBIDDEN');
      expect(await counts()).toEqual(before);
    });

    it('a path id that is not a UUID answers 404, never 500', async () => {
      for (const path of ['/v1/orgs/not-a-uuid', '/v1/orgs/1/api-keys', `/v1/orgs/${member.id}x`]) {
        expectProblem(await t.http.get(path).set(bearer(t.adminToken)), 404, 'RESOURCE.NOT_FOUND');
      }
      expectProblem(await t.http.delete('/v1/api-keys/42').set(bearer(t.adminToken)), 404, 'RESOURCE.NOT_FOUND');
    });

    it('the platform admin gets 404 for a nonexistent organisation on every organisation route', async () => {
      const id = randomUUID();
      const before = await counts();
      expectProblem(await t.http.get(`/v1/orgs/${id}`).set(bearer(t.adminToken)), 404, 'ORG.NOT_FOUND');
      expectProblem(await t.http.get(`/v1/orgs/${id}/api-keys`).set(bearer(t.adminToken)), 404, 'ORG.NOT_FOUND');
      expectProblem(await t.http.post(`/v1/orgs/${id}/api-keys`).set(bearer(t.adminToken)).send({ role: 'admin' }), 404, 'ORG.NOT_FOUND');
      expectProblem(await t.http.delete(`/v1/api-keys/${id}`).set(bearer(t.adminToken)), 404, 'API_KEY.NOT_FOUND');
      expect(await counts()).toEqual(before);
    });
  });

  describe('the key is shown once', () => {
    it('lists show only the prefix, and the database holds only its sha256', async () => {
      const org = await anOrg(t);
      const created = await t.http.post('/v1/api-keys').set(bearer(org.apiKey)).send({ role: 'finance', label: 'books' });
      expect(created.status).toBe(201);
      const secret: string = created.body.apiKey;
      expect(secret).toMatch(API_KEY);
      expect(created.body.keyPrefix).toBe(secret.slice(0, 12));

      for (const [path, token] of [
        ['/v1/api-keys', org.apiKey],
        [`/v1/orgs/${org.id}/api-keys`, org.apiKey],
        [`/v1/orgs/${org.id}/api-keys`, t.adminToken],
      ] as const) {
        const res = await t.http.get(path).set(bearer(token));
        expect(res.status).toBe(200);
        expect(res.body.data).toHaveLength(2);
        for (const key of res.body.data) {
          expect(Object.keys(key).sort()).toEqual(['createdAt', 'id', 'keyPrefix', 'label', 'orgId', 'revokedAt', 'role']);
          expect(key.keyPrefix).toMatch(/^ipv4m_[A-Za-z0-9_-]{6}$/);
        }
        expect(res.body.data.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({ keyPrefix: secret.slice(0, 12), role: 'finance', label: 'books' });
        expect(res.body.data.find((k: { id: string }) => k.id === org.apiKeyId)).toMatchObject({ keyPrefix: org.apiKey.slice(0, 12), role: 'admin' });
        expect(res.text).not.toContain(secret.slice(12));
        expect(res.text).not.toContain(org.apiKey.slice(12));
      }
      const audit = await t.http.get('/v1/audit').set(bearer(org.apiKey));
      expect(audit.status).toBe(200);
      expect(audit.text).not.toContain(secret.slice(12));
      expect(audit.text).not.toContain(org.apiKey.slice(12));

      for (const [id, key] of [
        [created.body.id, secret],
        [org.apiKeyId, org.apiKey],
      ] as const) {
        const [row] = await db.query('SELECT key_hash, key_prefix, row_to_json(k)::text AS whole FROM api_keys k WHERE id = $1', [id]);
        expect(Buffer.isBuffer(row.key_hash)).toBe(true);
        expect((row.key_hash as Buffer).equals(sha256(key))).toBe(true);
        expect(row.key_prefix).toBe(key.slice(0, 12));
        expect(row.whole).not.toContain(key.slice(12));
        const [{ n }] = await db.query('SELECT count(*)::int AS n FROM audit_log WHERE details::text LIKE $1', [`%${key.slice(12)}%`]);
        expect(n).toBe(0);
      }
    });
  });

  describe('validation', () => {
    const NO_BODY = Symbol('no body');
    it.each([
      ['no body', NO_BODY, 'body'],
      ['an array body', [], 'body'],
      ['no name', {}, 'body.name'],
      ['an empty name', { name: '' }, 'body.name'],
      ['a blank name', { name: '   ' }, 'body.name'],
      ['a name of 201 characters', { name: 'n'.repeat(201) }, 'body.name'],
      ['a numeric name', { name: 42 }, 'body.name'],
      ['a null name', { name: null }, 'body.name'],
      ['an array name', { name: ['acme'] }, 'body.name'],
      ['a name with a control character', { name: 'acme\u0000corp' }, 'body.name'],
      ['an extra field', { name: 'fine', kind: 'platform' }, 'body.kind'],
    ] as const)('POST /v1/orgs with %s: 422, nothing stored', async (_what, body, field) => {
      const before = await counts();
      const req = t.http.post('/v1/orgs').set(bearer(t.adminToken));
      const res = body === NO_BODY ? await req : await req.send(body as object);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code: expect.any(String), message: expect.any(String) })]));
      expect(await counts()).toEqual(before);
    });

    it('POST /v1/orgs with malformed JSON: 400 REQUEST.MALFORMED_JSON', async () => {
      const before = await counts();
      const res = await t.http.post('/v1/orgs').set(bearer(t.adminToken)).set('content-type', 'application/json').send('{"name": ');
      expectProblem(res, 400, 'REQUEST.MALFORMED_JSON');
      expect(await counts()).toEqual(before);
    });

    it('accepts a name of exactly 200 characters, trimmed', async () => {
      const name = uniqueName('long').padEnd(200, 'x');
      const res = await t.http.post('/v1/orgs').set(bearer(t.adminToken)).send({ name: `  ${name}  ` });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe(name);
      const [row] = await db.query('SELECT name FROM organisations WHERE id = $1', [res.body.id]);
      expect(row.name).toBe(name);
    });

    it('refuses a duplicate name, whatever its case: 409 ORG.NAME_TAKEN, nothing stored', async () => {
      const name = uniqueName('Dup');
      const first = await t.http.post('/v1/orgs').set(bearer(t.adminToken)).send({ name });
      expect(first.status).toBe(201);
      for (const again of [name, name.toUpperCase(), name.toLowerCase(), `  ${name}  `]) {
        const before = await counts();
        const res = await t.http.post('/v1/orgs').set(bearer(t.adminToken)).send({ name: again });
        expectProblem(res, 409, 'ORG.NAME_TAKEN');
        expect(await counts()).toEqual(before);
      }
      const byKey = await t.http.post('/v1/orgs').set(bearer(keys.get('platform admin key')!.apiKey)).send({ name: name.toUpperCase() });
      expectProblem(byKey, 409, 'ORG.NAME_TAKEN');
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM organisations WHERE lower(name) = lower($1)', [name]);
      expect(n).toBe(1);
    });

    const KEY_BODIES = [
      ['an unknown role', { role: 'superuser' }, 'body.role'],
      ['a role in capitals', { role: 'ADMIN' }, 'body.role'],
      ['no role', { label: 'x' }, 'body.role'],
      ['a numeric role', { role: 1 }, 'body.role'],
      ['a label of 201 characters', { role: 'viewer', label: 'l'.repeat(201) }, 'body.label'],
      ['a numeric label', { role: 'viewer', label: 7 }, 'body.label'],
      ['an extra field', { role: 'viewer', orgId: '00000000-0000-4000-8000-000000000000' }, 'body.orgId'],
    ] as const;
    const KEY_ROUTES = ['POST /v1/api-keys', 'POST /v1/orgs/:id/api-keys'] as const;

    it.each(KEY_ROUTES.flatMap((route) => KEY_BODIES.map(([what, body, field]) => [route, what, body, field] as const)))(
      '%s with %s: 422, nothing stored',
      async (route, _what, body, field) => {
        const before = await counts();
        const res =
          route === 'POST /v1/api-keys'
            ? await t.http.post('/v1/api-keys').set(bearer(member.apiKey)).send(body)
            : await t.http.post(`/v1/orgs/${member.id}/api-keys`).set(bearer(t.adminToken)).send(body);
        expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
        expect(await counts()).toEqual(before);
      },
    );

    it.each([
      ['/v1/orgs', { name: uniqueName(), kind: 'platform', admin: true }, ['admin', 'kind']],
      ['/v1/api-keys', { role: 'viewer', orgId: '00000000-0000-4000-8000-000000000000' }, ['orgId']],
    ] as const)('POST %s names each unknown field in the errors', async (path, body, extra) => {
      const before = await counts();
      const res = await t.http.post(path).set(bearer(t.adminToken)).send(body);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      const errors = [...res.body.errors].sort((x: { field: string }, y: { field: string }) => x.field.localeCompare(y.field));
      expect(errors).toEqual(extra.map((key) => ({ field: `body.${key}`, code: 'VALIDATION.UNKNOWN_FIELD', message: expect.any(String) })));
      expect(await counts()).toEqual(before);
    });

    it('names every offending field at once', async () => {
      const res = await t.http.post('/v1/api-keys').set(bearer(member.apiKey)).send({ role: 'root', label: 5 });
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.label', 'body.role']);
    });

    it('accepts a key without a label', async () => {
      const res = await t.http.post('/v1/api-keys').set(bearer(member.apiKey)).send({ role: 'ops' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ role: 'ops', label: '', orgId: member.id });
    });
  });

  describe('pagination of GET /v1/orgs', () => {
    type Org = { id: string; name: string; createdAt: string };

    async function walk(limit: number): Promise<{ pages: Org[][]; all: Org[] }> {
      const pages: Org[][] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await t.http
          .get('/v1/orgs')
          .query(cursor ? { limit, cursor } : { limit })
          .set(bearer(t.adminToken));
        expect(res.status).toBe(200);
        pages.push(res.body.data);
        cursor = res.body.nextCursor;
        expect(pages.length).toBeLessThan(10_000);
      } while (cursor);
      return { pages, all: pages.flat() };
    }

    it('keeps creation times to the millisecond the cursor carries, whoever inserts', async () => {
      const [row] = await db.query(`INSERT INTO organisations (name) VALUES ($1) RETURNING created_at::text AS t`, [uniqueName('sql-org')]);
      expect(row.t).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?\+00$/);
      await expect(
        db.query(`INSERT INTO organisations (name, created_at) VALUES ($1, '2026-01-01T00:00:00.123456Z')`, [uniqueName('sql-org')]),
      ).rejects.toThrow(/organisations_created_at_ms/);
    });

    it('walks every page once, in creation order, without repeats', async () => {
      const mine: string[] = [];
      for (let i = 0; i < 5; i++) mine.push((await anOrg(t)).id);
      // Small pages, but at most ~100 of them: other files of the run make thousands of organisations.
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM organisations');
      const limit = Math.max(2, Math.ceil(n / 100));
      const { pages, all } = await walk(limit);
      expect(all).toHaveLength(n);
      expect(new Set(all.map((o) => o.id)).size).toBe(n);
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
      expect(pages.at(-1)!.length).toBeGreaterThanOrEqual(1);
      expect(pages.at(-1)!.length).toBeLessThanOrEqual(limit);
      const ids = all.map((o) => o.id);
      expect(ids.filter((id) => mine.includes(id))).toEqual(mine);
      expect(ids).toContain(platformId);
      for (let i = 1; i < all.length; i++) {
        const [a, b] = [all[i - 1]!, all[i]!];
        expect(a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id)).toBe(true);
      }
    });

    it('serves 50 by default, at most 500, and a last page without a cursor', async () => {
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM organisations');
      for (let i = n; i <= 50; i++) await anOrg(t);
      const first = await t.http.get('/v1/orgs').set(bearer(t.adminToken));
      expect(first.status).toBe(200);
      expect(first.body.data).toHaveLength(50);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const max = await t.http.get('/v1/orgs?limit=500').set(bearer(t.adminToken));
      expect(max.status).toBe(200);
      const [{ total }] = await db.query('SELECT count(*)::int AS total FROM organisations');
      expect(max.body.data).toHaveLength(Math.min(total, 500));
      expect(max.body.nextCursor).toEqual(total > 500 ? expect.any(String) : null);
    });

    const uuid = '8f0e2c4a-1111-4222-8333-444455556666';
    it.each([
      ['/v1/orgs', 'limit=0', 'query.limit'],
      ['/v1/orgs', 'limit=501', 'query.limit'],
      ['/v1/orgs', 'limit=-1', 'query.limit'],
      ['/v1/orgs', 'limit=2.5', 'query.limit'],
      ['/v1/orgs', 'limit=ten', 'query.limit'],
      ['/v1/orgs', 'cursor=garbage', 'query.cursor'],
      ['/v1/orgs', `cursor=${encodeCursor(['yesterday', uuid])}`, 'query.cursor'],
      ['/v1/orgs', `cursor=${encodeCursor(['2026-01-01T00:00:00.000Z'])}`, 'query.cursor'],
      ['/v1/orgs', `cursor=${encodeCursor(['0000-01-01T00:00:00.000Z', uuid])}`, 'query.cursor'],
      ['/v1/orgs', `cursor=${'a'.repeat(501)}`, 'query.cursor'],
      ['/v1/api-keys', `cursor=${encodeCursor(['0000-01-01T00:00:00.000Z', uuid])}`, 'query.cursor'],
      ['/v1/api-keys', 'limit=501', 'query.limit'],
      ['/v1/audit', 'cursor=garbage', 'query.cursor'],
      ['/v1/audit', `cursor=${encodeCursor(['9'.repeat(19)])}`, 'query.cursor'],
      ['/v1/audit', 'limit=0', 'query.limit'],
    ] as const)('GET %s?%s: 422 naming %s', async (path, query, field) => {
      const res = await t.http.get(`${path}?${query}`).set(bearer(t.adminToken));
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.code).toMatch(/^(REQUEST\.VALIDATION_FAILED|PAGINATION\.INVALID_CURSOR)$/);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });
  });

  describe('audit log', () => {
    let a: TestOrg;
    let b: TestOrg;
    let aKeyId: string;
    let firstSeq: bigint;
    const run = randomUUID().slice(0, 8);

    function expectIntact(row: AuditView): void {
      const content = {
        seq: BigInt(row.seq),
        at: new Date(row.at),
        actorType: row.actor.type,
        actorId: row.actor.id,
        orgId: row.orgId,
        action: row.action,
        subjectType: row.subject.type,
        subjectId: row.subject.id,
        details: row.details,
        requestId: row.requestId,
      };
      expect(auditHash(row.prevHash, content)).toBe(row.hash);
    }

    async function allSince(token: string, limit: number): Promise<AuditView[]> {
      const rows: AuditView[] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await t.http
          .get('/v1/audit')
          .query(cursor ? { limit, cursor } : { limit })
          .set(bearer(token));
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(limit);
        rows.push(...res.body.data);
        cursor = res.body.nextCursor;
      } while (cursor && BigInt(rows.at(-1)!.seq) > firstSeq);
      return rows.filter((r) => BigInt(r.seq) >= firstSeq);
    }

    beforeAll(async () => {
      await t.app.get(AuditLog).seal();
      const [{ max }] = await db.query('SELECT coalesce(max(seq), 0)::text AS max FROM audit_log');
      firstSeq = BigInt(max) + 1n;
      const created = await t.http.post('/v1/orgs').set(bearer(t.adminToken)).set('x-request-id', `create-a-${run}`).send({ name: uniqueName('audit-a') });
      expect(created.status).toBe(201);
      a = { id: created.body.id, name: created.body.name, apiKey: created.body.apiKey, apiKeyId: created.body.apiKeyId };
      const key = await t.http.post('/v1/api-keys').set(bearer(a.apiKey)).set('x-request-id', `key-a-${run}`).send({ role: 'trader', label: 'desk' });
      expect(key.status).toBe(201);
      aKeyId = key.body.id;
      const revoked = await t.http.delete(`/v1/api-keys/${aKeyId}`).set(bearer(a.apiKey)).set('x-request-id', `revoke-a-${run}`);
      expect(revoked.status).toBe(204);
      b = await anOrg(t);
    });

    it("shows an org admin its own organisation's rows, newest first, with who, what and which request", async () => {
      const res = await t.http.get('/v1/audit').set(bearer(a.apiKey));
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      const rows: AuditView[] = res.body.data;
      expect(rows.map((r) => [r.action, r.actor, r.subject, r.details, r.requestId])).toEqual([
        ['api_key.revoked', { type: 'api_key', id: a.apiKeyId }, { type: 'api_key', id: aKeyId }, { role: 'trader', label: 'desk' }, `revoke-a-${run}`],
        ['api_key.created', { type: 'api_key', id: a.apiKeyId }, { type: 'api_key', id: aKeyId }, { role: 'trader', label: 'desk' }, `key-a-${run}`],
        ['api_key.created', { type: 'platform_admin', id: 'platform-admin-token' }, { type: 'api_key', id: a.apiKeyId }, { role: 'admin', label: 'first admin key' }, `create-a-${run}`],
        ['org.created', { type: 'platform_admin', id: 'platform-admin-token' }, { type: 'organisation', id: a.id }, { name: a.name }, `create-a-${run}`],
      ]);
      for (const row of rows) {
        expect(row.orgId).toBe(a.id);
        expect(new Date(row.at).toISOString()).toBe(row.at);
        expectIntact(row);
      }
      for (let i = 1; i < rows.length; i++) {
        expect(BigInt(rows[i - 1]!.seq)).toBeGreaterThan(BigInt(rows[i]!.seq));
        expect(rows[i - 1]!.at >= rows[i]!.at).toBe(true);
        // Rows of this organisation that are adjacent in the whole chain link directly.
        if (BigInt(rows[i - 1]!.seq) === BigInt(rows[i]!.seq) + 1n) expect(rows[i - 1]!.prevHash).toBe(rows[i]!.hash);
      }
      // The org and its first key are created in one transaction: adjacent in the chain.
      expect(BigInt(rows[2]!.seq)).toBe(BigInt(rows[3]!.seq) + 1n);
    });

    it('never shows an org admin the rows of another organisation', async () => {
      for (const [org, notOrg] of [
        [a, b],
        [b, a],
      ] as const) {
        const res = await t.http.get('/v1/audit?limit=500').set(bearer(org.apiKey));
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeGreaterThan(0);
        for (const row of res.body.data as AuditView[]) expect(row.orgId).toBe(org.id);
        expect(res.text).not.toContain(notOrg.id);
      }
    });

    it.each(['platform admin token', 'platform admin key'] as const)(
      'shows the %s the rows of every organisation, each chained to the row below it, across pages',
      async (caller) => {
        const rows = await allSince(tokenOf(caller), 3);
        expect(rows.length).toBeGreaterThanOrEqual(6);
        expect(rows.at(-1)!.seq).toBe(firstSeq.toString());
        for (let i = 0; i < rows.length; i++) {
          expectIntact(rows[i]!);
          if (i > 0) {
            expect(BigInt(rows[i - 1]!.seq)).toBe(BigInt(rows[i]!.seq) + 1n);
            expect(rows[i - 1]!.prevHash).toBe(rows[i]!.hash);
          }
        }
        const orgs = new Set(rows.map((r) => r.orgId));
        expect(orgs).toContain(a.id);
        expect(orgs).toContain(b.id);
        const actions = rows.filter((r) => r.orgId === a.id).map((r) => r.action);
        expect(actions).toEqual(['api_key.revoked', 'api_key.created', 'api_key.created', 'org.created']);
      },
    );

    it("records a platform key's actions under that key", async () => {
      const platformAdmin = keys.get('platform admin key')!;
      const created = await t.http.post('/v1/orgs').set(bearer(platformAdmin.apiKey)).send({ name: uniqueName('by-key') });
      expect(created.status).toBe(201);
      const res = await t.http.get('/v1/audit?limit=2').set(bearer(t.adminToken));
      expect(res.body.data.map((r: AuditView) => [r.action, r.actor, r.orgId])).toEqual([
        ['api_key.created', { type: 'api_key', id: platformAdmin.id }, created.body.id],
        ['org.created', { type: 'api_key', id: platformAdmin.id }, created.body.id],
      ]);
      expect(res.body.data[0].prevHash).toBe(res.body.data[1].hash);
    });
  });
});
