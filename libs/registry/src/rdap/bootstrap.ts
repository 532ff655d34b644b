import { type Prefix, contains, parsePrefix } from '@app/ipam';
import { z } from 'zod';
import { RIRS, type Rir } from '../domain/rir.js';
import ianaIpv4 from './iana-ipv4-bootstrap.json' with { type: 'json' };

/**
 * IANA's RDAP bootstrap registry for IPv4 (RFC 9224): which RDAP service answers for which
 * address space. Shipped as data (iana-ipv4-bootstrap.json, a copy of
 * https://data.iana.org/rdap/ipv4.json) so that lookups need no extra round trip and keep
 * working when IANA is unreachable; refresh the copy when IANA publishes a new one.
 */
export interface Ipv4Bootstrap {
  readonly publication: string;
  /** Every entry, with the service URLs that answer for it (preferred first). */
  readonly entries: readonly { readonly prefix: Prefix; readonly urls: readonly string[] }[];
}

const fileSchema = z.object({
  version: z.string(),
  publication: z.string(),
  description: z.string().optional(),
  services: z.array(z.tuple([z.array(z.string()).min(1), z.array(z.url()).min(1)])),
});

/** Validates a bootstrap file (RFC 9224 §3); throws naming the first bad entry. */
export function parseBootstrap(json: unknown): Ipv4Bootstrap {
  const file = fileSchema.parse(json);
  const entries = file.services.flatMap(([prefixes, urls]) =>
    prefixes.map((text) => {
      const parsed = parsePrefix(text);
      if (!parsed.ok) throw new Error(`bootstrap entry ${JSON.stringify(text)}: ${parsed.error.message}`);
      // RFC 9224 §3: clients should prefer https.
      return { prefix: parsed.value, urls: [...urls.filter((u) => u.startsWith('https:')), ...urls.filter((u) => !u.startsWith('https:'))] };
    }),
  );
  return { publication: file.publication, entries };
}

export const IANA_IPV4_BOOTSTRAP: Ipv4Bootstrap = parseBootstrap(ianaIpv4);

/**
 * The base URL of the RDAP service for `query` (an address is a /32): the longest entry
 * that contains the whole query (RFC 9224 §5.1), or null when no registry serves it
 * (private, reserved and multicast space are in no entry).
 */
export function rdapServiceFor(bootstrap: Ipv4Bootstrap, query: Prefix): string | null {
  let best: (typeof bootstrap.entries)[number] | null = null;
  for (const entry of bootstrap.entries) {
    if (contains(entry.prefix, query) && (!best || entry.prefix.length > best.prefix.length)) best = entry;
  }
  return best ? withSlash(best.urls[0]!) : null;
}

// The five RIRs' RDAP hosts, as the bootstrap file names them.
const RIR_RDAP_HOSTS: Readonly<Record<Rir, string>> = {
  ARIN: 'rdap.arin.net',
  RIPE: 'rdap.db.ripe.net',
  APNIC: 'rdap.apnic.net',
  LACNIC: 'rdap.lacnic.net',
  AFRINIC: 'rdap.afrinic.net',
};

/** The RIR that runs an RDAP service URL, or null. */
export function rirOfRdapService(url: string): Rir | null {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
  return RIRS.find((r) => RIR_RDAP_HOSTS[r] === host) ?? null;
}

/** The RIR whose RDAP service answers for `query`, or null. */
export function rirFor(bootstrap: Ipv4Bootstrap, query: Prefix): Rir | null {
  const url = rdapServiceFor(bootstrap, query);
  return url ? rirOfRdapService(url) : null;
}

/** An RIR's own RDAP base URL (for lookups by handle, which the IPv4 file cannot route), from the bootstrap file. */
export function rdapServiceOf(bootstrap: Ipv4Bootstrap, rir: Rir): string | null {
  for (const entry of bootstrap.entries) {
    const url = entry.urls.find((u) => rirOfRdapService(u) === rir);
    if (url) return withSlash(url);
  }
  return null;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
