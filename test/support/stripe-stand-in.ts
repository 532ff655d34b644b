import { createHmac, randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stateful stand-in for Stripe's API (api.stripe.com), served by node:http on 127.0.0.1,
 * so the real `stripe` SDK runs against it: point the SDK at `baseUrl` (see `sdkConfig()`
 * and test/stripe-stand-in.e2e-spec.ts for how STRIPE_API_BASE maps onto the SDK's options).
 *
 * What it does like Stripe: form-encoded parameters (`a[b][0]=c`), unknown parameters
 * refused (including `payment_method_types` on a PaymentIntent, gone since API version
 * 2026-10-28), amounts capped at 8 digits by default, currencies lower-cased, Stripe's error shape and status codes, test-mode keys
 * only (`sk_test_...`), lists newest first with `starting_after`, and idempotency keys:
 * a POST replayed with a key seen before on the same path with the same parameters answers
 * the first response again (`Idempotent-Replayed: true`) without creating anything; other
 * parameters answer 400 `idempotency_error`. As at Stripe, a request refused by parameter
 * validation stores nothing under its key; an error from the endpoint itself (e.g. refunding
 * more than was charged) is stored and replayed. Keys live as long as the server, until
 * `forgetIdempotencyKeys()` (Stripe forgets them after 24 hours).
 *
 * Disputes and transfer reversals, as Stripe books them: a dispute (`dispute()`, made by the
 * cardholder's bank at Stripe, so a test helper here, not an endpoint) withdraws its amount
 * from the balance (balance transaction type `adjustment`, reporting category `dispute`,
 * source dp_) and marks the charge `disputed`; won (`closeDispute`) reinstates it (`adjustment`,
 * `dispute_reversal`, +amount), lost keeps it; `GET /v1/disputes` lists them. A reversal
 * (`reverseTransfer`) gives money back from the connected account (`transfer_refund`,
 * `transfer_reversal`, source trr_, +amount) and shows on the transfer (`amount_reversed`,
 * `reversed`, `reversals`). Each helper returns the event Stripe sends for it.
 *
 * What it does not do: balances (a transfer never fails for lack of funds), fees (net =
 * amount; no dispute fee), payment methods (confirming with any `payment_method` succeeds),
 * connected accounts (any `acct_...` destination exists), concurrency (requests are handled
 * one at a time, so no 409 `idempotency_key_in_use`), the reversal and dispute endpoints
 * (`POST`/`GET /v1/transfers/:id/reversals`, dispute evidence and closing by API), inquiries
 * and early fraud warnings, `has_more` on a transfer's `reversals` (all are listed).
 */

export type Param = string | Param[] | Params;
export type Params = { [key: string]: Param };
export type Metadata = Record<string, string>;

export const STRIPE_KINDS = ['payment_intents', 'charges', 'transfers', 'refunds', 'disputes', 'balance_transactions', 'events'] as const;
export type StripeKind = (typeof STRIPE_KINDS)[number];

interface StripeObjectBase {
  id: string;
  object: string;
  created: number;
  livemode: false;
}
export interface PaymentIntentJson extends StripeObjectBase {
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: 'requires_payment_method' | 'succeeded' | 'canceled';
  transfer_group: string | null;
  metadata: Metadata;
  description: string | null;
  payment_method: string | null;
  /** What the caller allowed (API 2026-10-28 and later: the request no longer takes `payment_method_types`). */
  allowed_payment_method_types: string[] | null;
  excluded_payment_method_types: string[] | null;
  /** The types the customer may pay with. */
  payment_method_types: string[];
  automatic_payment_methods: { enabled: boolean } | null;
  capture_method: 'automatic';
  client_secret: string;
  latest_charge: string | null;
  last_payment_error: { type: string; code: string; message: string } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
}
export interface ChargeJson extends StripeObjectBase {
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  currency: string;
  status: 'succeeded';
  paid: true;
  captured: true;
  refunded: boolean;
  disputed: boolean;
  payment_intent: string;
  transfer_group: string | null;
  balance_transaction: string;
  metadata: Metadata;
}
export interface TransferJson extends StripeObjectBase {
  object: 'transfer';
  amount: number;
  amount_reversed: number;
  currency: string;
  destination: string;
  transfer_group: string | null;
  source_transaction: string | null;
  balance_transaction: string;
  reversed: boolean;
  /** Newest first, as Stripe embeds them (all of them here: never `has_more`). */
  reversals: { object: 'list'; data: TransferReversalJson[]; has_more: false; total_count: number; url: string };
  description: string | null;
  metadata: Metadata;
}
export interface TransferReversalJson extends StripeObjectBase {
  object: 'transfer_reversal';
  amount: number;
  currency: string;
  transfer: string;
  balance_transaction: string;
  destination_payment_refund: string | null;
  source_refund: string | null;
  metadata: Metadata;
}
export interface RefundJson extends StripeObjectBase {
  object: 'refund';
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string;
  status: 'succeeded';
  reason: string | null;
  balance_transaction: string;
  metadata: Metadata;
}
export type DisputeStatus = 'warning_needs_response' | 'warning_under_review' | 'warning_closed' | 'needs_response' | 'under_review' | 'won' | 'lost';
export interface DisputeJson extends StripeObjectBase {
  object: 'dispute';
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string | null;
  status: DisputeStatus;
  reason: string;
  is_charge_refundable: boolean;
  /** The withdrawal, and the reinstatement once won, oldest first. */
  balance_transactions: BalanceTransactionJson[];
  /** The dispute's own metadata (Stripe does not copy the charge's). */
  metadata: Metadata;
}
export interface BalanceTransactionJson extends StripeObjectBase {
  object: 'balance_transaction';
  /** Signed: a charge, a won dispute or a transfer reversal adds to the platform's balance; a transfer, a refund or a dispute takes from it. */
  amount: number;
  fee: number;
  net: number;
  currency: string;
  /** A dispute's withdrawal and reinstatement are `adjustment`s; a transfer reversal is a `transfer_refund`. */
  type: 'charge' | 'transfer' | 'refund' | 'adjustment' | 'transfer_refund';
  reporting_category: 'charge' | 'transfer' | 'refund' | 'dispute' | 'dispute_reversal' | 'transfer_reversal';
  source: string;
  status: 'available';
  available_on: number;
}
export interface StripeEventJson extends StripeObjectBase {
  object: 'event';
  type: string;
  api_version: string;
  data: { object: unknown };
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
}
export interface ObjectsByKind {
  payment_intents: PaymentIntentJson;
  charges: ChargeJson;
  transfers: TransferJson;
  refunds: RefundJson;
  disputes: DisputeJson;
  balance_transactions: BalanceTransactionJson;
  events: StripeEventJson;
}

export interface RecordedRequest {
  method: string;
  /** Without the query string, e.g. '/v1/transfers'. */
  path: string;
  idempotencyKey: string | undefined;
  stripeAccount: string | undefined;
  /** The form body (POST) or the query (GET), parsed. */
  params: Params;
  status: number;
  /** Answered from the idempotency store: nothing was created. */
  replayed: boolean;
  /** The server handled it, then destroyed the socket instead of answering. */
  dropped: boolean;
}

export interface ScriptedFailure {
  status: number;
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error' | 'rate_limit_error';
  message: string;
  code?: string;
  /** Sent as `Stripe-Should-Retry`; the SDK retries 409, 429 and 5xx unless it is false. */
  shouldRetry?: boolean;
}

/** A webhook delivery: the raw body and its `Stripe-Signature` header. */
export interface SignedDelivery {
  body: string;
  header: string;
}
/** A delivery the receiver must refuse; `header` is undefined when it carries none. */
export interface BadDelivery {
  body: string;
  header: string | undefined;
}

export interface StandInOptions {
  /** `api_version` of the events; Stripe renders events in the account's version. */
  apiVersion?: string;
  /** Largest amount Stripe accepts by default (8 digits: $999,999.99); accounts can ask for more. */
  maxAmount?: number;
  /** Milliseconds since the epoch, for `created` and signatures. */
  now?: () => number;
}

/** The API version of the pinned SDK (stripe 23.1.0); the e2e spec checks they agree. */
export const DEFAULT_API_VERSION = '2026-10-28.endive';
/** Stripe's default webhook tolerance is 300 s; a signature this old is refused. */
const STALE_SIGNATURE_AGE_S = 6 * 60;

/** Query parameters each list endpoint filters on (equality on the field of that name). */
const LIST_FILTERS: Record<StripeKind, readonly string[]> = {
  payment_intents: [],
  charges: ['payment_intent', 'transfer_group'],
  transfers: ['destination', 'transfer_group'],
  refunds: ['payment_intent', 'charge'],
  disputes: ['charge', 'payment_intent'],
  balance_transactions: ['type', 'source', 'currency'],
  events: ['type'],
};

/** `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`, as Stripe signs webhooks. */
export function stripeSignatureHeader(body: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** Parses a form body or query string the way Stripe does: `a[b]=c` nests, `a[0]=c` makes arrays. */
export function parseStripeForm(encoded: string): Params {
  const root: Params = {};
  for (const pair of encoded.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) throw invalid(`Invalid parameter name: ${key}`, 'parameter_invalid_string', key);
    const names = [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])];
    let node: Params = root;
    names.forEach((raw, i) => {
      const name = raw === '' ? String(Object.keys(node).length) : raw;
      if (['__proto__', 'constructor', 'prototype'].includes(name)) throw invalid(`Invalid parameter name: ${key}`, 'parameter_unknown', key);
      const last = i === names.length - 1;
      const existing = node[name];
      if (last ? existing !== undefined : typeof existing === 'string') throw invalid(`Invalid hash or duplicate parameter: ${key}`, 'parameter_invalid_string', key);
      if (last) node[name] = value;
      else node = (existing as Params | undefined) ?? (node[name] = {});
    });
  }
  return toArrays(root) as Params;
}

function toArrays(p: Param, underMetadata = false): Param {
  if (typeof p === 'string' || Array.isArray(p)) return p;
  const keys = Object.keys(p);
  const entries = keys.map((k) => [k, toArrays(p[k], k === 'metadata')] as const);
  const indexed = keys.length > 0 && keys.every((k, i) => k === String(i));
  return indexed && !underMetadata ? entries.map(([, v]) => v) : Object.fromEntries(entries);
}

/** JSON with sorted keys: two requests carry the same parameters when these are equal. */
function canonical(p: Param): string {
  if (typeof p === 'string') return JSON.stringify(p);
  if (Array.isArray(p)) return `[${p.map(canonical).join(',')}]`;
  return `{${Object.keys(p).sort().map((k) => `${JSON.stringify(k)}:${canonical(p[k])}`).join(',')}}`;
}

interface StripeErrorBody {
  type: string;
  message: string;
  code?: string;
  param?: string;
}
/** An answer in Stripe's error shape; `stored` when Stripe keeps it under the idempotency key. */
class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeErrorBody,
    readonly stored: boolean,
  ) {
    super(error.message);
  }
}
const invalid = (message: string, code: string, param?: string) =>
  new StripeFailure(400, { type: 'invalid_request_error', message, code, ...(param ? { param } : {}) }, false);
