import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type TestApp, startApi } from './support/app.js';
import { expectProblem } from './support/problem.js';

/** A TCP port nothing listens on at the moment of asking. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A throwaway redis-server, for taking Redis away under a running app. */
class ThrowawayRedis {
  private proc: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls GET /health until it answers `status`, for at most `withinMs`. */
async function healthBecomes(t: TestApp, status: number, withinMs: number): Promise<{ status: number; body: unknown; ms: number }> {
  const start = Date.now();
  for (;;) {
    const res = await t.http.get('/health');
    const ms = Date.now() - start;
    if (res.status === status || ms > withinMs) return { status: res.status, body: res.body as unknown, ms };
    await sleep(100);
  }
}

/** Parses Fastify's printRoutes() tree into "METHOD /path" lines (`:id` written `{id}`, as OpenAPI does). */
function servedRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line.trimEnd());
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${path}`);
    }
  }
  return routes.sort();
}

describe('health, metrics and docs', () => {
  let t: TestApp;
  const admin = () => `Bearer ${t.adminToken}`;

  beforeAll(async () => {
    t = await startApi();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /health', () => {
    it('answers 200 with both dependencies up, without credentials', async () => {
      const res = await t.http.get('/health');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ status: 'ok', checks: { database: 'up', redis: 'up' } });
    });

    it('answers 503 with redis down, quickly, when nothing listens at REDIS_URL', async () => {
      const dead = await startApi({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      try {
        const started = Date.now();
        const res = await dead.http.get('/health');
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ status: 'error', checks: { database: 'up', redis: 'down' } });
        // The rest of the API, which needs only the database, still answers.
        const me = await dead.http.get('/v1/me').set('authorization', `Bearer ${dead.adminToken}`);
        expect(me.status).toBe(200);
      } finally {
        await dead.close();
      }
    });

    describe('follows a Redis that goes away and comes back', () => {
      let redis: ThrowawayRedis;
      let app: TestApp | undefined;

      beforeAll(async () => {
        redis = new ThrowawayRedis(await freePort());
        await redis.start();
        app = await startApi({ REDIS_URL: redis.url });
      });
      afterAll(async () => {
        await app?.close();
        await redis.stop();
      });

      it('answers 200, then 503 once it is killed, then 200 once it is back', async () => {
        const up = await healthBecomes(app!, 200, 5_000);
        expect(up).toMatchObject({ status: 200, body: { status: 'ok', checks: { database: 'up', redis: 'up' } } });

        await redis.stop();
        const down = await healthBecomes(app!, 503, 3_000);
        expect(down).toMatchObject({ status: 503, body: { status: 'error', checks: { database: 'up', redis: 'down' } } });
        expect(down.ms).toBeLessThan(3_000);

        await redis.start();
        // ioredis reconnects with a back-off of at most 2 s.
        const back = await healthBecomes(app!, 200, 10_000);
        expect(back).toMatchObject({ status: 200, body: { status: 'ok', checks: { database: 'up', redis: 'up' } } });
      });
    });
  });

  describe('GET /metrics', () => {
    const countLine = (text: string, labels: string) => {
      const m = new RegExp(`^http_request_duration_seconds_count\\{${labels.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\} (\\d+)$`, 'm').exec(text);
      return m ? Number(m[1]) : 0;
    };

    it('is Prometheus text with request latency by route template and queue depths', async () => {
      const labels = 'method="GET",route="/v1/orgs/:id",status="404"';
      const before = await t.http.get('/metrics');
      expect(before.status).toBe(200);
      expect(before.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);

      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of ids) expectProblem(await t.http.get(`/v1/orgs/${id}`).set('authorization', admin()), 404);
      const unknown = `/v1/nothing-here-${randomUUID()}`;
      expectProblem(await t.http.get(unknown), 404, 'ROUTE.NOT_FOUND');

      const after = await t.http.get('/metrics');
      expect(after.status).toBe(200);
      const text = after.text;
      expect(text).toContain('# TYPE http_request_duration_seconds histogram');
      expect(countLine(text, labels) - countLine(before.text, labels)).toBe(3);
      expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/orgs\/:id",status="404"\} \d+$/m);
      // Route templates, never raw paths: ids and unknown URLs do not become label values.
      for (const id of ids) expect(text).not.toContain(id);
      expect(text).not.toContain(unknown);
      expect(text).toMatch(/^# TYPE queue_jobs gauge$/m);
      for (const state of ['waiting', 'active', 'delayed', 'failed']) {
        expect(text).toMatch(new RegExp(`^queue_jobs\\{queue="maintenance",state="${state}"\\} \\d+$`, 'm'));
      }
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    });
  });

  describe('OpenAPI', () => {
    const EXPECTED = [
      'GET /health',
      'GET /v1/orgs',
      'POST /v1/orgs',
      'GET /v1/orgs/{id}',
      'GET /v1/orgs/{id}/api-keys',
      'POST /v1/orgs/{id}/api-keys',
      'GET /v1/api-keys',
      'POST /v1/api-keys',
      'DELETE /v1/api-keys/{id}',
      'GET /v1/me',
      'GET /v1/audit',
      'GET /v1/sandbox/clock',
      'POST /v1/sandbox/clock/advance',
      'POST /v1/leases',
      'GET /v1/leases',
      'GET /v1/leases/{id}',
      'POST /v1/leases/{id}/notice',
      'POST /v1/leases/{id}/terminate',
      'GET /sandbox/rpki/vrps.json',
      'GET /v1/ledger/accounts',
      'GET /v1/ledger/trial-balance',
      'GET /v1/ledger/accounts/{id}/entries.csv',
      'POST /v1/reconciliation/bank-statements',
      'GET /v1/reconciliation/report',
      'POST /v1/payments/stripe/webhook',
      'POST /v1/payouts',
      'GET /v1/payouts',
      'GET /v1/payouts/{id}',
      'POST /v1/payouts/{id}/confirm',
      'PUT /v1/payments/stripe/connected-accounts/{orgId}',
      'GET /v1/payments/stripe/connected-accounts/{orgId}',
      'POST /v1/transfers',
      'GET /v1/transfers',
      'GET /v1/transfers/{id}',
      'POST /v1/transfers/{id}/accept',
      'POST /v1/transfers/{id}/cancel',
      'POST /v1/transfers/{id}/dispute',
      'POST /v1/transfers/{id}/resolve',
      'POST /v1/transfers/{id}/documents',
      'POST /v1/transfers/{id}/registry-information',
      'POST /v1/transfers/{id}/escrow/confirm-funding',
      'GET /v1/risk/exposure',
      'POST /v1/webhook-endpoints',
      'GET /v1/webhook-endpoints',
      'GET /v1/webhook-endpoints/{id}',
      'DELETE /v1/webhook-endpoints/{id}',
      'GET /v1/webhook-endpoints/{id}/deliveries',
      'GET /v1/deadlines',
      'GET /v1/notifications',
      'GET /v1/notification-settings',
      'PUT /v1/notification-settings',
      'PUT /v1/blocks/{id}/rir-standing',
      'GET /v1/deadlines.ics',
      'POST /v1/calendar-feed-token',
      'DELETE /v1/calendar-feed-token',
    ];
    /** Served, but not part of the API the document describes. */
    const UNDOCUMENTED = ['GET /docs', 'GET /docs/openapi.json', 'GET /metrics'];
    const documented = (doc: { paths: Record<string, Record<string, unknown>> }) =>
      Object.entries(doc.paths)
        .flatMap(([path, ops]) => Object.keys(ops).filter((k) => /^(get|put|post|delete|patch)$/.test(k)).map((m) => `${m.toUpperCase()} ${path}`))
        .sort();

    it('serves an OpenAPI 3 document at /docs/openapi.json and /docs', async () => {
      const json = await t.http.get('/docs/openapi.json');
      expect(json.status).toBe(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect(json.body).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: expect.any(String), version: expect.any(String) } });
      const docs = await t.http.get('/docs');
      expect(docs.status).toBe(200);
      expect(docs.body).toEqual(json.body);
    });

    it('lists the foundation routes', async () => {
      const doc = await t.http.get('/docs/openapi.json');
      expect(documented(doc.body as never)).toEqual(expect.arrayContaining(EXPECTED));
    });

    it('lists every route the app serves, and none it does not', async () => {
      const doc = await t.http.get('/docs/openapi.json');
      const served = servedRoutes(t.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false }));
      expect(served).toEqual(expect.arrayContaining([...EXPECTED, ...UNDOCUMENTED]));
      expect(documented(doc.body as never)).toEqual(served.filter((r) => !UNDOCUMENTED.includes(r)));
    });

    it('documents the bearer scheme and the Idempotency-Key header', async () => {
      const doc = (await t.http.get('/docs/openapi.json')).body as {
        components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      };
      expect(Object.values(doc.components.securitySchemes)).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
      expect(doc.paths['/v1/sandbox/clock/advance']!.post!.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
      expect(doc.paths['/v1/leases']!.post!.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    });
  });

  describe('two API processes on one database', () => {
    let other: TestApp;
    beforeAll(async () => {
      other = await startApi();
    });
    afterAll(async () => {
      await other.close();
    });

    it('both serve, and a key made through one works on the other, revocation included', async () => {
      const [h1, h2] = await Promise.all([t.http.get('/health'), other.http.get('/health')]);
      expect([h1.status, h2.status]).toEqual([200, 200]);

      const org = await t.http.post('/v1/orgs').set('authorization', admin()).send({ name: `side-by-side-${randomUUID()}` });
      expect(org.status).toBe(201);
      const { id: orgId, apiKey } = org.body as { id: string; apiKey: string };

      const meThere = await other.http.get('/v1/me').set('authorization', `Bearer ${apiKey}`);
      expect(meThere.status).toBe(200);
      expect(meThere.body).toMatchObject({ orgId, role: 'admin' });

      const made = await other.http.post('/v1/api-keys').set('authorization', `Bearer ${apiKey}`).send({ role: 'viewer', label: 'made on the other' });
      expect(made.status).toBe(201);
      const viewer = made.body as { id: string; apiKey: string };
      const meHere = await t.http.get('/v1/me').set('authorization', `Bearer ${viewer.apiKey}`);
      expect(meHere.status).toBe(200);
      expect(meHere.body).toMatchObject({ orgId, role: 'viewer' });

      const revoked = await t.http.delete(`/v1/api-keys/${viewer.id}`).set('authorization', `Bearer ${apiKey}`);
      expect(revoked.status).toBe(204);
      expectProblem(await other.http.get('/v1/me').set('authorization', `Bearer ${viewer.apiKey}`), 401, 'AUTH.UNAUTHENTICATED');
      expectProblem(await t.http.get('/v1/me').set('authorization', `Bearer ${viewer.apiKey}`), 401, 'AUTH.UNAUTHENTICATED');
    });
  });
});
