import { HttpStandIn, answer } from '../../../../test/support/http-stand-in.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parsePrefixOrThrow } from '@app/ipam';
import { type AppConfig, loadConfig } from '@app/platform';
import arin from './fixtures/arin-ip-network.json' with { type: 'json' };
import { RdapInvalidError, RdapNotFoundError, RdapUnavailableError } from './errors.js';
import { RdapClient } from './rdap-client.js';

/**
 * The client against a local HTTP server standing in for an RIR (mocked at the HTTP
 * boundary: the real fetch, timeout and parsing run).
 */

describe('RdapClient over HTTP', () => {
  const stub = new HttpStandIn();
  const seen = stub.seen;
  beforeAll(() => stub.start());
  afterAll(() => stub.stop());

  // A generous timeout, so that a busy machine cannot turn an answer into "no answer"; the
  // timeout test sets its own.
  const client = (overrides: Record<string, string> = {}) =>
    new RdapClient(loadConfig({ REGISTRY_MODE: 'sandbox', SANDBOX_BASE_URL: stub.baseUrl, RDAP_TIMEOUT_MS: '5000', ...overrides }));
  const json = (status: number, body: unknown, type = 'application/rdap+json') => answer(status, body, type);

  it('asks the sandbox for an address and for a prefix (RFC 9082 paths) and returns the validated network', async () => {
    stub.handler = (req, res) => json(200, req.url?.includes('/entity/') ? arin.entities[0] : arin)(req, res);
    seen.length = 0;
    const n = await client().ipNetwork('8.8.8.8');
    expect(n.handle).toBe('NET-8-8-8-0-2');
    await expect(client().ipNetwork('8.8.8.0/24')).resolves.toMatchObject({ startAddress: '8.8.8.0', endAddress: '8.8.8.255' });
    await expect(client().entity('GOGL')).resolves.toMatchObject({ objectClassName: 'entity', handle: 'GOGL' });
    expect(seen).toEqual(['/sandbox/rdap/ip/8.8.8.8', '/sandbox/rdap/ip/8.8.8.0/24', '/sandbox/rdap/entity/GOGL']);
  });

  it('sends the RDAP media type in Accept', async () => {
    let accept: string | undefined;
    stub.handler = (req, res) => {
      accept = req.headers.accept;
      json(200, arin)(req, res);
    };
    await client().ipNetwork('8.8.8.8');
    expect(accept).toMatch(/^application\/rdap\+json\b/);
  });

  it('throws RdapNotFoundError on 404', async () => {
    stub.handler = json(404, { errorCode: 404, title: 'Not Found' });
    await expect(client().ipNetwork('8.8.8.8')).rejects.toBeInstanceOf(RdapNotFoundError);
  });

  it.each([500, 502, 503, 429])('throws a retryable RdapUnavailableError on %d', async (status) => {
    stub.handler = json(status, { errorCode: status });
    const err = await client().ipNetwork('8.8.8.8').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RdapUnavailableError);
    expect(err).toMatchObject({ retryable: true, status });
  });

  it('throws RdapUnavailableError when the server does not answer in time', async () => {
    stub.handler = () => undefined; // never answers
    const started = Date.now();
    const err = await client({ RDAP_TIMEOUT_MS: '300' }).ipNetwork('8.8.8.8').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RdapUnavailableError);
    expect((err as Error).message).toContain('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('throws RdapUnavailableError when nothing listens', async () => {
    const err = await client({ SANDBOX_BASE_URL: 'http://127.0.0.1:1' }).entity('GOGL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RdapUnavailableError);
  });

  it.each([
    ['not JSON', json(200, '<html>maintenance</html>', 'text/html'), 'not JSON'],
    ['another object class', json(200, { ...arin, objectClassName: 'entity' }), 'not a valid ip network'],
    ['no endAddress', json(200, { ...arin, endAddress: undefined }), 'endAddress'],
    ['an unexpected status', json(403, { errorCode: 403 }), 'answered 403'],
    ['a huge answer', json(200, { ...arin, padding: 'x'.repeat(3 * 1024 * 1024) }), 'larger than'],
  ])('throws RdapInvalidError on %s', async (_what, h, message) => {
    stub.handler = h;
    const err = await client().ipNetwork('8.8.8.8').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RdapInvalidError);
    expect((err as Error).message).toContain(message);
  });

  it('validates an entity answer as an entity', async () => {
    stub.handler = json(200, arin);
    await expect(client().entity('GOGL')).rejects.toBeInstanceOf(RdapInvalidError);
    stub.handler = json(200, arin.entities[0]);
    await expect(client().entity('GOGL')).resolves.toMatchObject({ objectClassName: 'entity', handle: 'GOGL' });
  });

  it('refuses malformed queries before asking anyone', async () => {
    seen.length = 0;
    await expect(client().ipNetwork('8.8.8.1/24')).rejects.toThrow('CIDR.NOT_NETWORK_ADDRESS');
    await expect(client().ipNetwork('08.8.8.8')).rejects.toThrow('CIDR.MALFORMED');
    await expect(client().ipNetwork('2001:db8::1')).rejects.toThrow('CIDR.IPV6_UNSUPPORTED');
    await expect(client().entity('../../admin')).rejects.toThrow('is not a registry handle');
    expect(seen).toEqual([]);
  });

  describe('in live mode', () => {
    const live = () => client({ REGISTRY_MODE: 'live', SANDBOX_BASE_URL: '' });

    it('asks the RIR that the IANA bootstrap file names', () => {
      expect(live().networkService(parsePrefixOrThrow('8.8.8.0/24'))).toBe('https://rdap.arin.net/registry/');
      expect(live().networkService(parsePrefixOrThrow('193.0.0.0/21'))).toBe('https://rdap.db.ripe.net/');
      expect(live().networkService(parsePrefixOrThrow('10.0.0.0/8'))).toBeNull();
    });

    it('answers "not found" for space no registry serves, without a request', async () => {
      seen.length = 0;
      await expect(live().ipNetwork('10.1.2.3')).rejects.toBeInstanceOf(RdapNotFoundError);
      expect(seen).toEqual([]);
    });

    it('needs the RIR for a lookup by handle', async () => {
      await expect(live().entity('GOGL')).rejects.toThrow('needs the RIR');
    });
  });

  it('sends every lookup to the sandbox in sandbox mode, whatever the address', () => {
    const config: AppConfig = loadConfig({ REGISTRY_MODE: 'sandbox', SANDBOX_BASE_URL: 'http://sandbox.test:8080/' });
    expect(new RdapClient(config).networkService(parsePrefixOrThrow('10.0.0.0/8'))).toBe('http://sandbox.test:8080/sandbox/rdap/');
  });
});
