import { randomInt } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { comparePrefixes, parsePrefix, parsePrefixOrThrow } from '@app/ipam';
import { Transactions } from '@app/platform';
import {
  type RegistryChangeKind,
  type RegistryChangeSpec,
  RegistryGateways,
  RegistryObserver,
  RegistryUnavailableError,
  type Rir,
  VrpClient,
} from '@app/registry';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { bearer } from './support/identity-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { expectProblem } from './support/problem.js';
import { Sandbox, aHandle, anEmail, anUnusedSlash16, rdapGet } from './support/registry-fixtures.js';

/**
 * The changes a lease makes at an RIR (ROA, IRR route object, sub-assignment), written through
 * the sandbox RIRs' gateways and observed from outside as an operator would: RDAP and the VRP
 * export over real HTTP from a listening API, the IRR through the gateway. Scripted refusals,
 * outages and delays come from PUT /v1/sandbox/registry/behaviour; they are scripted on LACNIC
 * and AFRINIC only, and put back, since every test file of the run shares the sandbox RIRs.
 */
const KINDS: readonly RegistryChangeKind[] = ['roa', 'route', 'assignment'];

describe('registry changes at the sandbox RIRs (e2e)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let db: DataSource;
  let sandbox: Sandbox;
  let gateways: RegistryGateways;
  let observer: RegistryObserver;

  beforeAll(async () => {
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    db = t.app.get(DataSource);
    sandbox = new Sandbox(t);
    gateways = t.app.get(RegistryGateways);
    observer = t.app.get(RegistryObserver);
  });
  afterAll(async () => {
    await restoreBehaviour();
    await t?.close();
    await registry?.close();
  });

  async function restoreBehaviour(): Promise<void> {
    for (const rir of ['LACNIC', 'AFRINIC']) await sandbox?.behaviour({ rir, changes: 'apply', changeDelayMs: 0 });
  }

  interface Lease {
    /** This lease's /16 ('a.b'). */
    readonly s: string;
    readonly rir: Rir;
    readonly allocation: string;
    readonly unit: string;
    readonly holder: { handle: string; name: string; email: string };
    readonly customer: { handle: string; name: string };
    readonly asn: number;
    spec(kind: RegistryChangeKind): RegistryChangeSpec;
  }

  /** A /20 allocation declared at `rir` in a /16 of its own, and a lease of a /24 in it to a new customer and ASN. */
  async function aLease(rir: Rir, o: { declare?: boolean } = {}): Promise<Lease> {
    const s = await anUnusedSlash16(db, rir);
    const holder = { handle: aHandle(rir), name: `Holder of ${s}`, email: anEmail() };
    const allocation = `${s}.16.0/20`;
    if (o.declare !== false) {
      await sandbox.resource({ prefix: allocation, rir, holderHandle: holder.handle, holderName: holder.name, holderEmail: holder.email, country: 'DE' });
    }
    const unit = `${s}.18.0/24`;
    const customer = { handle: aHandle('CUST'), name: 'Lessee Networks GmbH' };
    // From the 32-bit private-use range (RFC 6996), different for every lease.
    const asn = 4_200_000_000 + randomInt(90_000_000);
    return { s, rir, allocation, unit, holder, customer, asn, spec: (kind) => ({ rir, kind, prefix: unit, asn, customer }) };
  }

  const createAll = (l: Lease) => Promise.all(KINDS.map((k) => gateways.gatewayFor(l.rir).create(l.spec(k))));
  const removeAll = (l: Lease) => Promise.all(KINDS.map((k) => gateways.gatewayFor(l.rir).remove(l.spec(k))));

  /** What the stand-in RIR logged for writes on this prefix, oldest first. */
  async function requests(prefix: string): Promise<{ operation: string; object: string; outcome: string; asn: bigint | null }[]> {
    return db.query('SELECT operation, object, outcome, asn FROM sandbox_rir_requests WHERE prefix = $1::cidr ORDER BY id', [prefix]);
  }

  /** The sandbox's ROAs, route objects and networks on exactly this prefix. */
  async function objectsAt(prefix: string): Promise<{ roas: number; routes: number; networks: number }> {
    const [row] = await db.query(
      `SELECT (SELECT count(*)::int FROM sandbox_rir_roas WHERE prefix = $1::cidr) AS roas,
              (SELECT count(*)::int FROM sandbox_irr_routes WHERE prefix = $1::cidr) AS routes,
              (SELECT count(*)::int FROM sandbox_rir_resources WHERE prefix = $1::cidr) AS networks`,
      [prefix],
    );
    return row;
  }

  async function vrpsJson(): Promise<{ status: number; contentType: string | null; body: { metadata: { buildtime: string; roas: number }; roas: Record<string, unknown>[] } }> {
    const res = await fetch(`${registry.baseUrl}/sandbox/rpki/vrps.json`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as never };
  }

  const dashed = (address: string) => address.replaceAll('.', '-');

  describe('creating', () => {
    it('makes each change observable from outside: RDAP over HTTP, the published VRPs, the IRR', async () => {
      const l = await aLease('ARIN');
      await expect(observer.observe(l.spec('roa'))).resolves.toMatchObject({ assignment: false, roa: false, route: false });

      for (const kind of KINDS) {
        await expect(gateways.gatewayFor('ARIN').create(l.spec(kind))).resolves.toMatchObject({ kind: 'done', alreadyInPlace: false });
      }

      const seen = await observer.observe(l.spec('assignment'));
      expect(seen).toMatchObject({ assignment: true, roa: true, route: true });
      expect(seen.evidence).toMatchObject({
        rdap: { handle: `NET-${dashed(l.s)}-18-0-24`, startAddress: `${l.s}.18.0`, endAddress: `${l.s}.18.255`, registrants: [l.customer.handle] },
        vrps: [{ asn: `AS${l.asn}`, prefix: l.unit, maxLength: 24, ta: 'arin' }],
        route: { route: l.unit, origin: `AS${l.asn}`, source: 'ARIN', inPlace: true },
      });
      expect(JSON.parse(JSON.stringify(seen.evidence))).toEqual(seen.evidence);

      // RDAP, read by a plain HTTP client: the customer is the registrant of the unit's network.
      const rdap = await rdapGet(registry.baseUrl, `ip/${l.s}.18.77`);
      expect(rdap.status).toBe(200);
      expect(rdap.body).toMatchObject({
        objectClassName: 'ip network',
        handle: `NET-${dashed(l.s)}-18-0-24`,
        startAddress: `${l.s}.18.0`,
        endAddress: `${l.s}.18.255`,
        name: `${l.customer.handle}-${dashed(l.s)}-18-0`,
        type: 'REASSIGNED',
        country: 'DE',
        parentHandle: `NET-${dashed(l.s)}-16-0-20`,
        port43: 'whois.arin.net',
      });
      expect(rdap.body.entities).toEqual([
        expect.objectContaining({
          handle: l.customer.handle,
          roles: ['registrant'],
          vcardArray: ['vcard', expect.arrayContaining([['fn', {}, 'text', l.customer.name], ['kind', {}, 'text', 'org']])],
        }),
        expect.objectContaining({ handle: l.holder.handle, roles: ['administrative'] }),
      ]);
      expect(JSON.stringify(rdap.body.remarks)).toContain(`AS${l.asn}`);
      // An address of the allocation outside the unit still answers with the holder's network.
      expect((await rdapGet(registry.baseUrl, `ip/${l.s}.19.1`)).body).toMatchObject({ handle: `NET-${dashed(l.s)}-16-0-20`, entities: [expect.objectContaining({ handle: l.holder.handle, roles: ['registrant'] })] });

      // The VRP export lists the exact-length ROA (RFC 9319) under ARIN's trust anchor.
      const vrps = await vrpsJson();
      expect(vrps.body.roas.filter((r) => r.prefix === l.unit)).toEqual([{ asn: `AS${l.asn}`, prefix: l.unit, maxLength: 24, ta: 'arin', expires: expect.any(Number) }]);
      // The route object sits in ARIN's IRR.
      expect(await db.query('SELECT origin, source FROM sandbox_irr_routes WHERE prefix = $1::cidr', [l.unit])).toEqual([{ origin: BigInt(l.asn), source: 'ARIN' }]);

      expect((await requests(l.unit)).map((r) => [r.operation, r.object, r.outcome, r.asn])).toEqual(
        expect.arrayContaining(KINDS.map((k) => ['create', k, 'applied', BigInt(l.asn)])),
      );
      expect(await requests(l.unit)).toHaveLength(3);
    });

    it('answers a second create with done, already in place, and writes each change only once', async () => {
      const l = await aLease('ARIN');
      const first = await createAll(l);
      const second = await createAll(l);
      expect(first.map((o) => o.kind === 'done' && o.alreadyInPlace)).toEqual([false, false, false]);
      expect(second.map((o) => o.kind === 'done' && o.alreadyInPlace)).toEqual([true, true, true]);
      expect(second[0]!.evidence).toMatchObject({ registry: 'sandbox', rir: 'ARIN', object: 'roa', outcome: 'already_present', requestId: expect.any(String) });
      for (const kind of KINDS) {
        const outcomes = (await requests(l.unit)).filter((r) => r.object === kind).map((r) => r.outcome);
        expect({ kind, outcomes }).toEqual({ kind, outcomes: ['applied', 'already_present'] });
      }
      expect(await objectsAt(l.unit)).toEqual({ roas: 1, routes: 1, networks: 1 });
    });

    it('applies each change once when two clients send it at the same time', async () => {
      const l = await aLease('ARIN');
      const answers = await Promise.all([...KINDS, ...KINDS].map((k) => gateways.gatewayFor('ARIN').create(l.spec(k))));
      expect(answers.every((a) => a.kind === 'done')).toBe(true);
      for (const kind of KINDS) {
        const outcomes = (await requests(l.unit)).filter((r) => r.object === kind).map((r) => r.outcome);
        expect({ kind, outcomes: outcomes.sort() }).toEqual({ kind, outcomes: ['already_present', 'applied'] });
      }
      expect(await objectsAt(l.unit)).toEqual({ roas: 1, routes: 1, networks: 1 });
    });

    it.each([
      ['RIPE', 'ASSIGNED PA', 'ripe'],
      ['APNIC', 'ASSIGNED NON-PORTABLE', 'apnic'],
      ['LACNIC', 'REASSIGNED', 'lacnic'],
      ['AFRINIC', 'ASSIGNED PA', 'afrinic'],
    ] as const)("speaks %s's words: sub-assignment type %s, trust anchor %s, its own IRR", async (rir, type, ta) => {
      const l = await aLease(rir);
      const outcomes = await createAll(l);
      expect(outcomes.map((o) => o.kind)).toEqual(['done', 'done', 'done']);
      const [network] = await db.query('SELECT type, holder_handle, customer_handle, customer_name, origin_asn, country FROM sandbox_rir_resources WHERE prefix = $1::cidr', [l.unit]);
      expect(network).toEqual({ type, holder_handle: l.holder.handle, customer_handle: l.customer.handle, customer_name: l.customer.name, origin_asn: BigInt(l.asn), country: 'DE' });
      expect((await vrpsJson()).body.roas.filter((r) => r.prefix === l.unit)).toEqual([expect.objectContaining({ ta })]);
      expect(await db.query('SELECT source FROM sandbox_irr_routes WHERE prefix = $1::cidr', [l.unit])).toEqual([{ source: rir }]);
    });

    it("commits on its own, like an external system: a caller's rollback does not undo it", async () => {
      const l = await aLease('ARIN');
      await expect(
        t.app.get(Transactions).tx(async () => {
          await gateways.gatewayFor('ARIN').create(l.spec('roa'));
          throw new Error('the use case failed after the registry answered');
        }),
      ).rejects.toThrow('the use case failed');
      await expect(gateways.gatewayFor('ARIN').isInPlace(l.spec('roa'))).resolves.toBe(true);
      expect((await requests(l.unit)).map((r) => r.outcome)).toEqual(['applied']);
    });

    it('reads without writing: isInPlace leaves no request behind', async () => {
      const l = await aLease('ARIN');
      for (const kind of KINDS) await expect(gateways.gatewayFor('ARIN').isInPlace(l.spec(kind))).resolves.toBe(false);
      expect(await requests(l.unit)).toEqual([]);
    });
  });

  describe('removing', () => {
    it('makes all three unobservable, and RDAP falls back to the holder’s network', async () => {
      const l = await aLease('ARIN');
      await createAll(l);
      const removed = await removeAll(l);
      expect(removed.map((o) => o.kind === 'done' && o.alreadyInPlace)).toEqual([false, false, false]);

      await expect(observer.observe(l.spec('roa'))).resolves.toMatchObject({ assignment: false, roa: false, route: false });
      const rdap = await rdapGet(registry.baseUrl, `ip/${l.s}.18.77`);
      expect(rdap.status).toBe(200);
      expect(rdap.body).toMatchObject({ handle: `NET-${dashed(l.s)}-16-0-20`, entities: [expect.objectContaining({ handle: l.holder.handle, roles: ['registrant'] })] });
      expect(rdap.body).not.toHaveProperty('remarks');
      expect((await vrpsJson()).body.roas.filter((r) => r.prefix === l.unit)).toEqual([]);
      // The holder's allocation stays.
      expect(await objectsAt(l.allocation)).toMatchObject({ networks: 1 });

      const again = await removeAll(l);
      expect(again.map((o) => o.kind === 'done' && o.alreadyInPlace)).toEqual([true, true, true]);
      const deletes = (await requests(l.unit)).filter((r) => r.operation === 'delete');
      expect(deletes.map((r) => `${r.object} ${r.outcome}`).sort()).toEqual(
        ['assignment absent', 'assignment applied', 'roa absent', 'roa applied', 'route absent', 'route applied'],
      );
    });

    it("never removes the holder's own network, even when it is exactly the unit", async () => {
      const l = await aLease('ARIN');
      await sandbox.resource({ prefix: l.unit, rir: 'ARIN', holderHandle: l.holder.handle });
      await expect(gateways.gatewayFor('ARIN').remove(l.spec('assignment'))).resolves.toMatchObject({ kind: 'done', alreadyInPlace: true });
      expect(await objectsAt(l.unit)).toMatchObject({ networks: 1 });
      expect((await requests(l.unit)).map((r) => r.outcome)).toEqual(['absent']);
    });
  });

  describe('refusals', () => {
    it('refuses a sub-assignment when the RIR has no record of a parent network, and logs it', async () => {
      const l = await aLease('ARIN', { declare: false });
      const outcome = await gateways.gatewayFor('ARIN').create(l.spec('assignment'));
      expect(outcome).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('no record'), evidence: { outcome: 'rejected' } });
      expect(await objectsAt(l.unit)).toEqual({ roas: 0, routes: 0, networks: 0 });
      expect((await requests(l.unit)).map((r) => [r.operation, r.object, r.outcome])).toEqual([['create', 'assignment', 'rejected']]);
    });

    it('refuses a ROA or route object for space the RIR has no record of', async () => {
      const l = await aLease('ARIN', { declare: false });
      for (const kind of ['roa', 'route'] as const) {
        await expect(gateways.gatewayFor('ARIN').create(l.spec(kind))).resolves.toMatchObject({ kind: 'rejected', reason: expect.stringContaining('no record') });
      }
      expect(await objectsAt(l.unit)).toEqual({ roas: 0, routes: 0, networks: 0 });
    });

    it('refuses space that another RIR registered', async () => {
      const l = await aLease('RIPE');
      const outcome = await gateways.gatewayFor('ARIN').create({ ...l.spec('assignment'), rir: 'ARIN' });
      expect(outcome).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('registered at RIPE') });
      expect(await objectsAt(l.unit)).toEqual({ roas: 0, routes: 0, networks: 0 });
    });

    it("refuses to turn the holder's own network into a sub-assignment", async () => {
      const l = await aLease('ARIN');
      await sandbox.resource({ prefix: l.unit, rir: 'ARIN', holderHandle: l.holder.handle });
      const outcome = await gateways.gatewayFor('ARIN').create(l.spec('assignment'));
      expect(outcome).toMatchObject({ kind: 'rejected', reason: expect.stringContaining(`a network of ${l.holder.handle}`) });
      const [row] = await db.query('SELECT customer_handle, type FROM sandbox_rir_resources WHERE prefix = $1::cidr', [l.unit]);
      expect(row).toEqual({ customer_handle: null, type: 'DIRECT ALLOCATION' });
    });

    it("refuses a sub-assignment of space already assigned to another customer", async () => {
      const l = await aLease('ARIN');
      await expect(gateways.gatewayFor('ARIN').create(l.spec('assignment'))).resolves.toMatchObject({ kind: 'done' });
      const other = { ...l.spec('assignment'), customer: { handle: aHandle('CUST'), name: 'Someone Else' } };
      await expect(gateways.gatewayFor('ARIN').create(other)).resolves.toMatchObject({ kind: 'rejected', reason: expect.stringContaining(`sub-assignment to ${l.customer.handle}`) });
      // Nor may the other customer remove it.
      await expect(gateways.gatewayFor('ARIN').remove(other)).resolves.toMatchObject({ kind: 'done', alreadyInPlace: true });
      await expect(gateways.gatewayFor('ARIN').isInPlace(l.spec('assignment'))).resolves.toBe(true);
    });

    it('refuses an end user whose handle the registry could not issue', async () => {
      const l = await aLease('ARIN');
      const outcome = await gateways.gatewayFor('ARIN').create({ ...l.spec('assignment'), customer: { handle: 'NOT A HANDLE', name: 'X' } });
      expect(outcome).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('not a registry handle') });
      expect((await requests(l.unit)).map((r) => r.outcome)).toEqual(['rejected']);
    });
  });

  describe('scripted behaviour', () => {
    afterEach(restoreBehaviour);

    it("'reject': every write is rejected for good, nothing is written, each request is logged", async () => {
      const l = await aLease('LACNIC');
      await sandbox.behaviour({ rir: 'LACNIC', changes: 'reject' });
      const outcomes = [...(await createAll(l)), ...(await removeAll(l))];
      for (const o of outcomes) expect(o).toMatchObject({ kind: 'rejected', reason: 'the LACNIC registry refused the change (scripted)' });
      expect(await objectsAt(l.unit)).toEqual({ roas: 0, routes: 0, networks: 0 });
      expect((await requests(l.unit)).map((r) => r.outcome)).toEqual(Array(6).fill('rejected'));
      await expect(observer.observe(l.spec('roa'))).resolves.toMatchObject({ assignment: false, roa: false, route: false });
    });

    it("'unavailable': writes throw RegistryUnavailableError (worth retrying), nothing is written, each request is logged", async () => {
      const l = await aLease('AFRINIC');
      await sandbox.behaviour({ rir: 'AFRINIC', changes: 'unavailable' });
      for (const kind of KINDS) {
        await expect(gateways.gatewayFor('AFRINIC').create(l.spec(kind))).rejects.toBeInstanceOf(RegistryUnavailableError);
      }
      await expect(gateways.gatewayFor('AFRINIC').remove(l.spec('roa'))).rejects.toBeInstanceOf(RegistryUnavailableError);
      expect(await objectsAt(l.unit)).toEqual({ roas: 0, routes: 0, networks: 0 });
      expect((await requests(l.unit)).map((r) => r.outcome)).toEqual(Array(4).fill('unavailable'));

      // Back up: the retry goes through.
      await sandbox.behaviour({ rir: 'AFRINIC', changes: 'apply' });
      await expect(gateways.gatewayFor('AFRINIC').create(l.spec('roa'))).resolves.toMatchObject({ kind: 'done', alreadyInPlace: false });
    });

    it('changeDelayMs: the registry answers only after the scripted delay, and writes nothing before', async () => {
      const l = await aLease('AFRINIC');
      await sandbox.behaviour({ rir: 'AFRINIC', changeDelayMs: 800 });
      const started = Date.now();
      const pending = gateways.gatewayFor('AFRINIC').create(l.spec('roa'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(gateways.gatewayFor('AFRINIC').isInPlace(l.spec('roa'))).resolves.toBe(false);
      expect(await requests(l.unit)).toEqual([]);
      await expect(pending).resolves.toMatchObject({ kind: 'done', alreadyInPlace: false });
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      expect((await requests(l.unit)).map((r) => r.outcome)).toEqual(['applied']);
    });
  });

  describe('PUT /v1/sandbox/registry/behaviour (changes)', () => {
    afterEach(restoreBehaviour);

    it('sets changes and changeDelayMs, keeps fields left out, and GET shows them', async () => {
      const set = await sandbox.behaviour({ rir: 'LACNIC', changes: 'unavailable', changeDelayMs: 1500 });
      expect(set).toMatchObject({ rir: 'LACNIC', changes: 'unavailable', changeDelayMs: 1500 });
      const partial = await sandbox.behaviour({ rir: 'LACNIC', changes: 'reject' });
      expect(partial).toMatchObject({ rir: 'LACNIC', changes: 'reject', changeDelayMs: 1500 });
      const all = await t.http.get('/v1/sandbox/registry/behaviour').set(bearer(t.adminToken));
      expect(all.status).toBe(200);
      expect(all.body.data.find((b: { rir: string }) => b.rir === 'LACNIC')).toMatchObject({ changes: 'reject', changeDelayMs: 1500 });
      expect(all.body.data.every((b: Record<string, unknown>) => ['apply', 'reject', 'unavailable'].includes(b.changes as string) && typeof b.changeDelayMs === 'number')).toBe(true);
    });

    it.each([
      ['an unknown answer', { changes: 'maybe' }, 'body.changes'],
      ['a negative delay', { changeDelayMs: -1 }, 'body.changeDelayMs'],
      ['a delay above a minute', { changeDelayMs: 60_001 }, 'body.changeDelayMs'],
      ['a fractional delay', { changeDelayMs: 1.5 }, 'body.changeDelayMs'],
      ['a delay as text', { changeDelayMs: '100' }, 'body.changeDelayMs'],
    ])('refuses %s (422, nothing changes)', async (_what, patch, field) => {
      const before = await db.query("SELECT changes, change_delay_ms FROM sandbox_rir_behaviour WHERE rir = 'LACNIC'");
      const res = await t.http.put('/v1/sandbox/registry/behaviour').set(bearer(t.adminToken)).send({ rir: 'LACNIC', changes: 'reject', ...patch });
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expect(await db.query("SELECT changes, change_delay_ms FROM sandbox_rir_behaviour WHERE rir = 'LACNIC'")).toEqual(before);
    });
  });

  describe('GET /sandbox/rpki/vrps.json', () => {
    it("is public and well-formed: rpki-client's layout, counted, ordered by prefix then ASN", async () => {
      const l = await aLease('ARIN');
      // Three ROAs on two prefixes, made out of order.
      const later = { ...l.spec('roa'), prefix: `${l.s}.20.0/24` };
      await gateways.gatewayFor('ARIN').create(later);
      await gateways.gatewayFor('ARIN').create({ ...l.spec('roa'), asn: l.asn + 1 });
      await gateways.gatewayFor('ARIN').create(l.spec('roa'));

      const res = await vrpsJson();
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^application\/json/);
      const { metadata, roas } = res.body;
      expect(Number.isNaN(Date.parse(metadata.buildtime))).toBe(false);
      expect(metadata.roas).toBe(roas.length);
      for (const r of roas) {
        expect(r).toEqual({ asn: expect.stringMatching(/^AS[0-9]+$/), prefix: expect.any(String), maxLength: expect.any(Number), ta: expect.stringMatching(/^(arin|ripe|apnic|lacnic|afrinic)$/), expires: expect.any(Number) });
        const p = parsePrefix(r.prefix);
        expect(p.ok && (r.maxLength as number) >= p.value.length && (r.maxLength as number) <= 32).toBe(true);
      }
      const keys = roas.map((r) => ({ p: parsePrefixOrThrow(r.prefix as string), asn: Number((r.asn as string).slice(2)) }));
      const sorted = [...keys].sort((a, b) => comparePrefixes(a.p, b.p) || a.asn - b.asn);
      expect(keys).toEqual(sorted);
      expect(roas.filter((r) => (r.prefix as string).startsWith(`${l.s}.`)).map((r) => `${r.prefix} ${r.asn}`)).toEqual([
        `${l.unit} AS${l.asn}`,
        `${l.unit} AS${l.asn + 1}`,
        `${l.s}.20.0/24 AS${l.asn}`,
      ]);
      const [created] = await db.query('SELECT created_at FROM sandbox_rir_roas WHERE prefix = $1::cidr AND asn = $2', [l.unit, l.asn]);
      const mine = roas.find((r) => r.prefix === l.unit && r.asn === `AS${l.asn}`)!;
      const yearLater = new Date(created.created_at);
      yearLater.setUTCFullYear(yearLater.getUTCFullYear() + 1);
      expect(mine.expires).toBe(Math.floor(yearLater.getTime() / 1000));

      // The real VrpClient reads it as it would read a validator's export.
      const vrps = await t.app.get(VrpClient).vrps();
      // ... with the ROA's expiry as the export states it (Unix seconds -> a Date).
      const exported = roas.find((r) => r.prefix === l.unit && r.asn === `AS${l.asn}`)!;
      expect(vrps).toEqual(expect.arrayContaining([{ asn: l.asn, prefix: l.unit, maxLength: 24, ta: 'arin', expires: new Date((exported.expires as number) * 1000) }]));
    });

    it('dates the ROAs a stand-in RIR signs by its scripted roaValidityDays, and a year again once reset (null)', async () => {
      const set = await sandbox.behaviour({ rir: 'LACNIC', roaValidityDays: 40 });
      expect(set).toMatchObject({ rir: 'LACNIC', roaValidityDays: 40 });
      try {
        const l = await aLease('LACNIC');
        await expect(gateways.gatewayFor('LACNIC').create(l.spec('roa'))).resolves.toMatchObject({ kind: 'done' });
        const [row] = await db.query('SELECT created_at, expires_at FROM sandbox_rir_roas WHERE prefix = $1::cidr AND asn = $2', [l.unit, l.asn]);
        expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(40 * 86_400_000);
        const mine = (await vrpsJson()).body.roas.find((r) => r.prefix === l.unit && r.asn === `AS${l.asn}`)!;
        expect(mine.expires).toBe(Math.floor(row.expires_at.getTime() / 1000));
      } finally {
        expect(await sandbox.behaviour({ rir: 'LACNIC', roaValidityDays: null })).toMatchObject({ rir: 'LACNIC', roaValidityDays: null });
      }
      const res = await t.http.put('/v1/sandbox/registry/behaviour').set(bearer(t.adminToken)).send({ rir: 'LACNIC', roaValidityDays: 0 });
      expect(res.status).toBe(422);
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

    it('GET /sandbox/rpki/vrps.json answers 404 SANDBOX.DISABLED', async () => {
      expectProblem(await live.http.get('/sandbox/rpki/vrps.json'), 404, 'SANDBOX.DISABLED');
    });

    it('the gateways make no change and say it must be made by hand at the RIR', async () => {
      const l = await aLease('ARIN');
      const gateway = live.app.get(RegistryGateways).gatewayFor('ARIN');
      for (const kind of KINDS) {
        await expect(gateway.create(l.spec(kind))).resolves.toMatchObject({ kind: 'rejected', reason: expect.stringContaining('by hand at ARIN') });
        await expect(gateway.isInPlace(l.spec(kind))).resolves.toBe(false);
      }
      expect(await objectsAt(l.unit)).toEqual({ roas: 0, routes: 0, networks: 0 });
      expect(await requests(l.unit)).toEqual([]);
    });
  });
});
