import { describe, expect, it } from '@jest/globals';
import { parsePrefixOrThrow } from '@app/ipam';
import { RIRS } from '../domain/rir.js';
import { IANA_IPV4_BOOTSTRAP, parseBootstrap, rdapServiceFor, rdapServiceOf, rirFor, rirOfRdapService } from './bootstrap.js';

const address = (text: string) => parsePrefixOrThrow(`${text}/32`);

describe('the shipped IANA IPv4 bootstrap file', () => {
  it('lists every /8 that an RIR serves, once: all but 0/8, 10/8, 127/8 and 224/3', () => {
    const slash8s = IANA_IPV4_BOOTSTRAP.entries.map((e) => e.prefix);
    expect(slash8s.every((p) => p.length === 8)).toBe(true);
    const firstOctets = slash8s.map((p) => p.first / 2 ** 24).sort((a, b) => a - b);
    const expected = Array.from({ length: 224 }, (_, i) => i).filter((i) => ![0, 10, 127].includes(i));
    expect(firstOctets).toEqual(expected);
  });

  it.each([
    ['8.8.8.8', 'https://rdap.arin.net/registry/', 'ARIN'],
    ['45.91.20.1', 'https://rdap.arin.net/registry/', 'ARIN'],
    ['193.0.6.139', 'https://rdap.db.ripe.net/', 'RIPE'],
    ['185.1.2.3', 'https://rdap.db.ripe.net/', 'RIPE'],
    ['1.1.1.1', 'https://rdap.apnic.net/', 'APNIC'],
    ['103.0.0.1', 'https://rdap.apnic.net/', 'APNIC'],
    ['200.160.2.3', 'https://rdap.lacnic.net/rdap/', 'LACNIC'],
    ['41.0.0.1', 'https://rdap.afrinic.net/rdap/', 'AFRINIC'],
    ['197.255.255.255', 'https://rdap.afrinic.net/rdap/', 'AFRINIC'],
  ])('sends %s to %s (%s), preferring https', (text, url, rir) => {
    expect(rdapServiceFor(IANA_IPV4_BOOTSTRAP, address(text))).toBe(url);
    expect(rirFor(IANA_IPV4_BOOTSTRAP, address(text))).toBe(rir);
  });

  it.each(['10.1.2.3', '127.0.0.1', '0.0.0.1', '224.0.0.1', '240.0.0.1', '255.255.255.255'])('has no service for %s', (text) => {
    expect(rdapServiceFor(IANA_IPV4_BOOTSTRAP, address(text))).toBeNull();
    expect(rirFor(IANA_IPV4_BOOTSTRAP, address(text))).toBeNull();
  });

  it('routes a prefix only when one entry holds all of it', () => {
    expect(rdapServiceFor(IANA_IPV4_BOOTSTRAP, parsePrefixOrThrow('193.0.0.0/21'))).toBe('https://rdap.db.ripe.net/');
    expect(rdapServiceFor(IANA_IPV4_BOOTSTRAP, parsePrefixOrThrow('193.0.0.0/8'))).toBe('https://rdap.db.ripe.net/');
    // 192.0.0.0/7 spans ARIN's 192/8 and RIPE's 193/8.
    expect(rdapServiceFor(IANA_IPV4_BOOTSTRAP, parsePrefixOrThrow('192.0.0.0/7'))).toBeNull();
  });

  it.each([
    ['ARIN', 'https://rdap.arin.net/registry/'],
    ['RIPE', 'https://rdap.db.ripe.net/'],
    ['APNIC', 'https://rdap.apnic.net/'],
    ['LACNIC', 'https://rdap.lacnic.net/rdap/'],
    ['AFRINIC', 'https://rdap.afrinic.net/rdap/'],
  ] as const)("knows %s's own service (%s) for lookups by handle", (rir, url) => {
    expect(rdapServiceOf(IANA_IPV4_BOOTSTRAP, rir)).toBe(url);
    expect(rirOfRdapService(url)).toBe(rir);
  });

  it('names every RIR', () => {
    expect(new Set(IANA_IPV4_BOOTSTRAP.entries.map((e) => rirOfRdapService(e.urls[0]!)))).toEqual(new Set(RIRS));
  });
});

describe('bootstrap lookups', () => {
  const file = {
    version: '1.0',
    publication: '2024-01-01T00:00:00Z',
    services: [
      [['198.0.0.0/8'], ['http://plain.example/rdap', 'https://wide.example/rdap/']],
      [['198.51.0.0/16', '203.0.113.0/24'], ['https://narrow.example/']],
    ],
  };
  const b = parseBootstrap(file);

  it('takes the longest entry that contains the query (RFC 9224 §5.1)', () => {
    expect(rdapServiceFor(b, address('198.51.100.7'))).toBe('https://narrow.example/');
    expect(rdapServiceFor(b, address('198.52.0.1'))).toBe('https://wide.example/rdap/');
    expect(rdapServiceFor(b, parsePrefixOrThrow('198.50.0.0/15'))).toBe('https://wide.example/rdap/');
    expect(rdapServiceFor(b, address('203.0.113.9'))).toBe('https://narrow.example/');
    expect(rdapServiceFor(b, address('203.0.114.9'))).toBeNull();
  });

  it('prefers an https URL and always ends the base with a slash', () => {
    expect(b.entries[0]!.urls).toEqual(['https://wide.example/rdap/', 'http://plain.example/rdap']);
    const httpOnly = parseBootstrap({ ...file, services: [[['198.0.0.0/8'], ['http://plain.example/rdap']]] });
    expect(rdapServiceFor(httpOnly, address('198.1.1.1'))).toBe('http://plain.example/rdap/');
  });

  it.each([
    ['a malformed prefix', { ...file, services: [[['198.0.0/8'], ['https://x.example/']]] }, 'bootstrap entry "198.0.0/8"'],
    ['host bits set', { ...file, services: [[['198.1.0.0/8'], ['https://x.example/']]] }, 'host bits set'],
    ['no URL', { ...file, services: [[['198.0.0.0/8'], []]] }, ''],
    ['no services', { version: '1.0', publication: 'x' }, ''],
  ])('refuses a file with %s', (_what, bad, message) => {
    expect(() => parseBootstrap(bad)).toThrow(message);
  });

  it('knows no RIR for a host that is none of theirs, or for a malformed URL', () => {
    expect(rirOfRdapService('https://rdap.example.net/')).toBeNull();
    expect(rirOfRdapService('not a url')).toBeNull();
  });
});
