import { randomUUID } from 'node:crypto';
import { note } from './print.js';

/**
 * A tiny client of the public HTTP API, as any outside program would use it. Every call
 * states the statuses it expects; anything else throws an ApiError carrying the request and
 * the problem+json body, so a failed step says exactly what the system answered.
 */

export class ApiError extends Error {
  constructor(
    readonly request: string,
    readonly as: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${request} (as ${as}) answered ${status}${problemCode(body)}`);
    this.name = 'ApiError';
  }
}

function problemCode(body: unknown): string {
  const code = (body as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ` ${code}` : '';
}

export type Query = Record<string, string | number | undefined>;

export interface CallOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** Statuses that count as success (default: 200 and 201). */
  readonly expect?: readonly number[];
}

const REQUEST_TIMEOUT_MS = 30_000;

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    /** Who this token is, for messages ("platform admin", "Acme Cloud admin"). */
    readonly who: string,
  ) {}

  /** The same API with another bearer token. */
  as(token: string, who: string): Api {
    return new Api(this.baseUrl, token, who);
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', path, { query });
  }

  /** Every POST carries a fresh Idempotency-Key: required on those that create leases and transfers or move money, harmless elsewhere. */
  post<T>(path: string, body: unknown = {}, expect?: readonly number[]): Promise<T> {
    return this.call<T>('POST', path, { body, expect });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, { body });
  }

  /** Every row of a paged list (`{ data, nextCursor }`), up to `maxPages` pages of 500. */
  async all<T>(path: string, query: Query = {}, maxPages = 200): Promise<T[]> {
    const rows: T[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const res: { data: T[]; nextCursor: string | null } = await this.get(path, { ...query, limit: 500, cursor: cursor ?? undefined });
      rows.push(...res.data);
      cursor = res.nextCursor;
      if (!cursor) return rows;
    }
    throw new StepFailed(`GET ${path}: more than ${maxPages} pages`);
  }

  async call<T>(method: string, path: string, o: CallOptions = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const request = `${method} ${url.pathname}${url.search}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST') headers['idempotency-key'] = randomUUID();
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new ApiError(request, this.who, 0, { detail: `no answer: ${(err as Error).message}${causeOf(err)}` });
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // Not JSON (an HTML error page, a proxy): keep the text for the message.
    }
    if (!(o.expect ?? [200, 201]).includes(res.status)) throw new ApiError(request, this.who, res.status, body);
    return body as T;
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? 'unknown cause'})` : '';
}

/** A GET with no credentials, as an RDAP client or a router's validator reads the sandbox registry. */
export async function publicGet<T>(baseUrl: string, path: string, expect: readonly number[] = [200]): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, baseUrl), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = (await res.json().catch(() => null)) as T;
  if (!expect.includes(res.status)) throw new ApiError(`GET ${path}`, 'anyone (no credentials)', res.status, body);
  return { status: res.status, body };
}

/**
 * How long to wait for the worker. A system the demo starts scans every second; one found
 * running scans at its own settings (by default leases and deadlines every minute, waiting
 * transfers every 30 s), so each of its steps may take that long.
 */
export interface Pace {
  /** For a transfer to move on from a stage that waits on the registry, RDAP or payouts. */
  readonly transferMs: number;
  /** For the worker's lease and deadline scans to come round. */
  readonly scanMs: number;
  readonly quick: boolean;
}

export const QUICK: Pace = { transferMs: 60_000, scanMs: 30_000, quick: true };
export const PATIENT: Pace = { transferMs: 300_000, scanMs: 150_000, quick: false };

/** A step whose answer was not what the story needs (a check of the demo's own). */
export class StepFailed extends Error {
  override name = 'StepFailed';
}

export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

/** How often a long wait says that it is still waiting, so a slow step does not look hung. */
const STILL_WAITING_MS = 20_000;

/**
 * Polls `probe` until it returns a value (anything but undefined), at most `timeoutMs`.
 * `lastSeen` describes the state at the deadline, so a timeout says where things stood.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  o: { timeoutMs: number; intervalMs?: number; lastSeen?: () => string },
): Promise<T> {
  const start = Date.now();
  const deadline = start + o.timeoutMs;
  let told = start;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - told >= STILL_WAITING_MS) {
      told = Date.now();
      note(`still waiting for ${what} (${Math.round((told - start) / 1000)} s so far)`);
    }
    if (Date.now() >= deadline) {
      const seen = o.lastSeen?.();
      throw new WaitTimeout(`timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${what}${seen ? ` (last seen: ${seen})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, o.intervalMs ?? 250));
  }
}