const endpointError = (message: string, code: string, param?: string) =>
  new StripeFailure(400, { type: 'invalid_request_error', message, code, ...(param ? { param } : {}) }, true);
const noSuch = (what: string, id: string, param: string, status = 400) =>
  new StripeFailure(status, { type: 'invalid_request_error', message: `No such ${what}: '${id}'`, code: 'resource_missing', param }, true);

/** Reads a request's parameters, refusing unknown ones as Stripe does. */
class Form {
  constructor(
    readonly params: Params,
    allowed: readonly string[],
  ) {
    for (const k of Object.keys(params)) {
      if (!allowed.includes(k) && k !== 'expand') throw invalid(`Received unknown parameter: ${k}`, 'parameter_unknown', k);
    }
  }
  string(name: string, required: true): string;
  string(name: string, required?: false): string | null;
  string(name: string, required = false): string | null {
    const v = this.params[name];
    if (v === undefined || v === '') {
      if (required) throw invalid(`Missing required param: ${name}.`, 'parameter_missing', name);
      return null;
    }
    if (typeof v !== 'string') throw invalid(`Invalid string: ${name}`, 'parameter_invalid_string', name);
    return v;
  }
  amount(name: string, max: number, required: true): number;
  amount(name: string, max: number, required: false): number | null;
  amount(name: string, max: number, required: boolean): number | null {
    const v = this.string(name, required as true);
    if (v === null) return null;
    if (!/^\d{1,15}$/.test(v)) throw invalid(`Invalid integer: ${v}`, 'parameter_invalid_integer', name);
    const n = Number(v);
    if (n < 1) throw invalid('This value must be greater than or equal to 1.', 'parameter_invalid_integer', name);
    if (n > max) throw invalid(`Amount must be no more than ${max}`, 'amount_too_large', name);
    return n;
  }
  currency(): string {
    const c = this.string('currency', true);
    if (!/^[a-z]{3}$/i.test(c)) throw invalid(`Invalid currency: ${c}`, 'parameter_invalid_string', 'currency');
    return c.toLowerCase();
  }
  boolean(name: string): boolean | null {
    const v = this.string(name);
    if (v === null) return null;
    if (v !== 'true' && v !== 'false') throw invalid(`Invalid boolean: ${v}`, 'parameter_invalid_boolean', name);
    return v === 'true';
  }
  strings(name: string): string[] | null {
    const v = this.params[name];
    if (v === undefined) return null;
    if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw invalid(`Invalid array: ${name}`, 'parameter_invalid_array', name);
    return v;
  }
  /** Stripe's limits: 50 keys, keys up to 40 characters, values up to 500. */
  metadata(): Metadata {
    const v = this.params.metadata;
    if (v === undefined || v === '') return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw invalid('Invalid hash: metadata', 'parameter_invalid_string', 'metadata');
    const entries = Object.entries(v);
    if (entries.length > 50) throw invalid('Metadata can have at most 50 keys', 'parameter_invalid_string', 'metadata');
    for (const [k, x] of entries) {
      if (typeof x !== 'string') throw invalid(`Invalid string: metadata[${k}]`, 'parameter_invalid_string', `metadata[${k}]`);
      if (k.length > 40 || x.length > 500) throw invalid(`Metadata key or value too long: ${k}`, 'parameter_invalid_string', `metadata[${k}]`);
    }
    return Object.fromEntries(entries) as Metadata;
  }
}

