import { HttpStandIn, answer } from '../../../../test/support/http-stand-in.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@app/platform';
import { RpkiInvalidError, RpkiUnavailableError } from './errors.js';
import { VrpClient } from './vrp-client.js';

/**
 * The client against a local HTTP server standing in for a validator's export (mocked at the
 * HTTP boundary: the real fetch, timeout, size cap and parsing run).
 */

describe('VrpClient over HTTP', () => {
  const stub = new HttpStandIn();
  const seen = stub.seen;
  beforeAll(() => stub.start());
  afterAll(() => stub.stop());

  // A generous timeout, so that a busy machine cannot turn an answer into "no answer"; the
  // timeout tests set their own.
  const client = (overrides: Record<string, string> = {}) => new VrpClient(loadConfig({ SANDBOX_BASE_URL: stub.baseUrl, RDAP_TIMEOUT_MS: '5000', ...overrides }));
  const vrps = {
    metadata: { buildtime: '2026-01-01T00:00:00Z', roas: 2 },
    roas: [
      { asn: 'AS64500', prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin', expires: 1800000000 },
      { asn: 13335, prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic', expires: 1800000000 },
    ],
  };

  it("downloads RPKI_VRPS_URL (by default the sandbox's export) and returns the validated VRPs", async () => {
    stub.handler = answer(200, vrps);
    seen.length = 0;
    await expect(client().vrps()).resolves.toEqual([
      { asn: 64500, prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin', expires: new Date(1800000000 * 1000) },
      { asn: 13335, prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic', expires: new Date(1800000000 * 1000) },
    ]);
    await client({ RPKI_VRPS_URL: `${stub.baseUrl}/export/vrps.json` }).vrps();
    expect(seen).toEqual(['/sandbox/rpki/vrps.json', '/export/vrps.json']);
  });

  it.each([500, 502, 503, 429])('throws a retryable RpkiUnavailableError on %d', async (status) => {
    stub.handler = answer(status, 'Service Unavailable', 'text/plain');
    const err = await client().vrps().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpkiUnavailableError);
    expect(err).toMatchObject({ retryable: true, status, url: `${stub.baseUrl}/sandbox/rpki/vrps.json` });
  });

  it('throws RpkiUnavailableError when the export does not answer in time', async () => {
    stub.handler = () => undefined; // never answers
    const started = Date.now();
    const err = await client({ RDAP_TIMEOUT_MS: '300' }).vrps().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpkiUnavailableError);
    expect((err as Error).message).toContain('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('throws RpkiUnavailableError when the body stops arriving before the timeout', async () => {
    stub.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"roas": [');
    };
    const err = await client({ RDAP_TIMEOUT_MS: '300' }).vrps().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpkiUnavailableError);
  });

  it('throws RpkiUnavailableError when nothing listens', async () => {
    await expect(client({ RPKI_VRPS_URL: 'http://127.0.0.1:1/vrps.json' }).vrps()).rejects.toBeInstanceOf(RpkiUnavailableError);
  });

  it.each([
    ['garbage', answer(200, '<html>maintenance</html>', 'text/html'), 'not JSON'],
    ['JSON of another shape', answer(200, { vrps: [] }), 'roas'],
    ['a VRP with a bad ASN', answer(200, { roas: [{ asn: 'ASX', prefix: '1.1.1.0/24', maxLength: 24, ta: 'apnic' }] }), 'roas.0.asn'],
    ['a 404', answer(404, 'Not Found', 'text/plain'), 'answered 404'],
  ])('throws RpkiInvalidError (not retryable) on %s', async (_what, h, message) => {
    stub.handler = h;
    const err = await client().vrps().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpkiInvalidError);
    expect(err).toMatchObject({ retryable: false });
    expect((err as Error).message).toContain(message);
  });

  it('refuses an export larger than the cap, declared or not', async () => {
    stub.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(512 * 1024 * 1024) });
      res.end();
    };
    const err = await client().vrps().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpkiInvalidError);
    expect((err as Error).message).toContain('larger than');
  });
});
