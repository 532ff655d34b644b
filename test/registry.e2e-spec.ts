import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parsePrefixOrThrow } from '@app/ipam';
import { Clock, Outbox, Transactions } from '@app/platform';
import {
  Mailer,
  NO_TRANSPORT_REASON,
  RdapClient,
  RdapNotFoundError,
  RdapUnavailableError,
  networkRange,
  registrantHandles,
  registrationDate,
} from '@app/registry';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { type TestKey, aKey, anOrg, bearer, platformOrgId } from './support/identity-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { expectProblem } from './support/problem.js';
import { Sandbox, aHandle, aRipeSlash16, anEmail, mailboxOf, rdapGet } from './support/registry-fixtures.js';

/**
 * The sandbox registry (API.md "Sandbox registry"): scripting endpoints, its RDAP service
 * (RFC 9083) read over real HTTP by a plain client and by the real RdapClient, and the
 * mailbox. The API under test reaches the sandbox at SANDBOX_BASE_URL, as it would an RIR.
 */
describe('sandbox registry (e2e)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let db: DataSource;
  let sandbox: Sandbox;
  /** This file's own /16 of RIPE space ('a.b'). */
  const net = aRipeSlash16();

  beforeAll(async () => {
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    db = t.app.get(DataSource);
    sandbox = new Sandbox(t);
  });
  afterAll(async () => {
    await sandbox?.allUp();
    await t?.close();
    await registry?.close();
  });

  async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
    return n;
  }

  describe('who may script it', () => {
    const ENDPOINTS = [
      ['PUT', '/v1/sandbox/registry/entities', () => ({ rir: 'ARIN', handle: aHandle('ARIN'), name: 'Auth Test', email: anEmail() })],
      ['PUT', '/v1/sandbox/registry/resources', () => ({ prefix: `${net}.255.0/24`, rir: 'RIPE', holderHandle: aHandle(), holderName: 'Auth Test', holderEmail: anEmail() })],
      ['PUT', '/v1/sandbox/registry/behaviour', () => ({ rir: 'LACNIC', transfer: 'approve' })],
      ['GET', '/v1/sandbox/registry/behaviour', () => undefined],
      ['GET', '/v1/sandbox/mailbox', () => undefined],
    ] as const;
    const keys = new Map<string, TestKey | 'token'>();

    beforeAll(async () => {
      const member = await anOrg(t);
      const platform = await platformOrgId(t);
      keys.set('platform admin token', 'token');
      keys.set('platform admin key', await aKey(t, platform, 'admin'));
      keys.set('platform finance key', await aKey(t, platform, 'finance'));
      keys.set('platform ops key', await aKey(t, platform, 'ops'));
      keys.set('member admin key', { id: member.apiKeyId, orgId: member.id, role: 'admin', apiKey: member.apiKey });
      keys.set('member viewer key', await aKey(t, member.id, 'viewer'));
    });

    const send = (method: string, path: string, token: string | null, body: unknown) => {
      const req = method === 'PUT' ? t.http.put(path).send(body as object) : t.http.get(path);
      return token ? req.set(bearer(token)) : req;
    };
    const tokenOf = (caller: string) => {
      const k = keys.get(caller)!;
      return k === 'token' ? t.adminToken : k.apiKey;
    };

    it.each(ENDPOINTS.flatMap(([m, p, b]) => ['platform admin token', 'platform admin key'].map((c) => [m, p, c, b] as const)))(
      '%s %s: the %s may (200)',
      async (method, path, caller, body) => {
        const res = await send(method, path, tokenOf(caller), body());
        expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
      },
    );

    it.each(
      ENDPOINTS.flatMap(([m, p, b]) =>
        ['platform finance key', 'platform ops key', 'member admin key', 'member viewer key'].map((c) => [m, p, c, b] as const),
      ),
    )('%s %s: a %s may not (403, nothing changes)', async (method, path, caller, body) => {
      const before = await count('sandbox_rir_entities');
      const res = await send(method, path, tokenOf(caller), body());
      expectProblem(res, 403, 'AUTH.FORBIDDEN');
      expect(await count('sandbox_rir_entities')).toBe(before);
    });

    it.each(ENDPOINTS.map(([m, p, b]) => [m, p, b] as const))('%s %s without credentials: 401', async (method, path, body) => {
      expectProblem(await send(method, path, null, body()), 401, 'AUTH.UNAUTHENTICATED');
    });
  });

  describe('PUT /v1/sandbox/registry/entities', () => {
    it('creates an account, normalises the handle to upper case, and updates it in place', async () => {
      const handle = aHandle().toLowerCase();
      const email = anEmail();
      const res = await t.http.put('/v1/sandbox/registry/entities').set(bearer(t.adminToken)).send({ rir: 'RIPE', handle, name: 'First Name', email });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        rir: 'RIPE',
        handle: handle.toUpperCase(),
        name: 'First Name',
        email,
        createdAt: expect.any(String),
        updatedAt: res.body.createdAt,
      });
      const again = await t.http
        .put('/v1/sandbox/registry/entities')
        .set(bearer(t.adminToken))
        .send({ rir: 'RIPE', handle: handle.toUpperCase(), name: 'Second Name', email: 'new@example.org' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ handle: handle.toUpperCase(), name: 'Second Name', email: 'new@example.org', createdAt: res.body.createdAt });
      expect(await count('sandbox_rir_entities', 'handle = $1', [handle.toUpperCase()])).toBe(1);
    });

    it('refuses the same handle at another RIR (409), leaving it as it was', async () => {
      const e = await sandbox.entity({ rir: 'APNIC', handle: aHandle('AP') });
      const res = await t.http.put('/v1/sandbox/registry/entities').set(bearer(t.adminToken)).send({ ...e, rir: 'ARIN', name: 'Hijack' });
      expectProblem(res, 409, 'SANDBOX.HANDLE_AT_OTHER_RIR');
      const [row] = await db.query('SELECT rir, name FROM sandbox_rir_entities WHERE handle = $1', [e.handle]);
      expect(row).toEqual({ rir: 'APNIC', name: e.name });
    });

    it.each([
      ['an unknown RIR', { rir: 'IANA' }, 'body.rir'],
      ['a malformed e-mail', { email: 'not-an-email' }, 'body.email'],
      ['a handle with a space', { handle: 'BAD HANDLE' }, 'body.handle'],
      ['an empty name', { name: '  ' }, 'body.name'],
      ['an unknown field', { colour: 'red' }, 'body.colour'],
    ])('refuses %s (422, nothing stored)', async (_what, patch, field) => {
      const body = { rir: 'RIPE', handle: aHandle(), name: 'X', email: anEmail(), ...patch };
      const res = await t.http.put('/v1/sandbox/registry/entities').set(bearer(t.adminToken)).send(body);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await count('sandbox_rir_entities', 'upper(email) = upper($1)', [body.email])).toBe(0);
    });
  });

  describe('PUT /v1/sandbox/registry/resources', () => {
    it.each([
      ['ARIN', 'US'],
      ['RIPE', 'NL'],
      ['APNIC', 'AU'],
      ['LACNIC', 'BR'],
      ['AFRINIC', 'ZA'],
    ])("registers a network at %s with the RIR's country (%s), creating the holder's entity", async (rir, country) => {
      const holderHandle = aHandle(rir);
      const holderEmail = anEmail();
      const prefix = `${net}.${200 + ['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'].indexOf(rir)}.0/24`;
      const res = await t.http
        .put('/v1/sandbox/registry/resources')
        .set(bearer(t.adminToken))
        .send({ prefix, rir, holderHandle, holderName: 'Holder Ltd', holderEmail });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ prefix, rir, holderHandle, country, registeredAt: expect.any(String), handle: expect.stringMatching(/^NET-/) });
      const [entity] = await db.query('SELECT rir, name, email FROM sandbox_rir_entities WHERE handle = $1', [holderHandle]);
      expect(entity).toEqual({ rir, name: 'Holder Ltd', email: holderEmail });
    });

    it('upserts by exact prefix: a second PUT replaces the holder and keeps the registration date unless given', async () => {
      const prefix = `${net}.210.0/24`;
      const first = await sandbox.entity();
      const second = await sandbox.entity();
      const created = await sandbox.resource({ prefix, rir: 'RIPE', holderHandle: first.handle, registeredAt: '2012-05-06T07:08:09Z', country: 'DE' });
      expect(created).toMatchObject({ created: true, registeredAt: '2012-05-06T07:08:09.000Z', country: 'DE' });
      const replaced = await sandbox.resource({ prefix, rir: 'RIPE', holderHandle: second.handle });
      expect(replaced).toMatchObject({ created: false, holderHandle: second.handle, registeredAt: '2012-05-06T07:08:09.000Z', country: 'NL' });
      expect(await count('sandbox_rir_resources', 'prefix = $1::cidr', [prefix])).toBe(1);
      // An existing holder entity is kept as it is, whatever holderName/holderEmail say.
      await sandbox.resource({ prefix, rir: 'RIPE', holderHandle: second.handle, holderName: 'Other', holderEmail: anEmail() });
      const [entity] = await db.query('SELECT name, email FROM sandbox_rir_entities WHERE handle = $1', [second.handle]);
      expect(entity).toEqual({ name: second.name, email: second.email });
    });

    it.each([
      ['host bits set', `${net}.211.7/24`, 'CIDR.NOT_NETWORK_ADDRESS'],
      ['no length', `${net}.211.0`, 'CIDR.MALFORMED'],
      ['a length above 32', `${net}.211.0/33`, 'CIDR.MALFORMED'],
      ['a leading zero', `${net}.011.0/24`, 'CIDR.MALFORMED'],
      ['an IPv6 prefix', '2001:db8::/32', 'CIDR.IPV6_UNSUPPORTED'],
      ['whitespace', ` ${net}.211.0/24`, 'CIDR.MALFORMED'],
    ])('refuses a prefix with %s (422 %s, nothing stored)', async (_what, prefix, code) => {
      const holderHandle = aHandle();
      const res = await t.http
        .put('/v1/sandbox/registry/resources')
        .set(bearer(t.adminToken))
        .send({ prefix, rir: 'RIPE', holderHandle, holderName: 'X', holderEmail: anEmail() });
      expectProblem(res, 422, code);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'body.prefix', code })]);
      expect(await count('sandbox_rir_entities', 'handle = $1', [holderHandle])).toBe(0);
      expect(await count('sandbox_rir_resources', 'holder_handle = $1', [holderHandle])).toBe(0);
    });

    it('suggests the network meant when host bits are set', async () => {
      const res = await t.http
        .put('/v1/sandbox/registry/resources')
        .set(bearer(t.adminToken))
        .send({ prefix: `${net}.213.5/22`, rir: 'RIPE', holderHandle: aHandle(), holderName: 'X', holderEmail: anEmail() });
      expectProblem(res, 422, 'CIDR.NOT_NETWORK_ADDRESS');
      expect(res.body.suggestion).toBe(`${net}.212.0/22`);
    });

    it("needs the holder's name and e-mail when its entity does not exist (422, nothing stored)", async () => {
      const holderHandle = aHandle();
      const res = await t.http.put('/v1/sandbox/registry/resources').set(bearer(t.adminToken)).send({ prefix: `${net}.214.0/24`, rir: 'RIPE', holderHandle });
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.holderName', 'body.holderEmail']);
      expect(await count('sandbox_rir_resources', 'prefix = $1::cidr', [`${net}.214.0/24`])).toBe(0);
    });

    it('refuses a holder that is an account at another RIR (409)', async () => {
      const arin = await sandbox.entity({ rir: 'ARIN', handle: aHandle('ARIN') });
      const res = await t.http.put('/v1/sandbox/registry/resources').set(bearer(t.adminToken)).send({ prefix: `${net}.215.0/24`, rir: 'RIPE', holderHandle: arin.handle });
      expectProblem(res, 409, 'SANDBOX.HANDLE_AT_OTHER_RIR');
      expect(await count('sandbox_rir_resources', 'prefix = $1::cidr', [`${net}.215.0/24`])).toBe(0);
    });
  });

  describe('PUT /v1/sandbox/registry/behaviour', () => {
    afterAll(async () => {
      await sandbox.behaviour({ rir: 'AFRINIC', transfer: 'approve', delayMs: 0, rdap: 'up' });
    });

    it('changes only the fields given, and GET shows all five RIRs', async () => {
      const set = await sandbox.behaviour({ rir: 'AFRINIC', transfer: 'request_info', delayMs: 1500 });
      expect(set).toMatchObject({ rir: 'AFRINIC', transfer: 'request_info', delayMs: 1500, rdap: 'up' });
      const partial = await sandbox.behaviour({ rir: 'AFRINIC', transfer: 'reject' });
      expect(partial).toMatchObject({ rir: 'AFRINIC', transfer: 'reject', delayMs: 1500, rdap: 'up' });
      const all = await t.http.get('/v1/sandbox/registry/behaviour').set(bearer(t.adminToken));
      expect(all.status).toBe(200);
      expect(all.body.data.map((b: { rir: string }) => b.rir)).toEqual(['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC']);
      expect(all.body.data[4]).toMatchObject({ transfer: 'reject', delayMs: 1500 });
    });

    it.each([
      ['an unknown answer', { transfer: 'maybe' }],
      ['a negative delay', { delayMs: -1 }],
      ['a fractional delay', { delayMs: 1.5 }],
      ['an RDAP state other than up or down', { rdap: 'flaky' }],
      ['no RIR', { rir: undefined }],
    ])('refuses %s (422)', async (_what, patch) => {
      const res = await t.http.put('/v1/sandbox/registry/behaviour').set(bearer(t.adminToken)).send({ rir: 'AFRINIC', ...patch });
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
    });
  });

  describe('RDAP over HTTP', () => {
    // A /20 allocation, a /22 assignment inside it, and a /24 inside that: three levels.
    const outer = `${net}.16.0/20`;
    const middle = `${net}.20.0/22`;
    const inner = `${net}.21.0/24`;
    const holders = { outer: aHandle(), middle: aHandle(), inner: aHandle() };
    const emails = { outer: anEmail('outer'), middle: anEmail('middle'), inner: anEmail('inner') };

    beforeAll(async () => {
      await sandbox.resource({ prefix: outer, rir: 'RIPE', holderHandle: holders.outer, holderName: 'Outer Holder', holderEmail: emails.outer, registeredAt: '2010-01-01T00:00:00Z' });
      await sandbox.resource({ prefix: middle, rir: 'RIPE', holderHandle: holders.middle, holderName: 'Middle Holder', holderEmail: emails.middle, registeredAt: '2016-02-03T04:05:06Z', type: 'ASSIGNED PA' });
      await sandbox.resource({ prefix: inner, rir: 'RIPE', holderHandle: holders.inner, holderName: 'Inner Holder', holderEmail: emails.inner, country: 'DE' });
    });

    it('answers an address with the most specific network, in the RFC 9083 shape, without credentials', async () => {
      const res = await rdapGet(registry.baseUrl, `ip/${net}.20.77`);
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^application\/rdap\+json/);
      const body = res.body;
      expect(body).toMatchObject({
        objectClassName: 'ip network',
        handle: `NET-${net.replace('.', '-')}-20-0-22`,
        startAddress: `${net}.20.0`,
        endAddress: `${net}.23.255`,
        ipVersion: 'v4',
        name: `${holders.middle}-NET`,
        type: 'ASSIGNED PA',
        country: 'NL',
        parentHandle: `NET-${net.replace('.', '-')}-16-0-20`,
        status: ['active'],
        cidr0_cidrs: [{ v4prefix: `${net}.20.0`, length: 22 }],
        port43: 'whois.ripe.net',
      });
      expect(body.rdapConformance).toEqual(expect.arrayContaining(['rdap_level_0', 'cidr0']));
      expect(body.notices).toEqual([expect.objectContaining({ title: expect.any(String), description: expect.any(Array) })]);
      expect(body.links).toEqual([expect.objectContaining({ rel: 'self', href: `${registry.baseUrl}/sandbox/rdap/ip/${middle}`, type: 'application/rdap+json' })]);
      expect(body.events).toEqual([
        { eventAction: 'registration', eventDate: '2016-02-03T04:05:06.000Z' },
        { eventAction: 'last changed', eventDate: expect.any(String) },
      ]);
      expect(body.entities).toEqual([
        expect.objectContaining({
          objectClassName: 'entity',
          handle: holders.middle,
          roles: ['registrant'],
          vcardArray: ['vcard', expect.arrayContaining([['fn', {}, 'text', 'Middle Holder'], ['email', {}, 'text', emails.middle]])],
        }),
      ]);
    });

    it.each([
      ['an address in the /24', `ip/${net}.21.9`, inner, middle],
      ['an address in the /22 only', `ip/${net}.22.1`, middle, outer],
      ['an address in the /20 only', `ip/${net}.16.1`, outer, null],
      ['the /24 itself', `ip/${net}.21.0/24`, inner, middle],
      ['a /23 holding the /24', `ip/${net}.20.0/23`, middle, outer],
      ['the /20 itself', `ip/${net}.16.0/20`, outer, null],
      ['a /30 inside the /24', `ip/${net}.21.4/30`, inner, middle],
    ])('answers %s with the most specific covering network and its parent', async (_what, path, network, parent) => {
      const res = await rdapGet(registry.baseUrl, path);
      expect(res.status).toBe(200);
      const p = parsePrefixOrThrow(network);
      expect(res.body.cidr0_cidrs).toEqual([{ v4prefix: network.split('/')[0], length: p.length }]);
      if (parent) expect(res.body.parentHandle).toBe(`NET-${parent.split('/')[0]!.replaceAll('.', '-')}-${parent.split('/')[1]}`);
      else expect(res.body).not.toHaveProperty('parentHandle');
    });

    it('is read by the real RdapClient as an RIR answer (range, registrant, registration date)', async () => {
      const client = t.app.get(RdapClient);
      const n = await client.ipNetwork(`${net}.21.200`);
      expect(networkRange(n)).toEqual({ first: parsePrefixOrThrow(inner).first, last: parsePrefixOrThrow(inner).first + 255 });
      expect(registrantHandles(n)).toEqual([holders.inner]);
      expect(n.country).toBe('DE');
      const covering = await client.ipNetwork(`${net}.20.0/23`);
      expect(registrantHandles(covering)).toEqual([holders.middle]);
      expect(registrationDate(covering)).toEqual(new Date('2016-02-03T04:05:06Z'));
    });

    it('answers an entity by handle with its jCard', async () => {
      const res = await rdapGet(registry.baseUrl, `entity/${holders.outer}`);
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^application\/rdap\+json/);
      expect(res.body).toMatchObject({ objectClassName: 'entity', handle: holders.outer, port43: 'whois.ripe.net', rdapConformance: ['rdap_level_0'] });
      expect((res.body.vcardArray as unknown[])[1]).toEqual(expect.arrayContaining([['fn', {}, 'text', 'Outer Holder'], ['email', {}, 'text', emails.outer]]));
      // Handles are case-insensitive.
      expect((await rdapGet(registry.baseUrl, `entity/${holders.outer.toLowerCase()}`)).body.handle).toBe(holders.outer);
    });

    it.each([
      ['an address no network covers', `ip/${net}.15.255`],
      ['a prefix wider than every network', `ip/${net}.0.0/16`],
      ['a prefix that a network covers only in part', `ip/${net}.0.0/19`],
      ['an unknown entity', `entity/${aHandle()}`],
    ])('answers 404 with an RDAP error for %s', async (_what, path) => {
      const res = await rdapGet(registry.baseUrl, path);
      expect(res.status).toBe(404);
      expect(res.contentType).toMatch(/^application\/rdap\+json/);
      expect(res.body).toMatchObject({ errorCode: 404, title: expect.any(String), description: [expect.any(String)] });
    });

    it('makes the RdapClient throw RdapNotFoundError for a 404', async () => {
      await expect(t.app.get(RdapClient).ipNetwork(`${net}.15.255`)).rejects.toBeInstanceOf(RdapNotFoundError);
      await expect(t.app.get(RdapClient).entity(aHandle(), 'RIPE')).rejects.toBeInstanceOf(RdapNotFoundError);
    });

    it.each([
      ['an octet above 255', 'ip/256.1.2.3'],
      ['three octets', `ip/${net}.21`],
      ['a leading zero', `ip/${net}.021.1`],
      ['words', 'ip/not-an-address'],
      ['an IPv6 address', 'ip/2001:db8::1'],
      ['a length above 32', `ip/${net}.21.0/33`],
      ['a length that is no number', `ip/${net}.21.0/x`],
      ['host bits set', `ip/${net}.21.1/24`],
      ['a malformed handle', 'entity/bad!handle'],
    ])('answers 400 with an RDAP error for %s', async (_what, path) => {
      const res = await rdapGet(registry.baseUrl, path);
      expect(res.status).toBe(400);
      expect(res.contentType).toMatch(/^application\/rdap\+json/);
      expect(res.body).toMatchObject({ errorCode: 400, title: expect.any(String), description: [expect.any(String)] });
    });

    it("answers 503 while an RIR's RDAP is scripted down, for what that RIR serves only", async () => {
      const arin = await sandbox.entity({ rir: 'ARIN', handle: aHandle('ARIN') });
      try {
        await sandbox.behaviour({ rir: 'RIPE', rdap: 'down' });
        for (const path of [`ip/${net}.21.9`, `ip/${net}.16.0/20`, `entity/${holders.inner}`, `ip/${net}.15.255`]) {
          const res = await rdapGet(registry.baseUrl, path);
          expect({ path, status: res.status, errorCode: res.body.errorCode }).toEqual({ path, status: 503, errorCode: 503 });
          expect(res.contentType).toMatch(/^application\/rdap\+json/);
        }
        await expect(t.app.get(RdapClient).ipNetwork(`${net}.21.9`)).rejects.toBeInstanceOf(RdapUnavailableError);
        expect((await rdapGet(registry.baseUrl, `entity/${arin.handle}`)).status).toBe(200);
      } finally {
        await sandbox.behaviour({ rir: 'RIPE', rdap: 'up' });
      }
      expect((await rdapGet(registry.baseUrl, `ip/${net}.21.9`)).status).toBe(200);
    });
  });

  describe('mail', () => {
    /** Queues one mail in its own transaction, as a use case would. */
    async function queueMail(mailer: Mailer, to: string, subject: string): Promise<string> {
      return t.app.get(Transactions).tx(() => mailer.send({ to, subject, body: `body of ${subject}` }));
    }

    it('lists kept mail newest first, page by page, never repeating or skipping', async () => {
      const mailer = t.app.get(Mailer);
      const to = anEmail('pages');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = await queueMail(mailer, to, `subject ${i}`);
        await expect(mailer.deliver(id)).resolves.toBe('kept');
        ids.push(id);
      }
      const seen: { id: string; subject: string; to: string; body: string; sentAt: string }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: Response = await t.http
          .get('/v1/sandbox/mailbox')
          .query({ to: to.toUpperCase(), limit: 2, ...(cursor ? { cursor } : {}) })
          .set(bearer(t.adminToken));
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen.map((m) => m.subject)).toEqual(['subject 4', 'subject 3', 'subject 2', 'subject 1', 'subject 0']);
      expect(seen[0]).toEqual({ id: ids[4], to, subject: 'subject 4', body: 'body of subject 4', sentAt: expect.any(String) });
      const times = seen.map((m) => Date.parse(m.sentAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    });

    it('refuses a cursor it did not issue (422)', async () => {
      const res = await t.http.get('/v1/sandbox/mailbox').query({ cursor: 'bm90LWEtY3Vyc29y' }).set(bearer(t.adminToken));
      expectProblem(res, 422, 'PAGINATION.INVALID_CURSOR');
    });

    it('delivers idempotently: a second delivery leaves the mail as the first one left it', async () => {
      const mailer = t.app.get(Mailer);
      const to = anEmail('twice');
      const id = await queueMail(mailer, to, 'twice');
      await expect(mailer.deliver(id)).resolves.toBe('kept');
      const [first] = await db.query('SELECT status, sent_at FROM outgoing_mail WHERE id = $1', [id]);
      await expect(mailer.deliver(id)).resolves.toBe('already-delivered');
      const [second] = await db.query('SELECT status, sent_at FROM outgoing_mail WHERE id = $1', [id]);
      expect(second).toEqual(first);
      expect(await mailboxOf(t, to)).toHaveLength(1);
      await expect(mailer.deliver('00000000-0000-4000-8000-000000000000')).resolves.toBe('missing');
    });

    it('writes the mail and its mail.deliver job in the caller transaction: both or neither', async () => {
      const mailer = t.app.get(Mailer);
      const to = anEmail('rollback');
      await expect(
        t.app.get(Transactions).tx(async () => {
          await mailer.send({ to, subject: 'never', body: 'never' });
          throw new Error('the use case failed');
        }),
      ).rejects.toThrow('the use case failed');
      expect(await count('outgoing_mail', 'to_address = $1', [to])).toBe(0);
      await expect(mailer.send({ to, subject: 'x', body: 'x' })).rejects.toThrow('must run inside a transaction');

      const id = await queueMail(mailer, to, 'committed');
      const [job] = await db.query(`SELECT queue, job_name, job_id, payload FROM outbox WHERE job_id = $1`, [`mail:${id}:deliver`]);
      expect(job).toEqual({ queue: 'mail', job_name: 'mail.deliver', job_id: `mail:${id}:deliver`, payload: { mailId: id } });
    });

    it('marks mail failed, with the reason, in live mode (no SMTP transport yet), and keeps it out of the mailbox', async () => {
      const live = new Mailer(t.app.get(Transactions), t.app.get(Outbox), t.app.get(Clock), { ...t.config, registryMode: 'live' });
      const to = anEmail('live');
      const id = await queueMail(live, to, 'live');
      await expect(live.deliver(id)).resolves.toBe('failed');
      const [row] = await db.query('SELECT status, failed_reason, sent_at FROM outgoing_mail WHERE id = $1', [id]);
      expect(row).toEqual({ status: 'failed', failed_reason: NO_TRANSPORT_REASON, sent_at: null });
      await expect(live.deliver(id)).resolves.toBe('already-delivered');
      // Nor does a sandbox delivery of the same job (at least once) revive it.
      await expect(t.app.get(Mailer).deliver(id)).resolves.toBe('already-delivered');
      expect(await mailboxOf(t, to)).toEqual([]);
    });
  });

  describe('with REGISTRY_MODE=live', () => {
    let live: TestApp;

    beforeAll(async () => {
      live = await startApi({ REGISTRY_MODE: 'live', SANDBOX_TIME_TRAVEL: 'false' });
    });
    afterAll(async () => {
      await live?.close();
    });

    it.each([
      ['PUT', '/v1/sandbox/registry/entities', { rir: 'RIPE', handle: aHandle(), name: 'X', email: anEmail() }],
      ['PUT', '/v1/sandbox/registry/resources', { prefix: `${net}.250.0/24`, rir: 'RIPE', holderHandle: aHandle(), holderName: 'X', holderEmail: anEmail() }],
      ['PUT', '/v1/sandbox/registry/behaviour', { rir: 'RIPE', rdap: 'down' }],
      ['GET', '/v1/sandbox/registry/behaviour', undefined],
      ['GET', '/v1/sandbox/mailbox', undefined],
      ['GET', `/sandbox/rdap/ip/${net}.16.1`, undefined],
      ['GET', '/sandbox/rdap/entity/EXAMPLE-1', undefined],
    ])('%s %s answers 404 SANDBOX.DISABLED and changes nothing', async (method, path, body) => {
      const before = await db.query(`SELECT (SELECT count(*) FROM sandbox_rir_entities) AS e, (SELECT count(*) FROM sandbox_rir_resources) AS r,
                                            (SELECT string_agg(rdap, ',' ORDER BY rir) FROM sandbox_rir_behaviour) AS b`);
      const req = method === 'PUT' ? live.http.put(path).send(body as object) : live.http.get(path);
      expectProblem(await req.set(bearer(live.adminToken)), 404, 'SANDBOX.DISABLED');
      const after = await db.query(`SELECT (SELECT count(*) FROM sandbox_rir_entities) AS e, (SELECT count(*) FROM sandbox_rir_resources) AS r,
                                           (SELECT string_agg(rdap, ',' ORDER BY rir) FROM sandbox_rir_behaviour) AS b`);
      expect(after).toEqual(before);
    });
  });
});
