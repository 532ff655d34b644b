import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ICAL from 'ical.js';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { aVerifiedBlock } from './support/inventory-fixtures.js';
import { expectProblem } from './support/problem.js';

const DAY = 86_400_000;
// Far enough ahead that another test file moving the shared sandbox clock by weeks changes
// nothing here, and inside the window every fetch below asks for.
const WITHIN = 'P1000D';

interface FeedEvent {
  uid: string;
  summary: string;
  start: number;
  end: number;
  categories: string[];
}

/** The feed parsed by a real iCalendar parser (ical.js), one entry per VEVENT. */
function parseFeed(text: string): FeedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  expect(calendar.name).toBe('vcalendar');
  expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
  return calendar.getAllSubcomponents('vevent').map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      summary: event.summary,
      start: event.startDate.toJSDate().getTime(),
      end: event.endDate.toJSDate().getTime(),
      categories: vevent.getAllProperties('categories').flatMap((p) => p.getValues().map(String)),
    };
  });
}

/** What RFC 5545 asks of the raw text: CRLF line ends only, lines of at most 75 octets. */
function expectWellFormed(text: string): void {
  expect(text.endsWith('\r\n')).toBe(true);
  expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  const tooLong = text
    .split('\r\n')
    .filter((line) => Buffer.byteLength(line, 'utf8') > 75);
  expect(tooLong).toEqual([]);
}

function expectCalendar(res: Response): FeedEvent[] {
  expect({ status: res.status, body: res.status === 200 ? undefined : (res.body as unknown) }).toEqual({ status: 200, body: undefined });
  expect(res.headers['content-type']).toBe('text/calendar; charset=utf-8');
  expectWellFormed(res.text);
  return parseFeed(res.text);
}

