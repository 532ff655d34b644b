import { parseAddress, specialPurposeOverlap } from '@app/ipam';

/**
 * Which addresses a webhook may be sent to: public unicast only. Anything a request from
 * inside our network could use to reach something it should not (loopback, private and
 * shared space, link-local and the cloud metadata service on it, multicast, the unspecified
 * address and every other special-purpose block) is refused: the SSRF guard.
 *
 * IPv4 uses the IANA special-purpose registry of libs/ipam. IPv6 is an allow-list: global
 * unicast (2000::/3) less its special-purpose blocks; IPv4-mapped and NAT64 addresses are
 * judged by the IPv4 address inside them.
 */
export type AddressVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const ALLOWED: AddressVerdict = { allowed: true };
const refused = (reason: string): AddressVerdict => ({ allowed: false, reason });

export function addressVerdict(address: string): AddressVerdict {
  // A zone index ('fe80::1%eth0') names an interface, not part of the address.
  const text = address.split('%')[0]!;
  if (text.includes(':')) {
    const groups = parseIpv6(text);
    return groups ? ipv6Verdict(groups, text) : refused(`${JSON.stringify(address)} is not an IP address`);
  }
  const v4 = parseAddress(text);
  if (!v4.ok) return refused(`${JSON.stringify(address)} is not an IP address`);
  return ipv4Verdict(v4.value, text);
}

function ipv4Verdict(value: number, shown: string): AddressVerdict {
  const entry = specialPurposeOverlap({ first: value, length: 32 });
  return entry ? refused(`${shown} is ${entry.name} address space (${entry.prefix}, ${entry.rfc})`) : ALLOWED;
}

function embeddedIpv4(g: readonly number[]): { value: number; text: string } {
  const value = g[6]! * 65536 + g[7]!;
  return { value, text: [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.') };
}

function ipv6Verdict(g: readonly number[], shown: string): AddressVerdict {
  const zerosTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zerosTo(8)) return refused(`${shown} is the unspecified address (::/128)`);
  if (zerosTo(7) && g[7] === 1) return refused(`${shown} is the loopback address (::1/128)`);
  if (zerosTo(5) && g[5] === 0xffff) {
    const v4 = embeddedIpv4(g);
    const inner = ipv4Verdict(v4.value, v4.text);
    return inner.allowed ? inner : refused(`${shown} maps an IPv4 address: ${inner.reason}`);
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    const v4 = embeddedIpv4(g);
    const inner = ipv4Verdict(v4.value, v4.text);
    return inner.allowed ? inner : refused(`${shown} translates to IPv4 (NAT64): ${inner.reason}`);
  }
  const first = g[0]!;
  if ((first & 0xe000) !== 0x2000) return refused(`${shown} is ${ipv6Name(first)}, not global unicast (2000::/3)`);
  if (first === 0x2001 && g[1]! < 0x0200) return refused(`${shown} is IETF protocol assignment space (2001::/23, RFC 2928)`);
  if (first === 0x2001 && g[1] === 0x0db8) return refused(`${shown} is documentation space (2001:db8::/32, RFC 3849)`);
  if (first === 0x2002) return refused(`${shown} is 6to4 space (2002::/16, RFC 3056)`);
  if (first === 0x3fff && g[1]! < 0x1000) return refused(`${shown} is documentation space (3fff::/20, RFC 9637)`);
  return ALLOWED;
}

function ipv6Name(first: number): string {
  if ((first & 0xfe00) === 0xfc00) return 'a unique local address (fc00::/7)';
  if ((first & 0xffc0) === 0xfe80) return 'a link-local address (fe80::/10)';
  if ((first & 0xffc0) === 0xfec0) return 'a site-local address (fec0::/10)';
  if ((first & 0xff00) === 0xff00) return 'a multicast address (ff00::/8)';
  if (first === 0) return 'in ::/16 (IPv4-compatible and other reserved addresses)';
  return 'reserved address space';
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** The eight 16-bit groups of an IPv6 address ('::' compression and a dotted IPv4 tail allowed), or null. */
export function parseIpv6(text: string): number[] | null {
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    const v4 = parseAddress(body.slice(lastColon + 1));
    if (!v4.ok) return null;
    tail = [Math.floor(v4.value / 65536), v4.value % 65536];
    // Keep the colon before the tail when it is part of '::' ('::ffff:1.2.3.4' and '::1.2.3.4').
    body = body.slice(0, lastColon + 1);
    body = body.endsWith('::') ? body : body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const part = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const group of s.split(':')) {
      if (!HEX_GROUP.test(group)) return null;
      out.push(parseInt(group, 16));
    }
    return out;
  };
  const head = part(halves[0]!);
  const rest = halves.length === 2 ? part(halves[1]!) : [];
  if (!head || !rest) return null;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (given > 7) return null;
    return [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  }
  return given === 8 ? [...head, ...tail] : null;
}
