import { addressVerdict } from './address-guard.js';

export const MAX_URL_LENGTH = 2000;

/**
 * The syntax rules of an endpoint URL: absolute http or https, with a host, without
 * credentials (they would be shown in every answer and log). Null when acceptable, else why not.
 */
export function urlSyntaxProblem(text: string): string | null {
  if (text.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (!url.hostname) return 'must name a host';
  if (url.username || url.password) return 'must not carry credentials';
  return null;
}

/** The host to resolve: an IPv6 literal loses its brackets. */
export function urlHost(url: URL): string {
  return url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
}

export type LookupAll = (host: string) => Promise<readonly { readonly address: string }[]>;

export type UrlVerdict =
  | { readonly allowed: true; readonly addresses: readonly string[] }
  | { readonly allowed: false; readonly code: 'WEBHOOK.URL_NOT_ALLOWED' | 'WEBHOOK.URL_UNRESOLVABLE'; readonly reason: string };

/**
 * Resolves the URL's host and refuses it when any of its addresses is not public unicast
 * (a host with one public and one private address could be sent to either).
 */
export async function checkUrlAddresses(text: string, lookup: LookupAll): Promise<UrlVerdict> {
  const syntax = urlSyntaxProblem(text);
  if (syntax) return { allowed: false, code: 'WEBHOOK.URL_NOT_ALLOWED', reason: `the URL ${syntax}` };
  const host = urlHost(new URL(text));
  let addresses: readonly { readonly address: string }[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { allowed: false, code: 'WEBHOOK.URL_UNRESOLVABLE', reason: `${host} does not resolve${typeof code === 'string' ? ` (${code})` : ''}` };
  }
  if (addresses.length === 0) return { allowed: false, code: 'WEBHOOK.URL_UNRESOLVABLE', reason: `${host} does not resolve` };
  for (const { address } of addresses) {
    const verdict = addressVerdict(address);
    if (!verdict.allowed) {
      const via = address === host ? '' : `${host} resolves to ${address}: `;
      return { allowed: false, code: 'WEBHOOK.URL_NOT_ALLOWED', reason: `${via}${verdict.reason}` };
    }
  }
  return { allowed: true, addresses: addresses.map((a) => a.address) };
}