describe('GET /v1/deadlines.ics (iCalendar feed)', () => {
  let t: TestApp;
  let db: DataSource;
  let holder: TestOrg;
  let broker: TestOrg;
  let other: TestOrg;
  /** The ids of the deadlines this file made for `holder` (mandate expiries), soonest first. */
  let made: string[];

  const feed = (query: string, auth?: string) => {
    const req = t.http.get(`/v1/deadlines.ics${query}`).buffer(true);
    return auth ? req.set(bearer(auth)) : req;
  };

  /** Every deadline GET /v1/deadlines lists for the key, page by page. */
  async function deadlineIds(apiKey: string, query: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http.get(`/v1/deadlines?${query}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).set(bearer(apiKey));
      expect({ status: res.status, body: res.status === 200 ? undefined : (res.body as unknown) }).toEqual({ status: 200, body: undefined });
      ids.push(...(res.body.data as { id: string }[]).map((d) => d.id));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    return ids;
  }

  async function sandboxNow(): Promise<number> {
    const res = await t.http.get('/v1/sandbox/clock').set(bearer(t.adminToken));
    expect(res.status).toBe(200);
    return Date.parse(res.body.now as string);
  }

  /** A mandate from `org` (on a verified block of its own) to `to`, expiring in `days`: a 'mandate.expiry' deadline. */
  async function aMandateDeadline(org: TestOrg, to: TestOrg, days: number): Promise<string> {
    const block = await aVerifiedBlock(db, { holderOrgId: org.id });
    const expiresAt = new Date((await sandboxNow()) + days * DAY).toISOString();
    const res = await t.http.post(`/v1/blocks/${block.id}/mandates`).set(bearer(org.apiKey)).send({ brokerOrgId: to.id, expiresAt });
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 201 });
    return `mandate.expiry:${res.body.id as string}`;
  }

  async function issueToken(apiKey: string): Promise<{ token: string; url: string }> {
    const res = await t.http.post('/v1/calendar-feed-token').set(bearer(apiKey));
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 201 });
    return res.body as { token: string; url: string };
  }

  /** The feed's path and query as the issued url gives it (the test server's host aside). */
  const pathOf = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };

  beforeAll(async () => {
    t = await startApi();
    db = t.app.get(DataSource);
    [holder, broker, other] = await Promise.all([anOrg(t), anOrg(t), anOrg(t)]);
    made = [];
    for (const days of [400, 500, 600]) made.push(await aMandateDeadline(holder, broker, days));
  });
  afterAll(async () => {
    await t.close();
  });

  it('with the bearer header: one VEVENT per deadline of GET /v1/deadlines, same ids, same order, well-formed', async () => {
    const listed = await deadlineIds(holder.apiKey, `within=${WITHIN}`);
    expect(listed).toEqual(made);
    const events = expectCalendar(await feed(`?within=${WITHIN}`, holder.apiKey));
    expect(events.map((e) => e.uid)).toEqual(listed.map((id) => `${id}@ipv4-market`));
    for (const e of events) {
      expect(e.categories).toEqual(['mandate.expiry']);
      expect(e.summary).toMatch(/^Mandate of a broker on block \S+ expires \(mandate\.expiry\)$/);
      expect(e.end - e.start).toBe(30 * 60_000);
    }
  });

  it('keeps its UIDs between fetches, and its times follow the deadlines', async () => {
    const first = expectCalendar(await feed(`?within=${WITHIN}`, holder.apiKey));
    const second = expectCalendar(await feed(`?within=${WITHIN}`, holder.apiKey));
    expect(second.map((e) => e.uid)).toEqual(first.map((e) => e.uid));
    expect(second.map((e) => e.start)).toEqual(first.map((e) => e.start));
    const res = await t.http.get(`/v1/deadlines?within=${WITHIN}&limit=500`).set(bearer(holder.apiKey));
    const dueAt = (res.body.data as { dueAt: string }[]).map((d) => Math.floor(Date.parse(d.dueAt) / 1000) * 1000);
    expect(first.map((e) => e.start)).toEqual(dueAt);
  });

  it('the other party of a deadline (the broker) sees it in its own feed too', async () => {
    const events = expectCalendar(await feed(`?within=${WITHIN}`, broker.apiKey));
    expect(events.map((e) => e.uid)).toEqual(expect.arrayContaining(made.map((id) => `${id}@ipv4-market`)));
  });

  it('filters by within and kind as GET /v1/deadlines does', async () => {
    // The nearest is 400 days away: a 30-day window holds none of them.
    expect(expectCalendar(await feed('?within=P30D', holder.apiKey))).toEqual([]);
    expect((await deadlineIds(holder.apiKey, 'within=P30D'))).toEqual([]);
    expect(expectCalendar(await feed(`?within=${WITHIN}&kind=mandate.expiry`, holder.apiKey))).toHaveLength(3);
    expect(expectCalendar(await feed(`?within=${WITHIN}&kind=lease.end`, holder.apiKey))).toEqual([]);
  });

  it('refuses a bad within or kind with 422 problem+json', async () => {
    for (const within of ['banana', '30', 'P', '30D', 'P1.5D', 'P0D', 'P20Y']) {
      const res = await feed(`?within=${within}`, holder.apiKey);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'query.within' })]);
      // The same answer as GET /v1/deadlines gives.
      const json = await t.http.get(`/v1/deadlines?within=${within}`).set(bearer(holder.apiKey));
      expectProblem(json, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors).toEqual(json.body.errors);
    }
    const kind = await feed('?kind=nonsense', holder.apiKey);
    expectProblem(kind, 422, 'REQUEST.VALIDATION_FAILED');
    expect(kind.body.errors).toEqual([expect.objectContaining({ field: 'query.kind' })]);
  });

  it('answers 401 problem+json without credentials, with an unknown token, and with a bad header', async () => {
    expectProblem(await feed(''), 401, 'AUTH.UNAUTHENTICATED');
    expectProblem(await feed('?token=ical_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 401, 'AUTH.UNAUTHENTICATED');
    expectProblem(await feed('?token=not-a-token'), 401, 'AUTH.UNAUTHENTICATED');
    expectProblem(await feed('?token='), 401, 'AUTH.UNAUTHENTICATED');
    // A header, when sent, decides alone: a bad one is not rescued by a good token.
    const { token } = await issueToken(holder.apiKey);
    expectProblem(await feed(`?token=${token}`, 'ipv4m_not-a-real-key'), 401, 'AUTH.UNAUTHENTICATED');
  });

  describe('feed tokens', () => {
    it('a token reads the same feed as the header, and stops working once revoked', async () => {
      const issued = await issueToken(holder.apiKey);
      expect(issued.token).toMatch(/^ical_[A-Za-z0-9_-]{43}$/);
      const url = new URL(issued.url);
      expect(url.pathname).toBe('/v1/deadlines.ics');
      expect(url.searchParams.get('token')).toBe(issued.token);

      const byHeader = expectCalendar(await feed(`?within=${WITHIN}`, holder.apiKey));
      const byToken = expectCalendar(await t.http.get(`${pathOf(issued.url)}&within=${WITHIN}`).buffer(true));
      expect(byToken.map((e) => e.uid)).toEqual(byHeader.map((e) => e.uid));
      expect(byToken.map((e) => e.uid)).toEqual(made.map((id) => `${id}@ipv4-market`));
      // The url as issued works on its own (the default window: none of ours is that close).
      expectCalendar(await t.http.get(pathOf(issued.url)).buffer(true));

      const revoked = await t.http.delete('/v1/calendar-feed-token').set(bearer(holder.apiKey));
      expect(revoked.status).toBe(204);
      expectProblem(await t.http.get(pathOf(issued.url)).buffer(true), 401, 'AUTH.UNAUTHENTICATED');
      // Revoking again is fine.
      expect((await t.http.delete('/v1/calendar-feed-token').set(bearer(holder.apiKey))).status).toBe(204);
    });

    it('issuing a new token revokes the old one', async () => {
      const old = await issueToken(holder.apiKey);
      const fresh = await issueToken(holder.apiKey);
      expect(fresh.token).not.toBe(old.token);
      expectProblem(await feed(`?token=${old.token}`), 401, 'AUTH.UNAUTHENTICATED');
      expectCalendar(await feed(`?token=${fresh.token}&within=${WITHIN}`));
    });

    it('issued concurrently, every request succeeds and exactly one token stays live', async () => {
      const issued = await Promise.all(Array.from({ length: 6 }, () => issueToken(broker.apiKey)));
      const statuses = await Promise.all(issued.map(async ({ token }) => (await feed(`?token=${token}&within=P1D`)).status));
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    });

    it("another organisation's token never shows this organisation's deadlines", async () => {
      const own = await aMandateDeadline(other, broker, 450);
      const { token } = await issueToken(other.apiKey);
      const uids = expectCalendar(await feed(`?token=${token}&within=${WITHIN}`)).map((e) => e.uid);
      expect(uids).toEqual([`${own}@ipv4-market`]);
      for (const id of made) expect(uids).not.toContain(`${id}@ipv4-market`);
      // And the holder's own feed does not show the other's.
      const holderUids = expectCalendar(await feed(`?within=${WITHIN}`, holder.apiKey)).map((e) => e.uid);
      expect(holderUids).not.toContain(`${own}@ipv4-market`);
    });

    it('a feed token opens the feed and nothing else', async () => {
      const { token } = await issueToken(holder.apiKey);
      expectProblem(await t.http.get('/v1/me').set(bearer(token)), 401, 'AUTH.UNAUTHENTICATED');
      expectProblem(await t.http.get(`/v1/deadlines?token=${token}`), 401, 'AUTH.UNAUTHENTICATED');
      expectProblem(await t.http.get(`/v1/deadlines.ics?within=${WITHIN}`).set(bearer(token)), 401, 'AUTH.UNAUTHENTICATED');
      expectProblem(await t.http.post(`/v1/calendar-feed-token?token=${token}`), 401, 'AUTH.UNAUTHENTICATED');
    });

    it('org admins and ops issue and revoke; other roles get 403; issuing and revoking are audited', async () => {
      // No live token to begin with, so that the ops key's issue replaces none.
      expect((await t.http.delete('/v1/calendar-feed-token').set(bearer(holder.apiKey))).status).toBe(204);
      const ops = await aKey(t, holder.id, 'ops');
      const viewer = await aKey(t, holder.id, 'viewer');
      const trader = await aKey(t, holder.id, 'trader');
      const issued = await issueToken(ops.apiKey);
      expectCalendar(await feed(`?token=${issued.token}&within=${WITHIN}`));
      for (const key of [viewer, trader]) {
        expectProblem(await t.http.post('/v1/calendar-feed-token').set(bearer(key.apiKey)), 403, 'AUTH.FORBIDDEN');
        expectProblem(await t.http.delete('/v1/calendar-feed-token').set(bearer(key.apiKey)), 403, 'AUTH.FORBIDDEN');
      }
      expectProblem(await t.http.post('/v1/calendar-feed-token'), 401, 'AUTH.UNAUTHENTICATED');
      expect((await t.http.delete('/v1/calendar-feed-token').set(bearer(ops.apiKey))).status).toBe(204);
      expectProblem(await feed(`?token=${issued.token}`), 401, 'AUTH.UNAUTHENTICATED');

      const audit = await t.http.get('/v1/audit?limit=500').set(bearer(holder.apiKey));
      expect(audit.status).toBe(200);
      const mine = (audit.body.data as { action: string; actor: { id: string } }[]).filter((r) => r.actor.id === ops.id);
      expect(mine.map((r) => r.action)).toEqual(['calendar_feed_token.revoked', 'calendar_feed_token.issued']);
    });
  });
});
