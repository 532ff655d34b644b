import { describe, expect, it } from '@jest/globals';
import { addressVerdict, parseIpv6 } from './address-guard.js';

describe('webhook address guard', () => {
  it.each([
    '93.184.215.14',
    '1.1.1.1',
    '8.8.8.8',
    '45.91.20.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
    '::ffff:93.184.215.14',
    '64:ff9b::808:808',
  ])('allows the public address %s', (a) => {
    expect(addressVerdict(a)).toEqual({ allowed: true });
  });

  it.each([
    ['127.0.0.1', /Loopback/],
    ['127.255.255.254', /Loopback/],
    ['10.0.0.1', /Private-Use/],
    ['172.16.5.4', /Private-Use/],
    ['192.168.1.1', /Private-Use/],
    ['169.254.169.254', /Link Local/],
    ['100.64.0.1', /Shared Address Space/],
    ['0.0.0.0', /This network/],
    ['224.0.0.1', /Multicast/],
    ['255.255.255.255', /Broadcast/],
    ['192.0.2.10', /Documentation/],
    ['198.18.0.1', /Benchmarking/],
    ['::', /unspecified/],
    ['::1', /loopback/],
    ['0:0:0:0:0:0:0:1', /loopback/],
    ['fc00::1', /unique local/],
    ['fd12:3456:789a::1', /unique local/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['febf::1', /link-local/],
    ['fec0::1', /site-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /maps an IPv4 address: 127.0.0.1 is Loopback/],
    ['::ffff:7f00:1', /Loopback/],
    ['::ffff:169.254.169.254', /Link Local/],
    ['::ffff:10.1.2.3', /Private-Use/],
    ['64:ff9b::10.0.0.1', /NAT64.*Private-Use/],
    ['::127.0.0.1', /IPv4-compatible/],
    ['2001:db8::1', /documentation/],
    ['2001::1', /IETF protocol/],
    ['2002:7f00:1::1', /6to4/],
    ['3fff::1', /documentation/],
    ['100::1', /not global unicast/],
    ['5f00::1', /not global unicast/],
  ])('refuses %s', (a, reason) => {
    const verdict = addressVerdict(a);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? '' : verdict.reason).toMatch(reason);
  });

  it.each(['', 'localhost', '1.2.3', '256.0.0.1', '01.2.3.4', '1::2::3', ':::', 'g::1', '1:2:3:4:5:6:7:8:9'])('refuses %j, which is no address', (a) => {
    expect(addressVerdict(a)).toEqual({ allowed: false, reason: expect.stringMatching(/is not an IP address/) });
  });

  it.each([
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
    ['2001:db8::ff00:42:8329', [0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', [0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]],
    ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]],
    ['::1.2.3.4', [0, 0, 0, 0, 0, 0, 0x0102, 0x0304]],
    ['1:2:3:4:5:6:1.2.3.4', [1, 2, 3, 4, 5, 6, 0x0102, 0x0304]],
    ['FE80::A', [0xfe80, 0, 0, 0, 0, 0, 0, 0xa]],
  ])('parses %s', (text, groups) => {
    expect(parseIpv6(text)).toEqual(groups);
  });

  it.each(['1:2:3:4:5:6:7', '1::2::3', ':1', '1:', '12345::', '1:2:3:4:5:6:7:8::', '::1.2.3', '1.2.3.4::', '::ffff:1.2.3.4:5'])('does not parse %j', (text) => {
    expect(parseIpv6(text)).toBeNull();
  });
});
