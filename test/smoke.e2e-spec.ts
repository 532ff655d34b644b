import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type TestApp, startApi } from './support/app.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApi();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers health', async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'up', redis: 'up' } });
  });

  it('creates an org', async () => {
    const res = await t.http.post('/v1/orgs').set('authorization', `Bearer ${t.adminToken}`).send({ name: 'Acme' });
    expect(res.status).toBe(201);
    const me = await t.http.get('/v1/me').set('authorization', `Bearer ${res.body.apiKey}`);
    expect(me.body).toMatchObject({ orgId: res.body.id, role: 'admin' });
  });
});