interface Outcome {
  status: number;
  body: unknown;
}
interface StoredResponse extends Outcome {
  path: string;
  params: string;
}
interface Script<T> {
  method: string | undefined;
  path: string;
  value: T;
}

export class StripeStandIn {
  baseUrl = '';
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  private store = emptyStore();
  private idempotency = new Map<string, StoredResponse>();
  private failures: Script<ScriptedFailure>[] = [];
  private drops: Script<true>[] = [];
  private readonly apiVersion: string;
  private readonly maxAmount: number;
  private readonly now: () => number;

  constructor(options: StandInOptions = {}) {
    this.apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
    this.maxAmount = options.maxAmount ?? 99_999_999;
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.serve(req, res).catch(() => req.socket.destroy()));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** The `stripe` SDK's config options that send its requests here. */
  sdkConfig(): { host: string; port: number; protocol: 'http' } {
    const url = new URL(this.baseUrl);
    return { host: url.hostname, port: Number(url.port), protocol: 'http' };
  }

  /** Forgets every object, request, script and idempotency key. */
  reset(): void {
    this.store = emptyStore();
    this.requests.length = 0;
    this.idempotency.clear();
    this.failures = [];
    this.drops = [];
  }

  /** What Stripe does 24 hours after a key was first used: the key may be reused as new. */
  forgetIdempotencyKeys(): void {
    this.idempotency.clear();
  }

