import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Clock } from '@app/platform';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { type TestBlock, type TestRir, aMandate, aVerifiedBlock } from './support/inventory-fixtures.js';
import { aLeaseBody, aListing, aSaleBody, searchAll } from './support/listings-fixtures.js';
import { expectProblem } from './support/problem.js';
import { waitFor } from './support/queues.js';

/**
 * GET /v1/listings: filters checked against an independent SQL count and a model in
 * JavaScript on random data; keyset pagination over 1,000 listings, with rows inserted
 * between page requests. The database is shared with the other test files of the run.
 */

/** A small seeded PRNG (mulberry32), so that a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

const SEED = Number(process.env.LISTINGS_SEARCH_SEED ?? Date.now() % 1_000_000);
const random = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

const RIRS: readonly TestRir[] = ['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'];
const COUNTRIES = ['DE', 'US', 'JP', 'BR', 'ZA', null] as const;
const CURRENCIES = ['USD', 'EUR', 'GBP'] as const;

/** Runs `work` over `items`, `n` at a time. */
async function inBatches<T, R>(items: readonly T[], n: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += n) out.push(...(await Promise.all(items.slice(i, i + n).map(work))));
  return out;
}

interface ModelRow {
  id: string;
  kind: string;
  status: string;
  rir: string;
  country: string | null;
  price_minor: bigint;
  currency: string;
  unit_prefix_length: number;
  units_free: number;
  mandate_expires_at: Date | null;
}

type Filter = Record<string, string>;

