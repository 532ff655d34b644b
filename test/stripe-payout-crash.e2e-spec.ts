import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConnectedAccounts, EscrowService, PayoutService } from '@app/escrow';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { anOrg } from './support/identity-fixtures.js';
import { emptyRunRedis, waitFor } from './support/queues.js';
import { StripeStandIn } from './support/stripe-stand-in.js';
import { baseEnv, testEnv } from './support/test-env.js';
import { killWorker, spawnWorker } from './support/worker-process.js';

/**
 * A worker process killed (SIGKILL) between Stripe's answer and its own commit (issue 5: "the
 * stand-in answers, our process dies"): Stripe has made the transfer, our database does not
 * know it. A proxy between the worker and the Stripe stand-in forwards the transfer request,
 * waits for Stripe's answer, kills the worker, and never hands the answer on. Another worker
 * takes the job back when the dead one's lock lapses; it must find the transfer rather than
 * make a second one (here after Stripe "forgot" the idempotency keys, so only our own record
 * and the metadata look-up stand between the retry and a second payment).
 */
const SECRET = 'whsec_test_crash';

/** Forwards to `target`; the next `armed` POST /v1/transfers is answered by Stripe, then `onAnswered` runs and the caller gets nothing. */
class KillingProxy {
  private server!: Server;
  baseUrl = '';
  armed = 0;
  kills = 0;
  /** Only calls for these operations are cut off (other files' payouts, re-queued by the reconciler, pass through). */
  targets = new Set<string>();
  /** The operation keys of the requests whose answers were withheld. */
  readonly cutOff: string[] = [];
  onAnswered: () => Promise<void> = async () => {};

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const operation = new URLSearchParams(body.toString('utf8')).get('metadata[ipv4m_operation]') ?? '?';
    const kill = req.method === 'POST' && req.url?.startsWith('/v1/transfers') && this.armed > 0 && this.targets.has(operation);
    if (kill) this.armed--;
    const target = new URL(req.url ?? '/', this.target);
    const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, async (answer) => {
      const parts: Buffer[] = [];
      for await (const c of answer) parts.push(c as Buffer);
      if (kill) {
        this.cutOff.push(operation);
        this.kills++;
        await this.onAnswered();
        res.socket?.destroy();
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.end(Buffer.concat(parts));
    });
    // A worker killed mid-request resets the connection: drop the exchange, never crash the test.
    upstream.on('error', () => res.socket?.destroy());
    req.on('error', () => upstream.destroy());
    upstream.end(body);
  }
}