  /** Copies of the objects of a kind, oldest first. */
  objects<K extends StripeKind>(kind: K): ObjectsByKind[K][] {
    return [...this.store[kind].values()].map((o) => structuredClone(o));
  }

  count(kind: StripeKind): number {
    return this.store[kind].size;
  }

  /**
   * The next request to `path` ('/v1/transfers', or 'POST /v1/transfers' for one method)
   * answers this error before Stripe's idempotency layer: nothing is created and nothing is
   * stored under its key, so a retry with the same key runs for real.
   */
  failNext(path: string, failure: ScriptedFailure): void {
    this.failures.push({ ...splitRoute(path), value: failure });
  }

  /**
   * The next `times` requests to `path` are handled (objects created, keys stored, replays
   * replayed) and then the socket is destroyed instead of answering: Stripe acted, the caller
   * never learns it. Note the SDK retries a reset connection once even with
   * `maxNetworkRetries: 0`, with the same idempotency key; `times: 2` defeats that retry.
   */
  dropConnectionAfterNext(path: string, { times = 1 }: { times?: number } = {}): void {
    for (let i = 0; i < times; i++) this.drops.push({ ...splitRoute(path), value: true });
  }

  /** The customer paid: the PaymentIntent succeeds with a charge. Returns `payment_intent.succeeded`. */
  succeedPaymentIntent(id: string): StripeEventJson {
    const pi = this.paymentIntent(id);
    if (pi.status !== 'requires_payment_method') throw new Error(`${id} is ${pi.status}, cannot succeed`);
    this.charge(pi);
    return this.event('payment_intent.succeeded', pi);
  }

  /** The customer's payment failed: the PaymentIntent stays payable. Returns `payment_intent.payment_failed`. */
  failPaymentIntent(id: string, message = 'Your card was declined.'): StripeEventJson {
    const pi = this.paymentIntent(id);
    if (pi.status !== 'requires_payment_method') throw new Error(`${id} is ${pi.status}, cannot fail`);
    pi.last_payment_error = { type: 'card_error', code: 'card_declined', message };
    return this.event('payment_intent.payment_failed', pi);
  }

  /**
   * The cardholder disputes the charge (all of it unless `amount`): Stripe withdraws the amount
   * from the platform's balance (an `adjustment`, source dp_) and marks the charge disputed.
   * Returns `charge.dispute.created`.
   */
  dispute(chargeId: string, { amount, reason = 'fraudulent' }: { amount?: number; reason?: string } = {}): StripeEventJson {
    const charge = this.store.charges.get(chargeId);
    if (!charge) throw new Error(`no charge ${chargeId} at the stand-in`);
    const disputed = amount ?? charge.amount;
    if (!Number.isSafeInteger(disputed) || disputed < 1 || disputed > charge.amount) throw new Error(`cannot dispute ${disputed} of charge ${chargeId} (${charge.amount})`);
    const dispute = this.save('disputes', {
      id: newId('dp'),
      object: 'dispute',
      created: this.seconds(),
      livemode: false,
      amount: disputed,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      status: 'needs_response',
      reason,
      is_charge_refundable: false,
      balance_transactions: [],
      metadata: {},
    });
    this.disputeBalanceTransaction(dispute, -disputed, 'dispute');
    charge.disputed = true;
    return this.event('charge.dispute.created', dispute);
  }

