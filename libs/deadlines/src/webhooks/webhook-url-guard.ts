import { promises as dns } from 'node:dns';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ProblemError } from '@app/platform';
import { type LookupAll, type UrlVerdict, checkUrlAddresses } from './domain/webhook-url.js';

/** How the guard resolves hosts; a provider so that tests may answer for DNS. */
export const WEBHOOK_DNS_LOOKUP = Symbol('WEBHOOK_DNS_LOOKUP');
export const systemLookup: LookupAll = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * Refuses endpoint URLs that resolve to anything but public unicast addresses, when an
 * endpoint is created and again before every attempt (the name may resolve elsewhere by
 * then: DNS rebinding). WEBHOOKS_ALLOW_PRIVATE_URLS turns it off (tests, sandbox).
 */
@Injectable()
export class WebhookUrlGuard {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WEBHOOK_DNS_LOOKUP) private readonly lookup: LookupAll,
  ) {}

  /** Why the URL may not be sent to now, or null. */
  async refusal(url: string): Promise<Extract<UrlVerdict, { allowed: false }> | null> {
    if (this.config.webhooks.allowPrivateUrls) return null;
    const verdict = await checkUrlAddresses(url, this.lookup);
    return verdict.allowed ? null : verdict;
  }

  /** Throws the 422 problem of a refused URL. */
  async assertAllowed(url: string): Promise<void> {
    const refused = await this.refusal(url);
    if (!refused) return;
    const title = refused.code === 'WEBHOOK.URL_UNRESOLVABLE' ? 'Webhook URL does not resolve' : 'Webhook URL not allowed';
    throw new ProblemError(422, refused.code, title, `${refused.reason}; webhooks go to public addresses only`, [
      { field: 'body.url', code: refused.code, message: refused.reason },
    ]);
  }
}
