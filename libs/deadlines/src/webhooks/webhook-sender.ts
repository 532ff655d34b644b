import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { SIGNATURE_HEADER, signatureHeader } from './domain/signature.js';

export const WEBHOOK_USER_AGENT = 'ipv4market-webhooks/1';

export interface WebhookRequest {
  readonly url: string;
  readonly secret: string;
  /** The delivery's id: the same on every attempt, so receivers can drop duplicates. */
  readonly deliveryId: string;
  /** The raw JSON body; the signature covers exactly these bytes. */
  readonly body: string;
}

export interface AttemptOutcome {
  /** The receiver's HTTP status, or null when there was no answer. */
  readonly statusCode: number | null;
  /** Why the attempt failed without (or despite) an answer: timeout, network, redirect, refused URL. */
  readonly error: string | null;
  readonly durationMs: number;
  /** A 2xx answer. */
  readonly ok: boolean;
}

/**
 * Sends one signed POST. Redirects are not followed (a 3xx is a failure: following one could
 * lead the request to an address the guard never saw); the answer's body is not read.
 */
@Injectable()
export class WebhookSender {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async post(request: WebhookRequest): Promise<AttemptOutcome> {
    const t = Math.floor(Date.now() / 1000);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const res = await fetch(request.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': WEBHOOK_USER_AGENT,
          'webhook-id': request.deliveryId,
          [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(request.secret, t, request.body),
        },
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.webhooks.timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      const redirect = res.status >= 300 && res.status < 400 ? `redirect to ${res.headers.get('location') ?? '(no location)'} not followed` : null;
      return { statusCode: res.status, error: redirect, durationMs: elapsed(), ok };
    } catch (err) {
      return { statusCode: null, error: this.describe(err), durationMs: elapsed(), ok: false };
    }
  }

  private describe(err: unknown): string {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return `no answer within ${this.config.webhooks.timeoutMs} ms`;
    const cause = e.cause?.code ?? e.cause?.message;
    return `${e.message ?? String(err)}${cause ? `: ${cause}` : ''}`.slice(0, 500);
  }
}