  /** The dispute moves on while open (e.g. evidence submitted: `under_review`). Returns `charge.dispute.updated`. */
  updateDispute(id: string, status: 'needs_response' | 'under_review'): StripeEventJson {
    const dispute = this.openDispute(id);
    dispute.status = status;
    return this.event('charge.dispute.updated', dispute);
  }

  /** The bank decided: won reinstates the amount (an `adjustment`, +amount), lost keeps it withdrawn. Returns `charge.dispute.closed`. */
  closeDispute(id: string, outcome: 'won' | 'lost'): StripeEventJson {
    const dispute = this.openDispute(id);
    dispute.status = outcome;
    if (outcome === 'won') this.disputeBalanceTransaction(dispute, dispute.amount, 'dispute_reversal');
    return this.event('charge.dispute.closed', dispute);
  }

  /**
   * Reverses (part of) a transfer: the connected account gives the money back to the
   * platform's balance (a `transfer_refund`, source trr_, +amount). Returns `transfer.reversed`
   * carrying the transfer with its `reversals`.
   */
  reverseTransfer(transferId: string, amount?: number): StripeEventJson {
    const transfer = this.store.transfers.get(transferId);
    if (!transfer) throw new Error(`no transfer ${transferId} at the stand-in`);
    const left = transfer.amount - transfer.amount_reversed;
    const reversed = amount ?? left;
    if (!Number.isSafeInteger(reversed) || reversed < 1 || reversed > left) throw new Error(`cannot reverse ${reversed} of transfer ${transferId} (${left} left)`);
    const reversal: TransferReversalJson = {
      id: newId('trr'),
      object: 'transfer_reversal',
      created: this.seconds(),
      livemode: false,
      amount: reversed,
      currency: transfer.currency,
      transfer: transfer.id,
      balance_transaction: '',
      destination_payment_refund: null,
      source_refund: null,
      metadata: {},
    };
    reversal.balance_transaction = this.balanceTransaction('transfer_refund', reversed, reversal, 'transfer_reversal');
    transfer.amount_reversed += reversed;
    transfer.reversed = transfer.amount_reversed === transfer.amount;
    transfer.reversals.data.unshift(reversal);
    transfer.reversals.total_count = transfer.reversals.data.length;
    return this.event('transfer.reversed', transfer);
  }

  /** Records an event (retrievable at GET /v1/events/:id) carrying a snapshot of `object`. */
  event(type: string, object: unknown): StripeEventJson {
    return this.save('events', {
      id: newId('evt'),
      object: 'event',
      created: this.seconds(),
      livemode: false,
      type,
      api_version: this.apiVersion,
      data: { object: structuredClone(object) },
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    });
  }

  /** An event and its delivery, signed as Stripe signs webhooks. */
  signedEvent(type: string, object: unknown, secret: string, options: { timestamp?: number } = {}): SignedDelivery & { event: StripeEventJson } {
    const event = this.event(type, object);
    return { event, ...this.deliver(event, secret, options) };
  }

  /** A (re)delivery of an event: the same body, signed at `timestamp` (default now). */
  deliver(event: StripeEventJson, secret: string, { timestamp = this.seconds() }: { timestamp?: number } = {}): SignedDelivery {
    const body = JSON.stringify(event, null, 2);
    return { body, header: stripeSignatureHeader(body, secret, timestamp) };
  }

  /** Deliveries of `event` that a receiver must refuse. */
  badDeliveries(event: StripeEventJson, secret: string): Record<'wrongSecret' | 'tamperedBody' | 'staleTimestamp' | 'missingHeader', BadDelivery> {
    const good = this.deliver(event, secret);
    const object = event.data.object as Record<string, unknown>;
    const tampered = { ...event, data: { object: { ...object, amount: typeof object.amount === 'number' ? object.amount + 1 : 1 } } };
    return {
      wrongSecret: this.deliver(event, `${secret}_wrong`),
      tamperedBody: { body: JSON.stringify(tampered, null, 2), header: good.header },
      staleTimestamp: this.deliver(event, secret, { timestamp: this.seconds() - STALE_SIGNATURE_AGE_S }),
      missingHeader: { body: good.body, header: undefined },
    };
  }

