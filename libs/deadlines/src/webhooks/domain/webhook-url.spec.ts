import { describe, expect, it } from '@jest/globals';
import { type LookupAll, checkUrlAddresses, urlSyntaxProblem } from './webhook-url.js';

/** A resolver that answers from a table, as DNS would. */
const table = (entries: Record<string, string[]>): LookupAll => async (host) => {
  const found = entries[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address }));
};

const dns = table({
  'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'rebind.example.com': ['93.184.215.14', '10.0.0.7'],
  localhost: ['127.0.0.1', '::1'],
  'metadata.example.com': ['169.254.169.254'],
  '::1': ['::1'],
  '10.0.0.1': ['10.0.0.1'],
  '1.1.1.1': ['1.1.1.1'],
  'empty.example.com': [],
});

describe('webhook URLs', () => {
  it.each(['https://hooks.example.com/ipv4', 'http://hooks.example.com:8080/x?y=1', 'https://1.1.1.1/', 'http://[::1]:3000/'])('accepts the syntax of %s', (url) => {
    expect(urlSyntaxProblem(url)).toBeNull();
  });

  it.each([
    ['ftp://hooks.example.com/', /http or https/],
    ['hooks.example.com/x', /absolute URL/],
    ['', /absolute URL/],
    ['file:///etc/passwd', /http or https/],
    ['https://user:pass@hooks.example.com/', /credentials/],
    [`https://hooks.example.com/${'a'.repeat(2000)}`, /at most 2000/],
  ])('refuses the syntax of %j', (url, problem) => {
    expect(urlSyntaxProblem(url)).toMatch(problem);
  });

  it('accepts a host whose every address is public', async () => {
    await expect(checkUrlAddresses('https://hooks.example.com/ipv4', dns)).resolves.toEqual({
      allowed: true,
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
    await expect(checkUrlAddresses('https://1.1.1.1/', dns)).resolves.toMatchObject({ allowed: true });
  });

  it.each([
    ['http://localhost:3000/', /localhost resolves to 127\.0\.0\.1: .*Loopback/],
    ['https://rebind.example.com/', /resolves to 10\.0\.0\.7: .*Private-Use/],
    ['http://metadata.example.com/latest/meta-data/', /Link Local/],
    ['http://[::1]/', /^::1 is the loopback address/],
    ['http://10.0.0.1/', /^10\.0\.0\.1 is Private-Use/],
  ])('refuses %s', async (url, reason) => {
    const verdict = await checkUrlAddresses(url, dns);
    expect(verdict).toEqual({ allowed: false, code: 'WEBHOOK.URL_NOT_ALLOWED', reason: expect.stringMatching(reason) });
  });

  it('tells an unresolvable host apart', async () => {
    await expect(checkUrlAddresses('https://nowhere.example.com/', dns)).resolves.toEqual({
      allowed: false,
      code: 'WEBHOOK.URL_UNRESOLVABLE',
      reason: 'nowhere.example.com does not resolve (ENOTFOUND)',
    });
    await expect(checkUrlAddresses('https://empty.example.com/', dns)).resolves.toMatchObject({ allowed: false, code: 'WEBHOOK.URL_UNRESOLVABLE' });
  });

  it('resolves the host the URL parser sees (0x7f000001 is 127.0.0.1)', async () => {
    const seen: string[] = [];
    await checkUrlAddresses('http://0x7f000001/', async (host) => {
      seen.push(host);
      return [{ address: host }];
    });
    expect(seen).toEqual(['127.0.0.1']);
  });
});
