import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type TestApp, startApi } from './support/app.js';
import { expectProblem } from './support/problem.js';

interface FieldError {
  field: string;
  code: string;
  message: string;
}

const call = (t: TestApp, method: string, path: string) => {
  switch (method) {
    case 'GET':
      return t.http.get(path);
    case 'POST':
      return t.http.post(path);
    case 'PATCH':
      return t.http.patch(path);
    case 'DELETE':
      return t.http.delete(path);
    default:
      throw new Error(`no helper for ${method}`);
  }
};

const fieldsOf = (body: unknown): string[] => ((body as { errors?: FieldError[] }).errors ?? []).map((e) => e.field).sort();

describe('HTTP errors (problem+json)', () => {
  let t: TestApp;
  let admin: string;
  let orgId: string;

  beforeAll(async () => {
    t = await startApi();
    admin = `Bearer ${t.adminToken}`;
    const org = await t.http.post('/v1/orgs').set('authorization', admin).send({ name: 'http-errors org' });
    expect(org.status).toBe(201);
    orgId = (org.body as { id: string }).id;
  });
  afterAll(async () => {
    await t.close();
  });

  describe('framework errors', () => {
    it.each([
      ['truncated JSON', '{"name": '],
      ['a trailing comma', '{"name": "x",}'],
      ['single quotes', "{'name': 'x'}"],
      ['an empty body', ''],
    ])('answers 400 REQUEST.MALFORMED_JSON for %s', async (_what, text) => {
      const res = await t.http.post('/v1/orgs').set('authorization', admin).set('content-type', 'application/json').send(text);
      expectProblem(res, 400, 'REQUEST.MALFORMED_JSON');
    });

    it('answers 413 REQUEST.BODY_TOO_LARGE for a body over 1 MB', async () => {
      const body = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
      const res = await t.http.post('/v1/orgs').set('authorization', admin).set('content-type', 'application/json').send(body);
      expectProblem(res, 413, 'REQUEST.BODY_TOO_LARGE');
    });

    it('accepts a body just under the limit as far as validation (422, not 413)', async () => {
      const body = JSON.stringify({ name: 'x'.repeat(1000 * 1000) });
      const res = await t.http.post('/v1/orgs').set('authorization', admin).set('content-type', 'application/json').send(body);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toEqual(['body.name']);
    });

    it.each([
      ['GET', '/v1/no-such-thing'],
      ['GET', '/nope'],
      ['POST', '/v1/orgs/extra/segments/here'],
      ['DELETE', '/v1/orgs'],
      ['PATCH', '/health'],
    ])('answers 404 ROUTE.NOT_FOUND for %s %s', async (method, path) => {
      const res = await call(t, method, path).set('authorization', admin);
      expectProblem(res, 404, 'ROUTE.NOT_FOUND');
    });

    it.each(['application/xml', 'text/csv', 'image/png', 'multipart/form-data; boundary=x', 'text/plain', 'application/x-www-form-urlencoded'])(
      'answers 415 REQUEST.UNSUPPORTED_MEDIA_TYPE for content-type %s',
      async (contentType) => {
        const res = await t.http.post('/v1/orgs').set('authorization', admin).set('content-type', contentType).send('<name>x</name>');
        expectProblem(res, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
      },
    );

    it('answers 401 without credentials, as problem+json', async () => {
      const res = await t.http.get('/v1/me');
      expectProblem(res, 401, 'AUTH.UNAUTHENTICATED');
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });
  });

  describe('validation', () => {
    it('lists a missing required field', async () => {
      const res = await t.http.post('/v1/orgs').set('authorization', admin).send({});
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toEqual(['body.name']);
    });

    it('lists every offending field at once', async () => {
      const res = await t.http
        .post(`/v1/orgs/${orgId}/api-keys`)
        .set('authorization', admin)
        .send({ role: 'emperor', label: 42 });
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toEqual(['body.label', 'body.role']);
      for (const e of (res.body as { errors: FieldError[] }).errors) {
        expect(e).toEqual({ field: expect.any(String), code: expect.stringMatching(/^VALIDATION\./), message: expect.any(String) });
      }
    });

    it('names an unknown field', async () => {
      const res = await t.http.post('/v1/orgs').set('authorization', admin).send({ name: 'ok', colour: 'blue' });
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      const errors = (res.body as { errors: FieldError[] }).errors;
      expect(errors).toEqual([{ field: 'body.colour', code: 'VALIDATION.UNKNOWN_FIELD', message: 'is not a known field' }]);
    });

    it('refuses a body that is not an object', async () => {
      for (const body of [[{ name: 'x' }], 'name', 7, null]) {
        const res = await t.http.post('/v1/orgs').set('authorization', admin).set('content-type', 'application/json').send(JSON.stringify(body));
        expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
        expect(fieldsOf(res.body)).toEqual(['body']);
      }
    });

    it('refuses a missing body', async () => {
      const res = await t.http.post('/v1/orgs').set('authorization', admin);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toEqual(['body']);
    });

    it('lists an offending query parameter', async () => {
      const res = await t.http.get('/v1/orgs?limit=0').set('authorization', admin);
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toEqual(['query.limit']);
      const big = await t.http.get('/v1/orgs?limit=501').set('authorization', admin);
      expectProblem(big, 422, 'REQUEST.VALIDATION_FAILED');
      expect(fieldsOf(big.body)).toEqual(['query.limit']);
    });

    it('refuses a control character in a name (it would otherwise reach the database)', async () => {
      const res = await t.http.post('/v1/orgs').set('authorization', admin).send({ name: 'nul\u0000byte' });
      expectProblem(res, 422, 'REQUEST.VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toEqual(['body.name']);
    });
  });

  describe('ids in paths', () => {
    it.each([
      ['GET', '/v1/orgs/not-a-uuid'],
      ['GET', '/v1/orgs/123'],
      ['GET', "/v1/orgs/1'%20OR%20'1'='1"],
      ['GET', '/v1/orgs/%E2%98%83'],
      ['GET', '/v1/orgs/00000000-0000-0000-0000-00000000000g/api-keys'],
      ['POST', '/v1/orgs/zzz/api-keys'],
      ['DELETE', '/v1/api-keys/not-a-uuid'],
    ])('answers 404 for a non-UUID id: %s %s', async (method, path) => {
      const res = await call(t, method, path).set('authorization', admin).send({ role: 'viewer' });
      expectProblem(res, 404, 'RESOURCE.NOT_FOUND');
    });

    it('answers 404 for a UUID that names nothing', async () => {
      const res = await t.http.get(`/v1/orgs/${randomUUID()}`).set('authorization', admin);
      expectProblem(res, 404);
    });
  });

  describe('request ids', () => {
    it('echoes a sane X-Request-Id in the header and in the problem', async () => {
      const res = await t.http.get('/v1/no-such-thing').set('x-request-id', 'trace-abc.123:x_y');
      expect(res.headers['x-request-id']).toBe('trace-abc.123:x_y');
      expectProblem(res, 404, 'ROUTE.NOT_FOUND');
      expect((res.body as { requestId: string }).requestId).toBe('trace-abc.123:x_y');
    });

    it('echoes it on success too', async () => {
      const res = await t.http.get('/health').set('x-request-id', 'health-probe-1');
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe('health-probe-1');
    });

    it('replaces an unsafe X-Request-Id with a fresh one', async () => {
      for (const given of ['has spaces in it', 'x'.repeat(101), '<script>']) {
        const res = await t.http.get('/v1/no-such-thing').set('x-request-id', given);
        expectProblem(res, 404, 'ROUTE.NOT_FOUND');
        expect(res.headers['x-request-id']).not.toBe(given);
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it('gives every request its own id', async () => {
      const [a, b] = await Promise.all([t.http.get('/v1/nope'), t.http.get('/v1/nope')]);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('fuzz: bad bodies never answer 500', () => {
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    const nested = (depth: number, open: string, close: string, inner = '1') => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

    /** JSON texts that no endpoint can accept as they stand (every one is a 4xx). */
    function badBodies(validKey: string): string[] {
      const generated = fc.sample(
        fc.jsonValue({ maxDepth: 4 }).filter((v) => !(isObject(v) && Object.keys(v).length === 1 && validKey in v)),
        { numRuns: 30, seed: 20240601 },
      );
      const crafted: unknown[] = [
        null,
        [],
        [null],
        { [validKey]: null },
        { [validKey]: 1e308 },
        { [validKey]: -0 },
        { [validKey]: true },
        { [validKey]: [] },
        { [validKey]: {} },
        { [validKey]: '' },
        { [validKey]: '\u0000' },
        { [validKey]: '🙂'.repeat(250) },
        { [validKey]: 'ok', '\u0000': 1 },
        { [validKey]: 'ok', 'ключ': 'значение' },
        { [`${validKey}\u200b`]: 'zero width' },
        { constructor: { prototype: { polluted: true } } },
      ];
      const raw = [
        `{"${validKey}": 123456789012345678901234567890123456789}`,
        `{"${validKey}": 1e999}`,
        `{"\\ud800": "lone surrogate"}`,
        `{"${validKey}": "x", "${validKey}": 7}`,
        `{"__proto__": {"polluted": true}}`,
        nested(64, '[', ']'),
        nested(5000, '[', ']'),
        nested(5000, '{"a":', '}'),
        `"${'\\u0000'.repeat(100)}"`,
      ];
      return [...generated.map((v) => JSON.stringify(v)), ...crafted.map((v) => JSON.stringify(v)), ...raw];
    }

    it.each([
      ['/v1/orgs', 'name'],
      ['/v1/sandbox/clock/advance', 'by'],
    ])('POST %s', async (path, validKey) => {
      const before = await t.http.get('/v1/sandbox/clock').set('authorization', admin);
      const bodies = badBodies(validKey);
      expect(bodies.length).toBeGreaterThanOrEqual(50);
      for (const [i, text] of bodies.entries()) {
        const res = await t.http
          .post(path)
          .set('authorization', admin)
          .set('content-type', 'application/json')
          .set('idempotency-key', `fuzz-${randomUUID()}`)
          .send(text);
        const seen = { i, text: text.slice(0, 200), status: res.status, code: (res.body as { code?: string }).code };
        expect(res.status >= 400 && res.status < 500 ? 'a 4xx' : seen).toBe('a 4xx');
        expectProblem(res, res.status);
      }
      const after = await t.http.get('/v1/sandbox/clock').set('authorization', admin);
      expect((after.body as { offsetMs: number }).offsetMs).toBe((before.body as { offsetMs: number }).offsetMs);
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  });
});
