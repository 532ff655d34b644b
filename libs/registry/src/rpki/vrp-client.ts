import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { readCapped } from '../http/read-capped.js';
import { RpkiInvalidError, RpkiUnavailableError } from './errors.js';
import { type Vrp, parseVrpExport } from './vrps.js';

/**
 * The whole export is refused past this size. A global rpki-client export holds several
 * hundred thousand VRPs (tens of megabytes); the cap leaves room for growth, not for abuse.
 */
const MAX_EXPORT_BYTES = 256 * 1024 * 1024;

/**
 * Reads the validated ROA payloads (VRPs) that routers use, from an rpki-client JSON export
 * (RPKI_VRPS_URL: the sandbox's /sandbox/rpki/vrps.json, or a public rpki-client export in
 * live mode), over HTTP. It does not retry: callers decide (a job retries with backoff on
 * RpkiUnavailableError). The timeout is RDAP_TIMEOUT_MS for the whole download.
 */
@Injectable()
export class VrpClient {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get url(): string {
    return this.config.rpkiVrpsUrl;
  }

  async vrps(): Promise<Vrp[]> {
    const url = this.url;
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'follow', signal: AbortSignal.timeout(this.config.rdapTimeoutMs) });
    } catch (err) {
      const e = err as Error;
      const reason = e.name === 'TimeoutError' ? `no answer within ${this.config.rdapTimeoutMs} ms` : e.message;
      throw new RpkiUnavailableError(`VRP export unreachable: ${reason}`, url);
    }
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel().catch(() => undefined);
      throw new RpkiUnavailableError(`VRP export answered ${res.status}`, url, res.status);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new RpkiInvalidError(`VRP export answered ${res.status}`, url);
    }
    const read = await readCapped(res, MAX_EXPORT_BYTES);
    if (!read.ok && read.problem === 'too_large') throw new RpkiInvalidError(`VRP export ${read.message}`, url);
    if (!read.ok) throw new RpkiUnavailableError(`VRP export ${read.message}`, url, res.status);
    let json: unknown;
    try {
      json = JSON.parse(read.body);
    } catch {
      throw new RpkiInvalidError('VRP export is not JSON', url);
    }
    const parsed = parseVrpExport(json);
    if (!parsed.ok) throw new RpkiInvalidError(`VRP export is not in rpki-client's JSON layout: ${parsed.reason}`, url);
    return parsed.vrps;
  }
}