describe('a worker killed between Stripe\'s answer and its commit (e2e, worker processes)', () => {
  const stripe = new StripeStandIn();
  let proxy: KillingProxy;
  let t: TestApp;
  let db: DataSource;
  const children: ChildProcess[] = [];

  const workerProcess = async (): Promise<ChildProcess> => {
    const { child } = await spawnWorker({
      PAYMENTS_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_crash',
      STRIPE_WEBHOOK_SECRET: SECRET,
      STRIPE_API_BASE: proxy.baseUrl,
      WORKER_LOCK_MS: '1500',
      // Jobs cut off twice fail for good as stalled; the reconciler queues them again.
      PAYMENTS_RECONCILE_INTERVAL_MS: '2000',
    });
    children.push(child);
    return child;
  };
  const killOnAnswer = (child: ChildProcess) => {
    proxy.armed = 1;
    proxy.onAnswered = async () => {
      await killWorker(child);
    };
  };

  beforeAll(async () => {
    await stripe.start();
    proxy = new KillingProxy(stripe.baseUrl);
    await proxy.start();
    t = await startApi({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_crash', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: stripe.baseUrl });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await Promise.all(children.map(killWorker));
    // What the killed workers held (a scheduler's tick among them) must not stall the next file's work.
    await emptyRunRedis(testEnv().redisUrl, baseEnv().REDIS_KEY_PREFIX!);
    await t?.close();
    await proxy?.stop();
    await stripe.stop();
  });

  it('makes exactly one Stripe transfer per payout through kills and restarts', async () => {
    const escrows = t.app.get(EscrowService);
    const payouts = t.app.get(PayoutService);
    const connected = t.app.get(ConnectedAccounts);
    // Six sellers with proceeds and connected accounts, one Stripe payout each (queued through the outbox).
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [buyer, seller] = [await anOrg(t), await anOrg(t)];
      const dealId = randomUUID();
      await escrows.open({ dealId, buyerOrgId: buyer.id, sellerOrgId: seller.id, price: { amountMinor: 100_000n, currency: 'USD' }, platformFeeBps: 0 });
      await escrows.recordFunding({ dealId, amount: { amountMinor: 100_000n, currency: 'USD' }, source: 'stripe', externalId: `pi_crash${i}${randomUUID().replace(/-/g, '')}` });
      await escrows.release(dealId);
      await connected.set(seller.id, `acct_${randomUUID().replace(/-/g, '')}`, 'system');
      ids.push((await payouts.payout({ orgId: seller.id, amount: { amountMinor: 100_000n, currency: 'USD' }, key: `crash-${randomUUID()}`, dealId })).id);
    }
    proxy.targets = new Set(ids.map((id) => `payout:${id}`));
    const ours = () => stripe.objects('transfers').filter((x) => ids.includes(x.metadata.payoutId ?? ''));
    const statuses = async () => (await db.query(`SELECT status, count(*)::int AS n FROM payout_instructions WHERE id = ANY($1) GROUP BY 1`, [ids])) as { status: string; n: number }[];

    const first = await workerProcess();
    killOnAnswer(first);
    await waitFor('the first worker to be killed after Stripe answered', async () => proxy.kills === 1, { timeoutMs: 20_000, intervalMs: 10 });
    // Stripe made the transfer whose answer was withheld; our books do not know it.
    const [cut] = proxy.cutOff;
    expect(ours().filter((x) => x.metadata.ipv4m_operation === cut)).toHaveLength(1);
    const [inDoubt] = await db.query(`SELECT status FROM stripe_requests WHERE operation_key = $1`, [cut]);
    expect(inDoubt).toEqual({ status: 'in_doubt' });
    expect((await db.query(`SELECT status FROM payout_instructions WHERE id = $1`, [cut!.replace('payout:', '')]))[0]).toEqual({ status: 'pending' });
    stripe.forgetIdempotencyKeys();

    const second = await workerProcess();
    killOnAnswer(second);
    // Killed on its first transfer, unless the first worker's concurrent calls had already made them all.
    const allPaid = async () => (await statuses()).some((s) => s.status === 'confirmed' && s.n === ids.length);
    await waitFor('the second worker to be killed after Stripe answered, or to pay everything', async () => proxy.kills === 2 || (await allPaid()), {
      timeoutMs: 30_000,
      intervalMs: 10,
    });
    stripe.forgetIdempotencyKeys();

    await workerProcess();
    await waitFor('every payout to be paid', allPaid, { timeoutMs: 60_000, intervalMs: 100 });

    // One transfer per payout at Stripe, each the one our books confirmed, each confirmed once.
    const made = ours();
    expect(made).toHaveLength(ids.length);
    expect(new Set(made.map((x) => x.metadata.payoutId)).size).toBe(ids.length);
    const rows: { id: string; provider_reference: string }[] = await db.query(`SELECT id, provider_reference FROM payout_instructions WHERE id = ANY($1)`, [ids]);
    for (const r of rows) expect(made.find((x) => x.metadata.payoutId === r.id)?.id).toBe(r.provider_reference);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = ANY($1)`, [
      (await db.query(`SELECT idempotency_key FROM payout_instructions WHERE id = ANY($1)`, [ids])).map((r: { idempotency_key: string }) => `payout:${r.idempotency_key}:confirmed`),
    ]);
    expect(n).toBe(ids.length);
    const requests: { attempts: number }[] = await db.query(`SELECT attempts FROM stripe_requests WHERE operation_key = ANY($1)`, [ids.map((id) => `payout:${id}`)]);
    expect(requests).toHaveLength(ids.length);
    // The calls cut off were made again (and found at Stripe by their metadata).
    expect(proxy.cutOff).toHaveLength(proxy.kills);
    const again: { operation_key: string; attempts: number }[] = await db.query(`SELECT operation_key, attempts FROM stripe_requests WHERE operation_key = ANY($1)`, [proxy.cutOff]);
    for (const r of again) expect(r.attempts).toBeGreaterThan(1);
    const [{ sum }] = await db.query(`SELECT coalesce(sum(amount_minor), 0)::bigint AS sum FROM journal_lines`);
    expect(sum).toBe(0n);
  }, 150_000);
});