  // ---- HTTP ----

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const query = method === 'POST' ? raw : url.search.slice(1);
    const key = method === 'POST' ? header(req, 'idempotency-key') : undefined;
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      idempotencyKey: key,
      stripeAccount: header(req, 'stripe-account'),
      params: lenient(() => parseStripeForm(query), {}),
      status: 0,
      replayed: false,
      dropped: false,
    };
    this.requests.push(record);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': newId('req') };
    if (key) headers['idempotency-key'] = key;
    headers['stripe-version'] = header(req, 'stripe-version') ?? this.apiVersion;
    let outcome: Outcome;
    const scripted = this.takeScript(this.failures, method, url.pathname);
    if (scripted) {
      const { status, shouldRetry, ...error } = scripted;
      outcome = { status, body: { error } };
      if (shouldRetry !== undefined) headers['stripe-should-retry'] = String(shouldRetry);
    } else {
      try {
        outcome = this.answer(req, method, url.pathname, query, key, record);
        if (record.replayed) headers['idempotent-replayed'] = 'true';
      } catch (e) {
        const f = e instanceof StripeFailure ? e : new StripeFailure(500, { type: 'api_error', message: String(e) }, false);
        outcome = { status: f.status, body: { error: f.error } };
      }
    }
    record.status = outcome.status;
    if (this.takeScript(this.drops, method, url.pathname)) {
      record.dropped = true;
      req.socket.destroy();
      return;
    }
    res.writeHead(outcome.status, headers).end(JSON.stringify(outcome.body, null, 2));
  }

  /** Auth, parameters, idempotency, then the endpoint. Throws StripeFailure for error answers. */
  private answer(req: IncomingMessage, method: string, path: string, query: string, key: string | undefined, record: RecordedRequest): Outcome {
    authenticate(header(req, 'authorization'));
    const params = parseStripeForm(query);
    const fingerprint = canonical(params);
    const seen = key === undefined ? undefined : this.idempotency.get(key);
    if (seen) {
      if (seen.path !== path || seen.params !== fingerprint) {
        const what = seen.path !== path ? `for the same endpoint they were first used for ('${seen.path}')` : 'with the same parameters they were first used with';
        throw new StripeFailure(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used ${what}. Try using a key other than '${key}' if you meant to execute a different request.` }, false);
      }
      record.replayed = true;
      return { status: seen.status, body: seen.body };
    }
    let outcome: Outcome;
    try {
      outcome = { status: 200, body: this.route(method, path, params) };
    } catch (e) {
      if (!(e instanceof StripeFailure) || !e.stored) throw e;
      outcome = { status: e.status, body: { error: e.error } };
    }
    // A snapshot: a replay answers what the first request answered, not the object as it is now.
    if (key !== undefined) this.idempotency.set(key, { status: outcome.status, body: structuredClone(outcome.body), path, params: fingerprint });
    return outcome;
  }

  private route(method: string, path: string, params: Params): unknown {
    const [, v1, kind, id, action, ...rest] = path.split('/');
    const known = v1 === 'v1' && (STRIPE_KINDS as readonly string[]).includes(kind) && rest.length === 0 ? (kind as StripeKind) : undefined;
    if (known && method === 'GET' && id === undefined) return this.list(known, path, params);
    if (known && method === 'GET' && id && action === undefined) {
      new Form(params, []);
      return this.get(known, id, 404);
    }
    if (method === 'POST' && id === undefined && action === undefined) {
      if (known === 'payment_intents') return this.createPaymentIntent(new Form(params, PI_PARAMS));
      if (known === 'transfers') return this.createTransfer(new Form(params, TRANSFER_PARAMS));
      if (known === 'refunds') return this.createRefund(new Form(params, REFUND_PARAMS));
    }
    if (method === 'POST' && known === 'payment_intents' && id && action === 'cancel') {
      return this.cancelPaymentIntent(id, new Form(params, ['cancellation_reason']));
    }
    throw new StripeFailure(
      404,
      { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`, code: 'resource_missing' },
      false,
    );
  }

  private list(kind: StripeKind, path: string, params: Params): unknown {
    const form = new Form(params, ['limit', 'starting_after', 'ending_before', 'created', ...LIST_FILTERS[kind]]);
    const limit = form.amount('limit', 100, false) ?? 10;
    let rows = [...this.store[kind].values()].reverse() as unknown as Record<string, unknown>[];
    for (const f of LIST_FILTERS[kind]) {
      const want = form.string(f);
      if (want !== null) rows = rows.filter((r) => r[f] === want);
    }
    // created: an exact unix time, or a range { gt, gte, lt, lte }, as at Stripe.
    const created = params.created;
    if (typeof created === 'string') rows = rows.filter((r) => r.created === Number(created));
    else if (created !== undefined && !Array.isArray(created)) {
      const bound = (op: string) => {
        const v = created[op];
        if (v === undefined) return null;
        if (typeof v !== 'string' || !/^\d{1,12}$/.test(v)) throw invalid(`Invalid integer: created[${op}]`, 'parameter_invalid_integer', `created[${op}]`);
        return Number(v);
      };
      const [gt, gte, lt, lte] = ['gt', 'gte', 'lt', 'lte'].map(bound);
      const unknown = Object.keys(created).find((k) => !['gt', 'gte', 'lt', 'lte'].includes(k));
      if (unknown) throw invalid(`Received unknown parameter: created[${unknown}]`, 'parameter_unknown', `created[${unknown}]`);
      rows = rows.filter((r) => {
        const c = r.created as number;
        return (gt === null || c > gt) && (gte === null || c >= gte) && (lt === null || c < lt) && (lte === null || c <= lte);
      });
    }
    const after = form.string('starting_after');
    const before = form.string('ending_before');
    if (after !== null) rows = rows.slice(rows.findIndex((r) => r.id === this.get(kind, after, 400).id) + 1);
    if (before !== null) rows = rows.slice(0, rows.findIndex((r) => r.id === this.get(kind, before, 400).id)).slice(-limit);
    return { object: 'list', data: rows.slice(0, limit), has_more: rows.length > limit, url: path };
  }

  private createPaymentIntent(form: Form): PaymentIntentJson {
    const allowedTypes = form.strings('allowed_payment_method_types');
    const automatic = form.params.automatic_payment_methods;
    if (automatic !== undefined && (typeof automatic !== 'object' || Array.isArray(automatic) || !['true', 'false'].includes(automatic.enabled as string))) {
      throw invalid('Invalid automatic_payment_methods[enabled]', 'parameter_invalid_boolean', 'automatic_payment_methods[enabled]');
    }
    const paymentMethod = form.string('payment_method');
    const confirm = form.boolean('confirm') ?? false;
    if (confirm && paymentMethod === null) throw invalid('A payment method is required to confirm this PaymentIntent.', 'parameter_missing', 'payment_method');
    const id = newId('pi');
    const pi = this.save('payment_intents', {
      id,
      object: 'payment_intent',
      created: this.seconds(),
      livemode: false,
      amount: form.amount('amount', this.maxAmount, true),
      amount_received: 0,
      currency: form.currency(),
      status: 'requires_payment_method',
      transfer_group: form.string('transfer_group'),
      metadata: form.metadata(),
      description: form.string('description'),
      payment_method: paymentMethod,
      allowed_payment_method_types: allowedTypes,
      excluded_payment_method_types: form.strings('excluded_payment_method_types'),
      payment_method_types: allowedTypes ?? ['card'],
      automatic_payment_methods: allowedTypes ? null : { enabled: automatic === undefined || (automatic as Params).enabled === 'true' },
      capture_method: 'automatic',
      client_secret: `${id}_secret_${randomToken(24)}`,
      latest_charge: null,
      last_payment_error: null,
      canceled_at: null,
      cancellation_reason: null,
    });
    if (confirm) this.charge(pi);
    return pi;
  }

  private cancelPaymentIntent(id: string, form: Form): PaymentIntentJson {
    const pi = this.get('payment_intents', id, 404);
    if (pi.status !== 'requires_payment_method') {
      throw endpointError(`You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`, 'payment_intent_unexpected_state');
    }
    Object.assign(pi, { status: 'canceled', canceled_at: this.seconds(), cancellation_reason: form.string('cancellation_reason') });
    return pi;
  }

  private createTransfer(form: Form): TransferJson {
    const destination = form.string('destination', true);
    if (!/^acct_\w+$/.test(destination)) throw noSuch('destination', destination, 'destination');
    const source = form.string('source_transaction');
    if (source !== null) this.get('charges', source, 400, 'source_transaction');
    const transfer = this.save('transfers', {
      id: newId('tr'),
      object: 'transfer',
      created: this.seconds(),
      livemode: false,
      amount: form.amount('amount', this.maxAmount, true),
      amount_reversed: 0,
      currency: form.currency(),
      destination,
      transfer_group: form.string('transfer_group'),
      source_transaction: source,
      balance_transaction: '',
      reversed: false,
      reversals: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
      description: form.string('description'),
      metadata: form.metadata(),
    });
    transfer.balance_transaction = this.balanceTransaction('transfer', -transfer.amount, transfer);
    transfer.reversals.url = `/v1/transfers/${transfer.id}/reversals`;
    return transfer;
  }

  private createRefund(form: Form): RefundJson {
    const piId = form.string('payment_intent');
    const chargeId = form.string('charge');
    if ((piId === null) === (chargeId === null)) throw invalid('Exactly one of payment_intent or charge is required.', 'parameter_missing', 'payment_intent');
    let charge: ChargeJson;
    if (piId !== null) {
      const pi = this.get('payment_intents', piId, 400, 'payment_intent');
      if (pi.latest_charge === null) {
        throw endpointError(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'charge_not_refundable', 'payment_intent');
      }
      charge = this.get('charges', pi.latest_charge, 400);
    } else {
      charge = this.get('charges', chargeId!, 400, 'charge');
    }
    const left = charge.amount - charge.amount_refunded;
    if (left === 0) throw endpointError(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
    const amount = form.amount('amount', this.maxAmount, false) ?? left;
    if (amount > left) {
      throw endpointError(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, 'amount_too_large', 'amount');
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const refund = this.save('refunds', {
      id: newId('re'),
      object: 'refund',
      created: this.seconds(),
      livemode: false,
      amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      status: 'succeeded',
      reason: form.string('reason'),
      balance_transaction: '',
      metadata: form.metadata(),
    });
    refund.balance_transaction = this.balanceTransaction('refund', -amount, refund);
    return refund;
  }

  // ---- state ----

  private charge(pi: PaymentIntentJson): void {
    const charge = this.save('charges', {
      id: newId('ch'),
      object: 'charge',
      created: this.seconds(),
      livemode: false,
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      currency: pi.currency,
      status: 'succeeded',
      paid: true,
      captured: true,
      refunded: false,
      disputed: false,
      payment_intent: pi.id,
      transfer_group: pi.transfer_group,
      balance_transaction: '',
      metadata: { ...pi.metadata },
    });
    charge.balance_transaction = this.balanceTransaction('charge', charge.amount, charge);
    Object.assign(pi, { status: 'succeeded', amount_received: pi.amount, latest_charge: charge.id, last_payment_error: null });
  }

  private balanceTransaction(
    type: BalanceTransactionJson['type'],
    amount: number,
    source: { id: string; currency: string },
    category: BalanceTransactionJson['reporting_category'] = type as BalanceTransactionJson['reporting_category'],
  ): string {
    const created = this.seconds();
    const { id } = this.save('balance_transactions', {
      id: newId('txn'),
      object: 'balance_transaction',
      created,
      livemode: false,
      amount,
      fee: 0,
      net: amount,
      currency: source.currency,
      type,
      reporting_category: category,
      source: source.id,
      status: 'available',
      available_on: created,
    });
    return id;
  }

  private disputeBalanceTransaction(dispute: DisputeJson, amount: number, category: 'dispute' | 'dispute_reversal'): void {
    const id = this.balanceTransaction('adjustment', amount, dispute, category);
    dispute.balance_transactions.push(structuredClone(this.store.balance_transactions.get(id)!));
  }

  private openDispute(id: string): DisputeJson {
    const dispute = this.store.disputes.get(id);
    if (!dispute) throw new Error(`no dispute ${id} at the stand-in`);
    if (['won', 'lost', 'warning_closed'].includes(dispute.status)) throw new Error(`dispute ${id} is closed (${dispute.status})`);
    return dispute;
  }

  private paymentIntent(id: string): PaymentIntentJson {
    const pi = this.store.payment_intents.get(id);
    if (!pi) throw new Error(`no PaymentIntent ${id} at the stand-in`);
    return pi;
  }

  private get<K extends StripeKind>(kind: K, id: string, status: number, param = 'id'): ObjectsByKind[K] {
    const found = this.store[kind].get(id);
    if (!found) throw noSuch(NOUN[kind], id, param, status);
    return found;
  }

  private save<K extends StripeKind>(kind: K, object: ObjectsByKind[K]): ObjectsByKind[K] {
    (this.store[kind] as Map<string, ObjectsByKind[K]>).set(object.id, object);
    return object;
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private takeScript<T>(scripts: Script<T>[], method: string, path: string): T | undefined {
    const i = scripts.findIndex((s) => s.path === path && (s.method === undefined || s.method === method));
    return i < 0 ? undefined : scripts.splice(i, 1)[0].value;
  }
}

const PI_PARAMS = [
  ...['amount', 'currency', 'transfer_group', 'metadata', 'description', 'payment_method', 'confirm', 'capture_method', 'receipt_email', 'statement_descriptor', 'return_url'],
  ...['allowed_payment_method_types', 'excluded_payment_method_types', 'automatic_payment_methods'],
];
const TRANSFER_PARAMS = ['amount', 'currency', 'destination', 'transfer_group', 'metadata', 'description', 'source_transaction'];
const REFUND_PARAMS = ['payment_intent', 'charge', 'amount', 'reason', 'metadata'];
const NOUN: Record<StripeKind, string> = {
  payment_intents: 'payment_intent',
  charges: 'charge',
  transfers: 'transfer',
  refunds: 'refund',
  disputes: 'dispute',
  balance_transactions: 'balance_transaction',
  events: 'event',
};

function emptyStore(): { [K in StripeKind]: Map<string, ObjectsByKind[K]> } {
  return { payment_intents: new Map(), charges: new Map(), transfers: new Map(), refunds: new Map(), disputes: new Map(), balance_transactions: new Map(), events: new Map() };
}

function authenticate(authorization: string | undefined): void {
  const fail = (message: string) => new StripeFailure(401, { type: 'invalid_request_error', message }, false);
  if (!authorization) {
    throw fail("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').");
  }
  const key = /^Bearer (\S+)$/.exec(authorization)?.[1] ?? '';
  if (!/^sk_test_\w+$/.test(key)) throw fail(`Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`);
}

function lenient<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function splitRoute(route: string): { method: string | undefined; path: string } {
  const m = /^([A-Z]+) (\S+)$/.exec(route);
  return m ? { method: m[1], path: m[2] } : { method: undefined, path: route };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function randomToken(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

function newId(prefix: string): string {
  return `${prefix}_${randomToken(24)}`;
}