describe('listing search (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let holders: TestOrg[];
  let broker: TestOrg;
  let searcher: string;

  beforeAll(async () => {
    t = await startApi();
    db = t.app.get(DataSource);
    holders = [await anOrg(t), await anOrg(t), await anOrg(t)];
    broker = await anOrg(t);
    searcher = (await aKey(t, (await anOrg(t)).id, 'viewer')).apiKey;
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('filters, against an independent count (seed in the test name)', () => {
    const mine = new Set<string>();

    beforeAll(async () => {
      const clock = t.app.get(Clock);
      let lastExpiry = 0;
      const plans = Array.from({ length: 300 }, () => ({
        holder: pick(holders),
        length: pick([22, 23, 24] as const),
        rir: pick(RIRS),
        country: pick(COUNTRIES),
        kind: random() < 0.65 ? ('lease' as const) : ('sale' as const),
        currency: pick(CURRENCIES),
        price: random() < 0.5 ? int(1, 200) : int(1000, 6000),
        unitExtra: int(0, 2),
        minTerm: int(1, 120),
        // a broker's listing, half of them under a mandate that is about to expire
        broker: random() < 0.15 ? (random() < 0.5 ? 'expiring' : 'live') : null,
        then: random() < 0.15 ? 'pause' : random() < 0.1 ? 'withdraw' : null,
        unitsFreeShare: random(),
      }));
      // The mandates about to expire go first, so that they are still live when listed.
      plans.sort((a, b) => Number(b.broker === 'expiring') - Number(a.broker === 'expiring'));
      const created = await inBatches(plans, 10, async (p) => {
        const b: TestBlock = await aVerifiedBlock(db, { holderOrgId: p.holder.id, length: p.length, rir: p.rir, country: p.country });
        let token = p.holder.apiKey;
        if (p.broker) {
          const expiresAt = new Date((await clock.now()).getTime() + (p.broker === 'expiring' ? 3_000 : 30 * 24 * 3600_000));
          if (p.broker === 'expiring') lastExpiry = Math.max(lastExpiry, expiresAt.getTime());
          await aMandate(db, { block: b, brokerOrgId: broker.id, expiresAt });
          token = broker.apiKey;
        }
        const money = { amountMinor: p.price, currency: p.currency };
        const body =
          p.kind === 'lease'
            ? aLeaseBody(b.id, { pricePerIpMonth: money, unitPrefixLength: Math.min(24, p.length + p.unitExtra), minTermMonths: p.minTerm })
            : aSaleBody(b.id, money);
        const listing = await aListing(t, token, body);
        if (p.then) await t.http.post(`/v1/listings/${listing.id}/${p.then}`).set(bearer(token)).expect(200);
        // The leases context keeps units_free; here it stands in with an UPDATE.
        await db.query('UPDATE listings SET units_free = floor(units_total * $2::float8)::int WHERE id = $1', [listing.id, p.unitsFreeShare]);
        return listing.id;
      });
      for (const id of created) mine.add(id);
      await waitFor('the short mandates to expire', async () => (await clock.now()).getTime() > lastExpiry, { timeoutMs: 10_000 });
    });

    /** The count, written apart from the endpoint's query: NULL-tolerant predicates, coalesce for the authority. */
    async function sqlCount(f: Filter): Promise<number> {
      const [row]: { n: number }[] = await db.query(
        `SELECT count(*)::int AS n FROM listings
          WHERE status = 'active' AND coalesce(mandate_expires_at, 'infinity'::timestamptz) > $1
            AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR rir = $3) AND ($4::text IS NULL OR country = $4)
            AND ($5::int IS NULL OR unit_prefix_length >= $5) AND ($6::bigint IS NULL OR price_minor <= $6)
            AND ($7::text IS NULL OR currency = $7) AND ($8::int IS NULL OR units_free >= $8)`,
        [
          await t.app.get(Clock).now(),
          f.kind ?? null,
          f.rir ?? null,
          f.country ?? null,
          f.minUnitPrefixLength ?? null,
          f.maxPricePerIpMinor ?? null,
          f.currency ?? null,
          f.minFreeUnits ?? null,
        ],
      );
      return row!.n;
    }

    /** The same filter as plain JavaScript over the rows this test made. */
    function model(rows: ModelRow[], f: Filter, now: Date): Set<string> {
      return new Set(
        rows
          .filter(
            (r) =>
              r.status === 'active' &&
              (r.mandate_expires_at === null || r.mandate_expires_at > now) &&
              (f.kind === undefined || r.kind === f.kind) &&
              (f.rir === undefined || r.rir === f.rir) &&
              (f.country === undefined || r.country === f.country) &&
              (f.minUnitPrefixLength === undefined || r.unit_prefix_length >= Number(f.minUnitPrefixLength)) &&
              (f.maxPricePerIpMinor === undefined || r.price_minor <= BigInt(f.maxPricePerIpMinor)) &&
              (f.currency === undefined || r.currency === f.currency) &&
              (f.minFreeUnits === undefined || r.units_free >= Number(f.minFreeUnits)),
          )
          .map((r) => r.id),
      );
    }

    function randomFilter(): Filter {
      const f: Filter = {};
      const maybe = (p: number, key: string, value: () => string | number) => {
        if (random() < p) f[key] = String(value());
      };
      maybe(0.5, 'kind', () => pick(['lease', 'sale']));
      maybe(0.4, 'rir', () => pick(RIRS));
      maybe(0.3, 'country', () => pick(['DE', 'US', 'JP', 'BR', 'ZA']));
      maybe(0.3, 'minUnitPrefixLength', () => int(21, 24));
      maybe(0.4, 'currency', () => pick(CURRENCIES));
      if (f.currency) maybe(0.6, 'maxPricePerIpMinor', () => pick([int(1, 200), int(1000, 6000)]));
      maybe(0.3, 'minFreeUnits', () => int(0, 4));
      return f;
    }

    const FILTERS = Array.from({ length: 24 }, () => randomFilter());

    it(`made a mix worth searching (seed ${SEED})`, async () => {
      const [mix] = await db.query(
        `SELECT count(*) FILTER (WHERE status = 'active')::int AS active, count(*) FILTER (WHERE status <> 'active')::int AS other,
                count(*) FILTER (WHERE mandate_expires_at < $2)::int AS expired, count(DISTINCT kind)::int AS kinds
           FROM listings WHERE id = ANY($1::uuid[])`,
        [[...mine], await t.app.get(Clock).now()],
      );
      expect(mix.active).toBeGreaterThan(150);
      expect(mix.other).toBeGreaterThan(20);
      expect(mix.expired).toBeGreaterThan(5);
      expect(mix.kinds).toBe(2);
    });

    it.each(FILTERS.map((f, i) => [i, JSON.stringify(f), f] as const))(`filter %i %s (seed ${SEED})`, async (_i, _text, f) => {
      const limit = int(20, 500);
      const served = await searchAll(t, searcher, f, limit);
      const ids = served.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(await sqlCount(f));
      const rows: ModelRow[] = await db.query(
        `SELECT id, kind, status, rir, country, price_minor, currency, unit_prefix_length, units_free, mandate_expires_at
           FROM listings WHERE id = ANY($1::uuid[])`,
        [[...mine]],
      );
      const expected = model(rows, f, await t.app.get(Clock).now());
      expect(ids.filter((id) => mine.has(id)).sort()).toEqual([...expected].sort());
    });

    it('answers each listing as GET /v1/listings/{id} does', async () => {
      const page = await t.http.get('/v1/listings').query({ kind: 'lease', limit: '5' }).set(bearer(searcher));
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeGreaterThan(0);
      for (const row of page.body.data) {
        const one = await t.http.get(`/v1/listings/${row.id}`).set(bearer(searcher));
        expect(one.body).toEqual(row);
      }
    });
  });

  describe('pagination over 1,000 listings', () => {
    const COUNTRY = 'AQ'; // no other test lists space in Antarctica
    let originals: string[];

    /** What the database says the search should give, newest first. */
    async function expectedOrder(): Promise<string[]> {
      const rows: { id: string }[] = await db.query(
        `SELECT id FROM listings WHERE country = $1 AND status = 'active' ORDER BY created_at DESC, id DESC`,
        [COUNTRY],
      );
      return rows.map((r) => r.id);
    }

    beforeAll(async () => {
      const holder = holders[0]!;
      const blocks = await inBatches(Array.from({ length: 500 }), 10, () => aVerifiedBlock(db, { holderOrgId: holder.id, country: COUNTRY, rir: 'ARIN' }));
      await inBatches(blocks, 10, async (b) => {
        await aListing(t, holder.apiKey, aLeaseBody(b.id));
        await aListing(t, holder.apiKey, aSaleBody(b.id));
      });
      // Two hundred listings created in the very same millisecond: the id breaks the tie.
      await db.query(
        `UPDATE listings SET created_at = date_trunc('milliseconds', now()) - interval '1 hour'
          WHERE id IN (SELECT id FROM listings WHERE country = $1 ORDER BY random() LIMIT 200)`,
        [COUNTRY],
      );
      originals = await expectedOrder();
      expect(originals).toHaveLength(1000);
    });

    it('walks every row exactly once, newest first, while new listings arrive between pages', async () => {
      const holder = holders[1]!;
      const seen: string[] = [];
      const arrived: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: Response = await t.http
          .get('/v1/listings')
          .query({ country: COUNTRY, limit: '37', ...(cursor ? { cursor } : {}) })
          .set(bearer(searcher));
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(37);
        seen.push(...res.body.data.map((r: { id: string }) => r.id));
        cursor = res.body.nextCursor;
        pages++;
        // Between two page requests: a new listing (newer than every cursor), and one
        // backdated into the part of the list still to come.
        const fresh = await aListing(t, holder.apiKey, aLeaseBody((await aVerifiedBlock(db, { holderOrgId: holder.id, country: COUNTRY })).id));
        const older = await aListing(t, holder.apiKey, aSaleBody((await aVerifiedBlock(db, { holderOrgId: holder.id, country: COUNTRY })).id));
        await db.query(`UPDATE listings SET created_at = date_trunc('milliseconds', now()) - interval '10 years' WHERE id = $1`, [older.id]);
        arrived.push(fresh.id, older.id);
      } while (cursor);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(1000 / 37));
      expect(new Set(seen).size).toBe(seen.length);
      // Every original exactly once, in the order the database sorts them.
      expect(seen.filter((id) => originals.includes(id))).toEqual(originals);
      // What else was served arrived during the walk; the fresh ones never (they are newer than every cursor).
      const extra = seen.filter((id) => !originals.includes(id));
      for (const id of extra) expect(arrived).toContain(id);
      expect(extra.filter((id) => arrived.indexOf(id) % 2 === 0)).toEqual([]);
      // A new walk finds everything, in order.
      const again = (await searchAll(t, searcher, { country: COUNTRY }, 101)).map((r) => r.id);
      expect(again).toEqual(await expectedOrder());
      expect(again).toHaveLength(1000 + arrived.length);
    });

    it('serves the same rows whatever the page size', async () => {
      const all = await expectedOrder();
      for (const limit of [1, 7, 500]) {
        const walked = (await searchAll(t, searcher, { country: COUNTRY, kind: 'sale' }, limit)).map((r) => r.id);
        const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM listings WHERE country = $1 AND kind = 'sale' AND status = 'active'`, [COUNTRY]);
        expect(walked).toHaveLength(n);
        expect(walked).toEqual(all.filter((id) => walked.includes(id)));
      }
    });

    it('answers 50 rows by default and at most 500', async () => {
      const page = await t.http.get('/v1/listings').query({ country: COUNTRY }).set(bearer(searcher));
      expect({ n: page.body.data.length, more: typeof page.body.nextCursor }).toEqual({ n: 50, more: 'string' });
      const big = await t.http.get('/v1/listings').query({ country: COUNTRY, limit: '500' }).set(bearer(searcher));
      expect(big.body.data).toHaveLength(500);
    });
  });

  describe('bad filters (422 naming the field)', () => {
    it.each([
      ['kind', { kind: 'rent' }, 'query.kind', 'VALIDATION.INVALID_VALUE'],
      ['kind given twice', { kind: ['lease', 'sale'] }, 'query.kind', 'VALIDATION.INVALID_VALUE'],
      ['rir', { rir: 'IANA' }, 'query.rir', 'VALIDATION.INVALID_VALUE'],
      ['lower-case rir', { rir: 'ripe' }, 'query.rir', 'VALIDATION.INVALID_VALUE'],
      ['lower-case country', { country: 'de' }, 'query.country', 'VALIDATION.INVALID_FORMAT'],
      ['three-letter country', { country: 'DEU' }, 'query.country', 'VALIDATION.INVALID_FORMAT'],
      ['unit length below /8', { minUnitPrefixLength: '7' }, 'query.minUnitPrefixLength', 'VALIDATION.TOO_SMALL'],
      ['unit length past /24', { minUnitPrefixLength: '25' }, 'query.minUnitPrefixLength', 'VALIDATION.TOO_BIG'],
      ['unit length not a number', { minUnitPrefixLength: 'x24' }, 'query.minUnitPrefixLength', 'VALIDATION.INVALID_FORMAT'],
      ['unit length in exponent form', { minUnitPrefixLength: '2e1' }, 'query.minUnitPrefixLength', 'VALIDATION.INVALID_FORMAT'],
      ['price cap without currency', { maxPricePerIpMinor: '50' }, 'query.currency', 'LISTING.CURRENCY_REQUIRED'],
      ['price cap of zero', { maxPricePerIpMinor: '0', currency: 'USD' }, 'query.maxPricePerIpMinor', 'MONEY.NOT_POSITIVE'],
      ['negative price cap', { maxPricePerIpMinor: '-5', currency: 'USD' }, 'query.maxPricePerIpMinor', 'VALIDATION.INVALID_FORMAT'],
      ['fractional price cap', { maxPricePerIpMinor: '5.5', currency: 'USD' }, 'query.maxPricePerIpMinor', 'VALIDATION.INVALID_FORMAT'],
      ['absurd price cap', { maxPricePerIpMinor: '99999999999999999999', currency: 'USD' }, 'query.maxPricePerIpMinor', 'VALIDATION.INVALID_FORMAT'],
      ['price cap past the largest amount', { maxPricePerIpMinor: '1000000000000001', currency: 'USD' }, 'query.maxPricePerIpMinor', 'MONEY.TOO_LARGE'],
      ['unknown currency', { currency: 'XYZ' }, 'query.currency', 'MONEY.UNKNOWN_CURRENCY'],
      ['lower-case currency', { currency: 'usd' }, 'query.currency', 'MONEY.UNKNOWN_CURRENCY'],
      ['negative free units', { minFreeUnits: '-1' }, 'query.minFreeUnits', 'VALIDATION.INVALID_FORMAT'],
      ['limit of 0', { limit: '0' }, 'query.limit', 'VALIDATION.TOO_SMALL'],
      ['limit past 500', { limit: '501' }, 'query.limit', 'VALIDATION.TOO_BIG'],
      ['cursor that is not ours', { cursor: 'bm90IGEgY3Vyc29y' }, 'query.cursor', 'PAGINATION.INVALID_CURSOR'],
      ['cursor of year 0000', { cursor: Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000Z', '8a1c1f52-0b5e-4a9e-9d59-3f6f2d1b7c10'])).toString('base64url') }, 'query.cursor', 'PAGINATION.INVALID_CURSOR'],
      ['unknown filter', { maxPrice: '50' }, 'query.maxPrice', 'VALIDATION.UNKNOWN_FIELD'],
    ])('%s', async (_what, query, field, code) => {
      const res = await t.http.get('/v1/listings').query(query).set(bearer(searcher));
      expectProblem(res, 422);
      expect(res.body.errors).toContainEqual({ field, code, message: expect.any(String) });
    });

    it('names every bad filter at once', async () => {
      const res = await t.http.get('/v1/listings').query({ kind: 'rent', rir: 'X', minFreeUnits: 'many' }).set(bearer(searcher));
      expectProblem(res, 422);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['query.kind', 'query.minFreeUnits', 'query.rir']);
    });

    it('needs a valid key (401), and any role of any organisation may search', async () => {
      expectProblem(await t.http.get('/v1/listings'), 401, 'AUTH.UNAUTHENTICATED');
      for (const role of ['admin', 'trader', 'finance', 'ops', 'viewer'] as const) {
        const key = await aKey(t, holders[2]!.id, role);
        expect((await t.http.get('/v1/listings').query({ limit: '1' }).set(bearer(key.apiKey))).status).toBe(200);
      }
      expect((await t.http.get('/v1/listings').query({ limit: '1' }).set(bearer(t.adminToken))).status).toBe(200);
    });

    it('documents the endpoints and the filters in OpenAPI', async () => {
      const doc = (await t.http.get('/docs/openapi.json')).body;
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/v1/listings', '/v1/listings/{id}', '/v1/listings/{id}/pause', '/v1/listings/{id}/resume', '/v1/listings/{id}/withdraw']),
      );
      const names = doc.paths['/v1/listings'].get.parameters.map((p: { name: string }) => p.name);
      expect(names).toEqual(expect.arrayContaining(['kind', 'rir', 'country', 'minUnitPrefixLength', 'maxPricePerIpMinor', 'currency', 'minFreeUnits', 'limit', 'cursor']));
      expect(doc.paths['/v1/listings'].post.requestBody).toBeDefined();
    });
  });
});
