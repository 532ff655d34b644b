import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { DomainEvents, Outbox, Transactions } from '@app/platform';
import { DataSource } from 'typeorm';
import { WebhookDeliveries, WebhookSender, WebhookUrlGuard, systemLookup } from '@app/deadlines';
import { type TestApp, startApi, startWorker } from './support/app.js';
import { type TestOrg, aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { expectProblem } from './support/problem.js';
import { waitFor } from './support/queues.js';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body, as the signature covers it. */
  readonly body: Buffer;
}

type Answer = (n: number, request: Received) => number | Promise<number>;

/** A webhook receiver on 127.0.0.1: each path answers as its test says (by the request's number on that path). */
class Receiver {
  private readonly received: Received[] = [];
  private readonly answers = new Map<string, Answer>();
  private constructor(
    private readonly server: Server,
    private readonly port: number,
  ) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new Receiver(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void receiver.answer({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }).then((status) => res.writeHead(status).end());
      });
    });
    return receiver;
  }

  /** A fresh path answering with `answer`; returns its URL. */
  endpoint(answer: Answer): string {
    const path = `/hooks/${randomUUID()}`;
    this.answers.set(path, answer);
    return `http://127.0.0.1:${this.port}${path}`;
  }

  requests(url: string): Received[] {
    return this.on(new URL(url).pathname);
  }

  private on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async waitForRequests(url: string, n: number, timeoutMs = 15_000): Promise<Received[]> {
    return waitFor(`${n} requests to ${url}`, async () => this.requests(url).length >= n && this.requests(url), { timeoutMs });
  }

  private async answer(r: Received): Promise<number> {
    this.received.push(r);
    const answer = this.answers.get(r.path);
    return answer ? answer(this.on(r.path).length, r) : 404;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What a receiver does with the secret it was shown: HMAC-SHA256 of "<t>.<raw body>", compared in constant time. */
function checkSignature(secret: string, received: Received): { valid: boolean; t: number } {
  const header = String(received.headers['webhook-signature'] ?? '');
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return { valid: false, t: NaN };
  const expected = createHmac('sha256', secret).update(`${m[1]}.`).update(received.body).digest();
  return { valid: timingSafeEqual(expected, Buffer.from(m[2]!, 'hex')), t: Number(m[1]) };
}

describe('outgoing webhooks (e2e, in-process worker)', () => {
  let t: TestApp;
  let strict: TestApp;
  let worker: INestApplicationContext;
  let db: DataSource;
  let receiver: Receiver;
  let org: TestOrg;

  beforeAll(async () => {
    receiver = await Receiver.start();
    // The receiver listens on 127.0.0.1, which only a process allowing private URLs sends to.
    t = await startApi({ WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' });
    strict = await startApi();
    db = t.app.get(DataSource);
    ({ worker } = await startWorker({
      WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_DISABLE_AFTER_FAILURES: '3',
      WEBHOOKS_RECONCILE_INTERVAL_MS: '500',
    }));
    org = await anOrg(t);
  });
  afterAll(async () => {
    await worker?.close();
    await strict?.close();
    await t?.close();
    await receiver?.close();
  });

  const createEndpoint = async (o: TestOrg, url: string, events: string[] = ['*']) => {
    const res = await t.http.post('/v1/webhook-endpoints').set(bearer(o.apiKey)).send({ url, events });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string; url: string; events: string[]; status: string };
  };

  const publish = (orgIds: string[], type: string, data: Record<string, unknown> = {}) =>
    t.app.get(Transactions).tx((em) =>
      t.app.get(DomainEvents).publish(em, { type, orgIds, subject: { type: 'lease', id: randomUUID() }, data, occurredAt: new Date('2026-03-01T12:00:00.000Z') }),
    );

  const fannedOut = (eventId: bigint) =>
    waitFor(`event ${eventId} fanned out`, async () => {
      const [row]: { fanned_out_at: Date | null }[] = await db.query('SELECT fanned_out_at FROM domain_events WHERE id = $1', [eventId.toString()]);
      return row?.fanned_out_at ?? null;
    });

  const deliveriesOf = async (endpointId: string): Promise<{ id: string; event_id: string; status: string; last_error: string | null }[]> =>
    db.query('SELECT id, event_id::text, status, last_error FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at', [endpointId]);

  const logOf = async (o: TestOrg, endpointId: string) => {
    const res = await t.http.get(`/v1/webhook-endpoints/${endpointId}/deliveries`).set(bearer(o.apiKey));
    expect(res.status).toBe(200);
    return res.body as {
      data: { id: string; eventId: string; eventType: string; status: string; attempts: number; lastStatusCode: number | null; lastError: string | null; attemptLog: { attempt: number; statusCode: number | null; error: string | null; durationMs: number | null; at: string }[] }[];
      nextCursor: string | null;
    };
  };

  describe('endpoints', () => {
    it('shows the secret once, at creation, and never again', async () => {
      const url = receiver.endpoint(() => 200);
      const res = await t.http.post('/v1/webhook-endpoints').set(bearer(org.apiKey)).send({ url, events: ['lease.*', 'escrow.funded', 'lease.*'] });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        orgId: org.id,
        url,
        events: ['lease.*', 'escrow.funded'],
        status: 'enabled',
        disabledReason: null,
        disabledAt: null,
        consecutiveFailures: 0,
        createdAt: expect.any(String),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      });
      const { id, secret } = res.body as { id: string; secret: string };

      const one = await t.http.get(`/v1/webhook-endpoints/${id}`).set(bearer(org.apiKey));
      expect(one.status).toBe(200);
      const { secret: _, ...withoutSecret } = res.body as Record<string, unknown>;
      expect(one.body).toEqual(withoutSecret);
      const list = await t.http.get('/v1/webhook-endpoints').set(bearer(org.apiKey));
      expect(list.status).toBe(200);
      expect(list.body.data).toContainEqual(withoutSecret);
      for (const answer of [one, list, await t.http.get(`/v1/webhook-endpoints/${id}/deliveries`).set(bearer(org.apiKey))]) {
        expect(answer.text).not.toContain(secret);
        expect(answer.text).not.toContain('"secret"');
      }
    });

    it('lets the organisation read with any role, manage only as admin; another organisation gets 404', async () => {
      const endpoint = await createEndpoint(org, receiver.endpoint(() => 200));
      const viewer = await aKey(t, org.id, 'viewer');
      expect((await t.http.get(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(viewer.apiKey))).status).toBe(200);
      expect((await t.http.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(bearer(viewer.apiKey))).status).toBe(200);
      expect((await t.http.get('/v1/webhook-endpoints').set(bearer(viewer.apiKey))).body.data).toContainEqual(expect.objectContaining({ id: endpoint.id }));
      expectProblem(await t.http.post('/v1/webhook-endpoints').set(bearer(viewer.apiKey)).send({ url: receiver.endpoint(() => 200), events: ['*'] }), 403, 'AUTH.FORBIDDEN');
      expectProblem(await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(viewer.apiKey)), 403, 'AUTH.FORBIDDEN');

      const other = await anOrg(t);
      expectProblem(await t.http.get(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(other.apiKey)), 404, 'WEBHOOK.ENDPOINT_NOT_FOUND');
      expectProblem(await t.http.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(bearer(other.apiKey)), 404, 'WEBHOOK.ENDPOINT_NOT_FOUND');
      expectProblem(await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(other.apiKey)), 404, 'WEBHOOK.ENDPOINT_NOT_FOUND');
      const theirs = await t.http.get('/v1/webhook-endpoints').set(bearer(other.apiKey));
      expect(theirs.body).toEqual({ data: [], nextCursor: null });

      // The platform admin sees and manages every organisation's endpoints.
      expect((await t.http.get(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(t.adminToken))).status).toBe(200);
    });

    it('pages the list, newest first', async () => {
      const owner = await anOrg(t);
      const made = [];
      for (let i = 0; i < 3; i++) made.push((await createEndpoint(owner, receiver.endpoint(() => 200))).id);
      const first = await t.http.get('/v1/webhook-endpoints?limit=2').set(bearer(owner.apiKey));
      expect(first.status).toBe(200);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.http.get(`/v1/webhook-endpoints?limit=2&cursor=${first.body.nextCursor}`).set(bearer(owner.apiKey));
      expect(second.body.nextCursor).toBeNull();
      expect([...first.body.data, ...second.body.data].map((e: { id: string }) => e.id)).toEqual([...made].reverse());
      expectProblem(await t.http.get('/v1/webhook-endpoints?cursor=nonsense').set(bearer(owner.apiKey)), 422, 'PAGINATION.INVALID_CURSOR');
    });

    it.each([
      ['no url', { events: ['*'] }, 'body.url'],
      ['an ftp url', { url: 'ftp://hooks.example.com/x', events: ['*'] }, 'body.url'],
      ['a relative url', { url: '/hooks', events: ['*'] }, 'body.url'],
      ['credentials in the url', { url: 'https://user:secret@hooks.example.com/', events: ['*'] }, 'body.url'],
      ['no events', { url: 'https://hooks.example.com/' }, 'body.events'],
      ['empty events', { url: 'https://hooks.example.com/', events: [] }, 'body.events'],
      ['a bad pattern', { url: 'https://hooks.example.com/', events: ['Lease.**'] }, 'body.events.0'],
      ['51 patterns', { url: 'https://hooks.example.com/', events: Array.from({ length: 51 }, (_, i) => `type_${'x'.repeat(i)}.*`) }, 'body.events'],
      ['an unknown field', { url: 'https://hooks.example.com/', events: ['*'], secret: 'mine' }, 'body.secret'],
    ])('refuses a body with %s (422)', async (_, body, field) => {
      const res = await t.http.post('/v1/webhook-endpoints').set(bearer(org.apiKey)).send(body);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field }));
    });

    it('refuses URLs that resolve to private, loopback or link-local addresses unless allowed, and stores nothing', async () => {
      const owner = await anOrg(strict);
      for (const url of [receiver.endpoint(() => 200), 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://localhost/', 'http://[::ffff:127.0.0.1]/', 'http://0x7f000001/']) {
        const res = await strict.http.post('/v1/webhook-endpoints').set(bearer(owner.apiKey)).send({ url, events: ['*'] });
        expectProblem(res, 422, 'WEBHOOK.URL_NOT_ALLOWED');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'body.url', code: 'WEBHOOK.URL_NOT_ALLOWED' })]);
      }
      const [{ n }]: { n: number }[] = await db.query('SELECT count(*)::int AS n FROM webhook_endpoints WHERE org_id = $1', [owner.id]);
      expect(n).toBe(0);
      // A public address passes (nothing is sent: this organisation has no events).
      const pub = await strict.http.post('/v1/webhook-endpoints').set(bearer(owner.apiKey)).send({ url: 'https://1.1.1.1/ipv4-market', events: ['*'] });
      expect(pub.status).toBe(201);
      expect((await strict.http.delete(`/v1/webhook-endpoints/${pub.body.id}`).set(bearer(owner.apiKey))).status).toBe(204);
    });
  });

  describe('deliveries', () => {
    it('signs every delivery, retries after a 500 and logs [500, 200]', async () => {
      const url = receiver.endpoint((n) => (n === 1 ? 500 : 200));
      const endpoint = await createEndpoint(org, url, ['lease.*']);
      const unsubscribed = await publish([org.id], 'transfer.stage_changed', { stage: 'funded' });
      const eventId = await publish([org.id], 'lease.renewed', { leaseId: 'L-1', renewedUntil: '2027-03-01' });

      const [first, second] = await receiver.waitForRequests(url, 2);
      for (const r of [first!, second!]) {
        const { valid, t: sentAt } = checkSignature(endpoint.secret, r);
        expect(valid).toBe(true);
        expect(Math.abs(sentAt - Date.now() / 1000)).toBeLessThan(300);
        expect(r.headers['content-type']).toMatch(/^application\/json/);
        expect(r.headers['user-agent']).toEqual(expect.stringContaining('ipv4market'));
        expect(JSON.parse(r.body.toString('utf8'))).toEqual({
          id: eventId.toString(),
          type: 'lease.renewed',
          occurredAt: '2026-03-01T12:00:00.000Z',
          subject: { type: 'lease', id: expect.any(String) },
          data: { leaseId: 'L-1', renewedUntil: '2027-03-01' },
        });
      }
      // A retry of the same delivery: same id and body, its own signature time.
      expect(second!.headers['webhook-id']).toEqual(first!.headers['webhook-id']);
      expect(second!.body.equals(first!.body)).toBe(true);
      // A body signed with another secret does not verify.
      expect(checkSignature('whsec_someone-else', first!).valid).toBe(false);

      const delivered = await waitFor('the delivery to be delivered', async () => {
        const log = await logOf(org, endpoint.id);
        return log.data.find((d) => d.status === 'delivered');
      });
      expect(delivered).toMatchObject({ id: first!.headers['webhook-id'], eventId: eventId.toString(), eventType: 'lease.renewed', attempts: 2, lastStatusCode: 200, lastError: null });
      expect(delivered.attemptLog.map((a) => a.statusCode)).toEqual([500, 200]);
      expect(delivered.attemptLog.map((a) => a.attempt)).toEqual([1, 2]);
      for (const a of delivered.attemptLog) {
        expect(a.durationMs).toEqual(expect.any(Number));
        expect(a.error).toBeNull();
      }
      const after = await t.http.get(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(org.apiKey));
      expect(after.body).toMatchObject({ status: 'enabled', consecutiveFailures: 0 });

      // The transfer event was not subscribed to: no delivery, nothing sent.
      await fannedOut(unsubscribed);
      expect((await deliveriesOf(endpoint.id)).map((d) => d.event_id)).toEqual([eventId.toString()]);
      expect(receiver.requests(url)).toHaveLength(2);
    });

    it('delivers to every subscribed endpoint of every organisation the event names, and to no other', async () => {
      const a = await anOrg(t);
      const b = await anOrg(t);
      const bystander = await anOrg(t);
      const urlA = receiver.endpoint(() => 204);
      const urlB = receiver.endpoint(() => 200);
      const urlBystander = receiver.endpoint(() => 200);
      await createEndpoint(a, urlA, ['escrow.*']);
      await createEndpoint(b, urlB, ['escrow.funded']);
      const seen = await createEndpoint(bystander, urlBystander, ['*']);
      const eventId = await publish([a.id, b.id], 'escrow.funded', { amountMinor: '1280000' });
      const [ra] = await receiver.waitForRequests(urlA, 1);
      const [rb] = await receiver.waitForRequests(urlB, 1);
      expect(JSON.parse(ra!.body.toString()).id).toBe(eventId.toString());
      expect(JSON.parse(rb!.body.toString()).id).toBe(eventId.toString());
      expect(ra!.headers['webhook-id']).not.toEqual(rb!.headers['webhook-id']);
      await fannedOut(eventId);
      expect(await deliveriesOf(seen.id)).toEqual([]);
    });

    it('disables an endpoint that always fails, with the reason, and sends it nothing more', async () => {
      const url = receiver.endpoint(() => 500);
      const endpoint = await createEndpoint(org, url, ['deadline.*']);
      await publish([org.id], 'deadline.threshold_crossed', { kind: 'lease.notice', threshold: 'P7D' });

      const disabled = await waitFor('the endpoint to be disabled', async () => {
        const res = await t.http.get(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(org.apiKey));
        return res.body.status === 'disabled' && res.body;
      }, { timeoutMs: 20_000 });
      expect(disabled).toMatchObject({ consecutiveFailures: 3, disabledAt: expect.any(String), disabledReason: expect.stringMatching(/^3 failed attempts in a row; the last: HTTP 500$/) });
      expect(receiver.requests(url)).toHaveLength(3);
      const log = await logOf(org, endpoint.id);
      expect(log.data).toHaveLength(1);
      expect(log.data[0]).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 500, lastError: expect.stringMatching(/disabled/) });
      expect(log.data[0]!.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 500]);

      // A disabled endpoint gets no new deliveries.
      const later = await publish([org.id], 'deadline.threshold_crossed', { kind: 'lease.notice', threshold: 'P1D' });
      await fannedOut(later);
      expect(await deliveriesOf(endpoint.id)).toHaveLength(1);
    });

    it('stops a deleted endpoint: its pending delivery ends and it gets no new ones', async () => {
      let deleted: number | undefined;
      const url = receiver.endpoint(async (n) => {
        // The endpoint is deleted while the first attempt waits for its answer.
        if (n === 1) deleted = (await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(org.apiKey))).status;
        return 500;
      });
      const endpoint = await createEndpoint(org, url, ['lease.ended']);
      await publish([org.id], 'lease.ended', {});

      const [delivery] = await waitFor('the delivery to end', async () => {
        const rows = await deliveriesOf(endpoint.id);
        return rows.length === 1 && rows[0]!.status !== 'pending' && rows;
      });
      expect(deleted).toBe(204);
      expect(delivery).toMatchObject({ status: 'failed', last_error: 'the endpoint was deleted' });
      // The answer, which came after the deletion, is logged; no second attempt was queued for it.
      const answer = await waitFor('the answer to be recorded', async () => {
        const [row]: { status_code: number | null; duration_ms: number | null }[] = await db.query(
          'SELECT status_code, duration_ms FROM webhook_delivery_attempts WHERE delivery_id = $1 AND attempt = 1',
          [delivery!.id],
        );
        return row?.duration_ms !== null && row;
      });
      expect(answer).toEqual({ status_code: 500, duration_ms: expect.any(Number) });
      const retries: unknown[] = await db.query(`SELECT 1 FROM outbox WHERE job_name = 'webhooks.deliver' AND job_id LIKE $1`, [`delivery:${delivery!.id}:2%`]);
      expect(retries).toEqual([]);
      expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ status: 'failed', last_error: 'the endpoint was deleted' })]);

      const later = await publish([org.id], 'lease.ended', {});
      await fannedOut(later);
      expect(await deliveriesOf(endpoint.id)).toHaveLength(1);
      expect(receiver.requests(url)).toHaveLength(1);
      expectProblem(await t.http.get(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(org.apiKey)), 404, 'WEBHOOK.ENDPOINT_NOT_FOUND');
      expectProblem(await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(org.apiKey)), 404, 'WEBHOOK.ENDPOINT_NOT_FOUND');
    });

    it('checks the address again before each attempt: a URL that now resolves to a private address is not sent to', async () => {
      const url = receiver.endpoint(() => 200);
      const endpoint = await createEndpoint(org, url, ['*']);
      // A delivery no job will make (fanned out by hand, due in an hour), made here by a worker that refuses private addresses.
      const [event]: { id: string }[] = await db.query(
        `INSERT INTO domain_events (type, org_ids, subject_type, subject_id, data, occurred_at, fanned_out_at)
         VALUES ('lease.renewed', $1, 'lease', $2, '{}', now(), now()) RETURNING id::text`,
        [[org.id], randomUUID()],
      );
      const [delivery]: { id: string }[] = await db.query(
        `INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at) VALUES ($1, $2, now() + interval '1 hour') RETURNING id`,
        [endpoint.id, event!.id],
      );
      const config = { ...t.config, webhooks: { ...t.config.webhooks, allowPrivateUrls: false, retryBaseMs: 3_600_000 } };
      const strictDeliveries = new WebhookDeliveries(t.app.get(Transactions), t.app.get(Outbox), new WebhookSender(config), new WebhookUrlGuard(config, systemLookup), config);

      await expect(strictDeliveries.deliver({ deliveryId: delivery!.id, attempt: 1 })).resolves.toMatch(/^failed; attempt 2 at /);
      await expect(strictDeliveries.deliver({ deliveryId: delivery!.id, attempt: 1 })).resolves.toMatch(/^stale/);
      const log = await logOf(org, endpoint.id);
      expect(log.data[0]).toMatchObject({ id: delivery!.id, status: 'pending', attempts: 1, lastStatusCode: null, lastError: expect.stringMatching(/^not sent: 127\.0\.0\.1 is Loopback/) });
      expect(log.data[0]!.attemptLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: null, error: expect.stringMatching(/^not sent: /) })]);
      expect(receiver.requests(url)).toEqual([]);
      expect((await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(bearer(org.apiKey))).status).toBe(204);
    });

    it('the reconciler fans out an event whose job was lost and re-queues an overdue delivery', async () => {
      const owner = await anOrg(t);
      const url = receiver.endpoint(() => 200);
      const endpoint = await createEndpoint(owner, url, ['*']);
      // As if the endpoint had existed for a while: events older than it are not sent to it.
      await db.query(`UPDATE webhook_endpoints SET created_at = created_at - interval '10 minutes' WHERE id = $1`, [endpoint.id]);
      // An event recorded two minutes ago whose fan-out job never reached Redis.
      const [lost]: { id: string }[] = await db.query(
        `INSERT INTO domain_events (type, org_ids, subject_type, subject_id, data, occurred_at, created_at)
         VALUES ('lease.ended', $1, 'lease', $2, '{}', now(), now() - interval '2 minutes') RETURNING id::text`,
        [[owner.id], randomUUID()],
      );
      // A delivery whose first attempt was due two minutes ago and whose job is gone.
      const [event]: { id: string }[] = await db.query(
        `INSERT INTO domain_events (type, org_ids, subject_type, subject_id, data, occurred_at, created_at, fanned_out_at)
         VALUES ('lease.renewed', $1, 'lease', $2, '{}', now(), now() - interval '2 minutes', now()) RETURNING id::text`,
        [[owner.id], randomUUID()],
      );
      const [overdue]: { id: string }[] = await db.query(
        `INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at) VALUES ($1, $2, now() - interval '2 minutes') RETURNING id`,
        [endpoint.id, event!.id],
      );

      const requests = await receiver.waitForRequests(url, 2);
      const ids = requests.map((r) => JSON.parse(r.body.toString()).id as string).sort();
      expect(ids).toEqual([lost!.id, event!.id].sort());
      for (const r of requests) expect(checkSignature(endpoint.secret, r).valid).toBe(true);
      expect(requests.map((r) => r.headers['webhook-id'])).toContain(overdue!.id);
      await waitFor('both delivered', async () => (await logOf(owner, endpoint.id)).data.filter((d) => d.status === 'delivered').length === 2);
    });
  });
});
