import { Inject, Injectable } from '@nestjs/common';
import { type Prefix, formatAddress, formatPrefix, parseAddress, parsePrefix } from '@app/ipam';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import type { z } from 'zod';
import { HANDLE_PATTERN, type Rir } from '../domain/rir.js';
import { readCapped } from '../http/read-capped.js';
import { IANA_IPV4_BOOTSTRAP, type Ipv4Bootstrap, rdapServiceFor, rdapServiceOf } from './bootstrap.js';
import { RdapInvalidError, RdapNotFoundError, RdapUnavailableError } from './errors.js';
import { type RdapEntity, type RdapIpNetwork, rdapEntitySchema, rdapIpNetworkSchema } from './rdap-types.js';

/** Larger answers are refused: a network answer with its contacts is a few kilobytes. */
const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

/**
 * An RDAP client (RFC 9082 queries, RFC 9083 answers). It finds the registry through IANA's
 * bootstrap file, or, in sandbox mode, asks the sandbox registry for everything, over HTTP
 * exactly as it would ask an RIR. It does not retry: callers decide (a job retries with
 * backoff on RdapUnavailableError, an HTTP request answers 503).
 */
@Injectable()
export class RdapClient {
  private readonly bootstrap: Ipv4Bootstrap = IANA_IPV4_BOOTSTRAP;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * The most specific network that covers an address ('45.91.20.7') or a whole prefix
   * ('45.91.20.0/22'). Throws RdapNotFoundError when no registry has one.
   */
  async ipNetwork(prefixOrAddress: string): Promise<RdapIpNetwork> {
    const query = parseQuery(prefixOrAddress);
    const base = this.networkService(query.prefix);
    if (!base) throw new RdapNotFoundError(`no RDAP service answers for ${query.path}`);
    return this.fetchObject(`${base}ip/${query.path}`, rdapIpNetworkSchema, 'ip network');
  }

  /**
   * An entity by handle. In live mode handles are per registry and the IPv4 bootstrap file
   * cannot route them, so `rir` names the registry to ask; without it the lookup is refused.
   */
  async entity(handle: string, rir?: Rir): Promise<RdapEntity> {
    if (!HANDLE_PATTERN.test(handle)) throw new TypeError(`${JSON.stringify(handle)} is not a registry handle`);
    const base = this.config.registryMode === 'sandbox' ? this.sandboxService() : rir ? rdapServiceOf(this.bootstrap, rir) : null;
    if (!base) throw new TypeError('a live entity lookup needs the RIR that issued the handle');
    return this.fetchObject(`${base}entity/${encodeURIComponent(handle)}`, rdapEntitySchema, 'entity');
  }

  /** The RDAP base URL asked for `query` (ends with '/'), or null. */
  networkService(query: Prefix): string | null {
    return this.config.registryMode === 'sandbox' ? this.sandboxService() : rdapServiceFor(this.bootstrap, query);
  }

  private sandboxService(): string {
    return `${this.config.sandboxBaseUrl}/sandbox/rdap/`;
  }

  private async fetchObject<S extends z.ZodType>(url: string, schema: S, what: string): Promise<z.output<S>> {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/rdap+json, application/json;q=0.9' },
        // RIRs redirect queries for space another registry now serves (RFC 7480 §5.2).
        redirect: 'follow',
        signal: AbortSignal.timeout(this.config.rdapTimeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      const reason = e.name === 'TimeoutError' ? `no answer within ${this.config.rdapTimeoutMs} ms` : e.message;
      throw new RdapUnavailableError(`RDAP server unreachable: ${reason}`, url);
    }
    const read = await readCapped(res, MAX_ANSWER_BYTES);
    if (!read.ok && read.problem === 'too_large') throw new RdapInvalidError(`RDAP ${read.message}`, url);
    if (!read.ok) throw new RdapUnavailableError(`RDAP ${read.message}`, url, res.status);
    const body = read.body;
    if (res.status === 404) throw new RdapNotFoundError(`the registry has no ${what} for this query`, url);
    if (res.status === 429 || res.status >= 500) {
      throw new RdapUnavailableError(`RDAP server answered ${res.status}`, url, res.status);
    }
    if (res.status !== 200) throw new RdapInvalidError(`RDAP server answered ${res.status}`, url);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new RdapInvalidError('RDAP answer is not JSON', url);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new RdapInvalidError(`RDAP answer is not a valid ${what}: ${first ? `${first.path.join('.') || '(root)'} ${first.message}` : 'invalid'}`, url);
    }
    return parsed.data;
  }
}

/** An address ('a.b.c.d') or a prefix ('a.b.c.d/n'), as the RFC 9082 path segment and a prefix. */
function parseQuery(text: string): { prefix: Prefix; path: string } {
  if (text.includes('/')) {
    const p = parsePrefix(text);
    if (!p.ok) throw new TypeError(`${p.error.code}: ${p.error.message}`);
    return { prefix: p.value, path: formatPrefix(p.value) };
  }
  const a = parseAddress(text);
  if (!a.ok) throw new TypeError(`${a.error.code}: ${a.error.message}`);
  return { prefix: { first: a.value, length: 32 }, path: formatAddress(a.value) };
}
