import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { aLease, aLeaseListing, aLeaseRequest, getLease, leaseRowsOf, postLease } from './support/lease-fixtures.js';
import { aListing, aSaleBody } from './support/listings-fixtures.js';
import { aVerifiedBlock } from './support/inventory-fixtures.js';
import { expectProblem } from './support/problem.js';

/**
 * POST /v1/leases (API.md "Leases"): what is refused, and how the space commitments'
 * constraint decides races. No worker runs here: leases stay in provisioning (the lifecycle
 * file runs the worker).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function addressOf(prefix: string): number {
  return prefix
    .split('/')[0]!
    .split('.')
    .reduce((n, octet) => n * 256 + Number(octet), 0);
}

describe('leases: taking a unit (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let lessee: TestOrg;

  beforeAll(async () => {
    t = await startApi({ LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' });
    db = t.app.get(DataSource);
    lessee = await anOrg(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leases the lowest free unit and answers the lease in provisioning, with its first event and risks', async () => {
    const { block, listing, holder } = await aLeaseListing(t, db, { length: 23 });
    const res = await postLease(t, lessee.apiKey, aLeaseRequest(listing.id, { termMonths: 12, noticeDays: 45 }));
    expect(res.status).toBe(201);
    expect(res.body).toEqual(
      expect.objectContaining({
        id: expect.stringMatching(UUID),
        status: 'provisioning',
        prefix: `${block.prefix.split('/')[0]}/24`,
        listingId: listing.id,
        blockId: block.id,
        lessorOrgId: holder.id,
        holderOrgId: holder.id,
        lesseeOrgId: lessee.id,
        lesseeAsn: 213415,
        termMonths: 12,
        autoRenew: true,
        noticeDays: 45,
        price: { pricePerIpMonth: { amountMinor: 40, currency: 'USD' }, monthly: { amountMinor: 40 * 256, currency: 'USD' } },
        startsAt: expect.stringMatching(ISO),
        endsAt: expect.stringMatching(ISO),
        termNumber: 1,
        notice: null,
      }),
    );
    const starts = new Date(res.body.startsAt);
    const ends = new Date(res.body.endsAt);
    expect(ends.getUTCFullYear() * 12 + ends.getUTCMonth() - (starts.getUTCFullYear() * 12 + starts.getUTCMonth())).toBe(12);
    expect(ends.getTime() - new Date(res.body.noticeDeadline).getTime()).toBe(45 * 24 * 3600_000);

    const detail = await getLease(t, lessee.apiKey, res.body.id);
    expect(detail.events).toEqual([
      expect.objectContaining({ seq: 1, event: 'created', from: null, to: 'provisioning', actor: expect.objectContaining({ type: 'api_key', orgId: lessee.id, party: 'lessee' }) }),
    ]);
    expect(detail.registryChanges.map((c: { phase: string; change: string; status: string }) => `${c.phase}:${c.change}:${c.status}`).sort()).toEqual([
      'provision:assignment:pending',
      'provision:roa:pending',
      'provision:route:pending',
    ]);
    const routing = detail.risks.find((r: { risk: string }) => r.risk === 'routing');
    expect(routing).toMatchObject({ bearer: 'lessee', status: 'open' });
    expect(detail.risks.map((r: { risk: string }) => r.risk)).toEqual(['continuity', 'reputation', 'routing', 'renewal_lapse']);
    // The lessor sees it; an organisation that is no party does not learn it exists.
    expect((await getLease(t, holder.apiKey, res.body.id)).id).toBe(res.body.id);
    const stranger = await anOrg(t);
    expectProblem(await t.http.get(`/v1/leases/${res.body.id}`).set(bearer(stranger.apiKey)), 404, 'LEASE.NOT_FOUND');
    // The listing counts one unit fewer.
    expect((await t.http.get(`/v1/listings/${listing.id}`).set(bearer(lessee.apiKey))).body).toMatchObject({ unitsTotal: 2, unitsFree: 1 });
    // The lessee's list has it; the stranger's does not.
    const mine = await t.http.get('/v1/leases?as=lessee&limit=500').set(bearer(lessee.apiKey));
    expect(mine.body.data.map((l: { id: string }) => l.id)).toContain(res.body.id);
    const theirs = await t.http.get('/v1/leases?limit=500').set(bearer(stranger.apiKey));
    expect(theirs.body.data).toEqual([]);
  });

  it('200 concurrent requests for a one-unit listing: exactly one 201 and 199 × 409', async () => {
    const { block, listing } = await aLeaseListing(t, db, { length: 24 });
    const lessees = await Promise.all([0, 1, 2, 3].map(() => anOrg(t)));
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => postLease(t, lessees[i % 4]!.apiKey, aLeaseRequest(listing.id))));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(199);
    for (const r of answers.filter((a) => a.status === 409)) expectProblem(r, 409, 'LEASE.UNIT_UNAVAILABLE');
    expect(await leaseRowsOf(db, block.id)).toEqual({ leases: 1, commitments: 1 });
  });

  it('80 concurrent requests on a /22 of /24 units: exactly four leases, disjoint, inside the block', async () => {
    const { block, listing } = await aLeaseListing(t, db, { length: 22 });
    const lessees = await Promise.all([0, 1, 2, 3, 4].map(() => anOrg(t)));
    const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => postLease(t, lessees[i % 5]!.apiKey, aLeaseRequest(listing.id))));
    const created = answers.filter((r) => r.status === 201);
    expect(created).toHaveLength(4);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(76);
    const base = addressOf(block.prefix);
    const prefixes = created.map((r) => r.body.prefix as string).sort((a, b) => addressOf(a) - addressOf(b));
    expect(prefixes).toEqual([0, 1, 2, 3].map((i) => `${[base + i * 256].map((n) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, 0].join('.'))[0]}/24`));
    expect(await leaseRowsOf(db, block.id)).toEqual({ leases: 4, commitments: 4 });
    expect((await t.http.get(`/v1/listings/${listing.id}`).set(bearer(lessees[0]!.apiKey))).body).toMatchObject({ unitsFree: 0 });
  });

  it('asking for a taken unit is 409; asking for a free one gets exactly that one', async () => {
    const { block, listing } = await aLeaseListing(t, db, { length: 22 });
    const base = addressOf(block.prefix);
    const third = `${[(base + 512) >>> 24, ((base + 512) >>> 16) & 255, ((base + 512) >>> 8) & 255, 0].join('.')}/24`;
    const first = await aLease(t, lessee.apiKey, aLeaseRequest(listing.id, { prefix: third }));
    expect(first.prefix).toBe(third);
    const other = await anOrg(t);
    expectProblem(await postLease(t, other.apiKey, aLeaseRequest(listing.id, { prefix: third })), 409, 'LEASE.UNIT_UNAVAILABLE');
    // Without a prefix the lowest free unit is taken: the first /24, not the third.
    const next = await aLease(t, other.apiKey, aLeaseRequest(listing.id));
    expect(next.prefix).toBe(`${block.prefix.split('/')[0]}/24`);
    expect(await leaseRowsOf(db, block.id)).toEqual({ leases: 2, commitments: 2 });
  });

  it('the constraint itself refuses overlapping live commitments, whoever writes them', async () => {
    const { block } = await aLeaseListing(t, db, { length: 23 });
    const insert = (prefix: string) =>
      db.query(`INSERT INTO space_commitments (block_id, prefix, period, kind, reference, created_at) VALUES ($1, $2, tstzrange(now(), NULL), 'lease', $3, now())`, [
        block.id,
        prefix,
        randomUUID(),
      ]);
    await insert(block.prefix);
    const half = `${block.prefix.split('/')[0]}/24`;
    await expect(insert(half)).rejects.toMatchObject({ driverError: { code: '23P01' } });
    // A released commitment no longer holds its space.
    await db.query(
      `UPDATE space_commitments SET released_at = now(), release_reason = 'test', period = tstzrange(lower(period), now() + interval '1 ms') WHERE block_id = $1`,
      [block.id],
    );
    await insert(half);
  });

  it('keeps lease history append-only: UPDATE and DELETE on lease_events are refused', async () => {
    const { listing } = await aLeaseListing(t, db, { length: 24 });
    const lease = await aLease(t, lessee.apiKey, aLeaseRequest(listing.id));
    await expect(db.query(`UPDATE lease_events SET event = 'forged' WHERE lease_id = $1`, [lease.id])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM lease_events WHERE lease_id = $1', [lease.id])).rejects.toThrow(/append-only/);
    expect((await getLease(t, lessee.apiKey, lease.id)).events.map((e) => e.event)).toEqual(['created']);
  });

  describe('refusals: a 4xx problem, and nothing stored', () => {
    let shared: Awaited<ReturnType<typeof aLeaseListing>>;
    beforeAll(async () => {
      shared = await aLeaseListing(t, db, { length: 22, minTermMonths: 3 });
    });

    const refused = async (body: Record<string, unknown>, status: number, code: string, field?: string): Promise<Response> => {
      const res = await postLease(t, lessee.apiKey, body);
      // A field's own code is listed under errors; the problem's code names the refusal as a whole.
      expectProblem(res, status, field ? undefined : code);
      if (field) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
      expect(await leaseRowsOf(db, shared.block.id)).toEqual({ leases: 0, commitments: 0 });
      return res;
    };

    it.each([
      [0, 'ASN.RESERVED'],
      [23456, 'ASN.AS_TRANS'],
      [64496, 'ASN.DOCUMENTATION'],
      [64511, 'ASN.DOCUMENTATION'],
      [64512, 'ASN.PRIVATE'],
      [65534, 'ASN.PRIVATE'],
      [65535, 'ASN.RESERVED'],
      [65536, 'ASN.DOCUMENTATION'],
      [65551, 'ASN.DOCUMENTATION'],
      [4200000000, 'ASN.PRIVATE'],
      [4294967294, 'ASN.PRIVATE'],
      [4294967295, 'ASN.RESERVED'],
      [4294967296, 'ASN.OUT_OF_RANGE'],
      [-1, 'ASN.OUT_OF_RANGE'],
      [1e20, 'ASN.OUT_OF_RANGE'],
      [213415.5, 'ASN.NOT_INTEGER'],
      ['213415', 'ASN.NOT_INTEGER'],
      [null, 'ASN.NOT_INTEGER'],
    ])('lessee ASN %p: 422 %s', async (asn, code) => {
      await refused(aLeaseRequest(shared.listing.id, { lesseeAsn: asn }), 422, code, 'body.lesseeAsn');
    });

    it.each([
      [{ termMonths: 2 }, 'LEASE.TERM_TOO_SHORT', 'body.termMonths'],
      [{ termMonths: 121 }, 'VALIDATION.TOO_BIG', 'body.termMonths'],
      [{ termMonths: 0 }, 'VALIDATION.TOO_SMALL', 'body.termMonths'],
      [{ termMonths: 6.5 }, 'VALIDATION.INVALID_TYPE', 'body.termMonths'],
      [{ termMonths: '12' }, 'VALIDATION.INVALID_TYPE', 'body.termMonths'],
      [{ termMonths: undefined }, 'VALIDATION.INVALID_TYPE', 'body.termMonths'],
      [{ noticeDays: 0 }, 'VALIDATION.TOO_SMALL', 'body.noticeDays'],
      [{ noticeDays: 366 }, 'VALIDATION.TOO_BIG', 'body.noticeDays'],
      [{ noticeDays: 1.5 }, 'VALIDATION.INVALID_TYPE', 'body.noticeDays'],
      [{ termMonths: 3, noticeDays: 120 }, 'LEASE.NOTICE_LONGER_THAN_TERM', 'body.noticeDays'],
      [{ autoRenew: 'yes' }, 'VALIDATION.INVALID_TYPE', 'body.autoRenew'],
      [{ listingId: 'not-a-uuid' }, 'VALIDATION.INVALID_FORMAT', 'body.listingId'],
      [{ extra: 1 }, 'VALIDATION.UNKNOWN_FIELD', 'body.extra'],
    ])('%p: 422 %s', async (overrides, code, field) => {
      await refused(aLeaseRequest(shared.listing.id, overrides), 422, code, field);
    });

    it('refuses prefixes that are not a unit of the listing', async () => {
      const [a, b, c] = shared.block.prefix.split('/')[0]!.split('.');
      await refused(aLeaseRequest(shared.listing.id, { prefix: 'not-a-prefix' }), 422, 'CIDR.MALFORMED', 'body.prefix');
      await refused(aLeaseRequest(shared.listing.id, { prefix: `${a}.${b}.${c}.1/24` }), 422, 'CIDR.NOT_NETWORK_ADDRESS', 'body.prefix');
      await refused(aLeaseRequest(shared.listing.id, { prefix: `${a}.${b}.${c}.0/25` }), 422, 'LEASE.PREFIX_NOT_A_UNIT', 'body.prefix');
      await refused(aLeaseRequest(shared.listing.id, { prefix: shared.block.prefix }), 422, 'LEASE.PREFIX_NOT_A_UNIT', 'body.prefix');
      await refused(aLeaseRequest(shared.listing.id, { prefix: '8.8.8.0/24' }), 422, 'LEASE.PREFIX_OUTSIDE_BLOCK', 'body.prefix');
      await refused(aLeaseRequest(shared.listing.id, { prefix: '10.0.0.0/24' }), 422, 'LEASE.PREFIX_OUTSIDE_BLOCK', 'body.prefix');
    });

    it('needs an Idempotency-Key, and replays the first answer for the same key and body', async () => {
      const res = await t.http.post('/v1/leases').set(bearer(lessee.apiKey)).send(aLeaseRequest(shared.listing.id));
      expectProblem(res, 400, 'IDEMPOTENCY.KEY_REQUIRED');
      expect(await leaseRowsOf(db, shared.block.id)).toEqual({ leases: 0, commitments: 0 });
    });

    it('refuses the lister leasing its own space, sale listings, and unknown listings', async () => {
      const own = await postLease(t, shared.holder.apiKey, aLeaseRequest(shared.listing.id));
      expectProblem(own, 422, 'LEASE.OWN_LISTING');
      const saleBlock = await aVerifiedBlock(db, { holderOrgId: shared.holder.id, length: 24 });
      const sale = await aListing(t, shared.holder.apiKey, aSaleBody(saleBlock.id));
      expectProblem(await postLease(t, lessee.apiKey, aLeaseRequest(sale.id)), 422, 'LEASE.NOT_A_LEASE_LISTING');
      expectProblem(await postLease(t, lessee.apiKey, aLeaseRequest(randomUUID())), 404, 'LISTING.NOT_FOUND');
      expect(await leaseRowsOf(db, shared.block.id)).toEqual({ leases: 0, commitments: 0 });
    });

    it('refuses a paused listing (409) and a viewer key (403)', async () => {
      const { block, listing, holder } = await aLeaseListing(t, db, { length: 24 });
      const viewer = await aKey(t, lessee.id, 'viewer');
      expectProblem(await postLease(t, viewer.apiKey, aLeaseRequest(listing.id)), 403);
      const paused = await t.http.post(`/v1/listings/${listing.id}/pause`).set(bearer(holder.apiKey));
      expect(paused.status).toBe(200);
      // A paused listing is invisible to others: 404, like any listing they may not see.
      expectProblem(await postLease(t, lessee.apiKey, aLeaseRequest(listing.id)), 404, 'LISTING.NOT_FOUND');
      expect(await leaseRowsOf(db, block.id)).toEqual({ leases: 0, commitments: 0 });
    });
  });
});
