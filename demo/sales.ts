import { type Api, type Pace, StepFailed, publicGet, waitFor } from './client.js';
import type { Cast } from './cast.js';
import { escrowAccountOf, showDealLedger } from './ledger.js';
import { type Money, type Risk, chapter, detail, facts, money, note, short, step, table, when } from './print.js';
import { type RdapNetwork, registrantOf } from './space.js';

/**
 * Sales through escrow with the sandbox registry and manual funding: one that goes through
 * every stage to completed (the registry moves the block, the escrow is released by the
 * split, the payouts are paid), and one the registry rejects after funding (the buyer is
 * refunded in full and the block stays the seller's).
 */

interface TransferEvent {
  seq: number;
  stage: string;
  wait: string | null;
  at: string;
  actor: string;
  risks: Risk[];
}

interface TransferJson {
  id: string;
  stage: string;
  prefix: string;
  price: Money;
  brokerFeeBps: number;
  platformFeeBps: number;
  policy: Record<string, unknown> | null;
  escrow: { status: string; expected: Money; funded: Money; outstanding: Money; fundingReference: string | null } | null;
  events: TransferEvent[];
  risks: Risk[];
}

interface Payout {
  id: string;
  orgId: string;
  amount: Money;
  from: string;
  method: string;
  dealId: string | null;
  status: string;
}

/** Stages a deal does not leave; reaching one the demo did not expect is a failure. */
const ENDED = ['completed', 'refunded', 'cancelled', 'policy_failed'];

async function reach(api: Api, id: string, stages: readonly string[], timeoutMs: number): Promise<TransferJson> {
  let last: TransferJson | undefined;
  return waitFor(
    `transfer ${id} to reach ${stages.join(' or ')}`,
    async () => {
      last = await api.get<TransferJson>(`/v1/transfers/${id}`);
      if (stages.includes(last.stage)) return last;
      if (ENDED.includes(last.stage) || last.stage === 'disputed') {
        throw new StepFailed(`transfer ${id} reached ${last.stage} instead of ${stages.join(' or ')}; policy: ${JSON.stringify(last.policy)}`);
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 200, lastSeen: () => (last ? `${last.stage}, after ${last.events.map((e) => e.stage).join(', ')}` : 'nothing') },
  );
}

/** The deal's pending payouts, once the worker has issued `count` of them (platform finance's work queue). */
async function pendingPayouts(finance: Api, dealId: string, count: number, timeoutMs: number): Promise<Payout[]> {
  return waitFor(
    `${count} payout(s) of deal ${dealId} in finance's work queue`,
    async () => {
      const mine = (await finance.all<Payout>('/v1/payouts', { status: 'pending' })).filter((p) => p.dealId === dealId);
      return mine.length >= count ? mine : undefined;
    },
    { timeoutMs, intervalMs: 300 },
  );
}

async function payOut(finance: Api, cast: Cast, dealId: string, count: number, pace: Pace): Promise<void> {
  const payouts = await pendingPayouts(finance, dealId, count, pace.transferMs);
  const who = new Map([cast.holder, cast.buyer, cast.broker].map((o) => [o.id, o.name]));
  step(`The worker issues ${payouts.length === 1 ? 'a payout' : `${payouts.length} payouts`}; platform finance wires the money and confirms each (POST /v1/payouts/{id}/confirm)`);
  const rows: string[][] = [];
  for (const p of payouts) {
    const confirmed = await finance.post<Payout>(`/v1/payouts/${p.id}/confirm`, { bankReference: `DEMO-WIRE-${p.id.slice(0, 8).toUpperCase()}` });
    rows.push([who.get(p.orgId) ?? p.orgId, p.from, money(p.amount), p.method, confirmed.status]);
  }
  table(['to', 'from account', 'amount', 'method', 'status'], rows);
}

/**
 * The stage timeline: each stage reached, when, by whom, and the risk placement it set. Ten
 * placements per stage are too many to read, so each stage shows the ones it changed (the
 * first shows those not closed); the last column says what changed.
 */
export function showTimeline(t: TransferJson, cast: Cast): void {
  step(`Stage timeline of transfer ${short(t.id)}: each stage, and the risk placements it changed (matrix transfer-risks/1)`);
  const key = (r: Risk) => `${r.risk}/${r.bearer}`;
  let before = new Map<string, Risk>();
  const rows: string[][] = [];
  for (const e of t.events) {
    const changed = e.risks.filter((r) => {
      const was = before.get(key(r));
      return was ? was.status !== r.status || was.exposure.amountMinor !== r.exposure.amountMinor : r.status !== 'closed';
    });
    before = new Map(e.risks.map((r) => [key(r), r]));
    const stage = e.wait ? `${e.stage} (waits: ${e.wait})` : e.stage;
    const lines = changed.length > 0 ? changed : [undefined];
    lines.forEach((r, i) => {
      rows.push([
        i === 0 ? stage : '',
        i === 0 ? when(e.at).slice(11, 19) : '',
        i === 0 ? actorName(e.actor, cast) : '',
        r?.risk ?? '(no change)',
        r?.bearer ?? '',
        r ? money(r.exposure) : '',
        r?.status ?? '',
      ]);
    });
  }
  table(['stage', 'at (UTC)', 'actor', 'risk', 'bearer', 'exposure', 'status'], rows);
  const open = t.risks.filter((r) => r.status === 'open');
  detail(`placement now: ${open.length === 0 ? 'no risk left open' : `open: ${open.map((r) => `${r.risk} (${r.bearer})`).join(', ')}`}`);
}

function actorName(actor: string, cast: Cast): string {
  const [kind, id] = actor.split(':');
  if (kind === 'api_key' && id) return cast.keyNames.get(id) ?? `key ${short(id)}`;
  return actor;
}

async function proposeAndFund(cast: Cast, listingId: string, withBroker: boolean, pace: Pace): Promise<TransferJson> {
  const body = {
    listingId,
    pricePerIp: { amountMinor: 5000, currency: 'USD' },
    destinationRir: 'RIPE',
    ...(withBroker ? { brokerOrgId: cast.broker.id, brokerFeeBps: 300 } : {}),
  };
  const proposed = await cast.buyerTrader.post<TransferJson>('/v1/transfers', body);
  step(`Bluefin's trader proposes to buy ${proposed.prefix} for ${money(proposed.price)}${withBroker ? ', brought by Harbour Brokers at 3 %' : ''}: ${proposed.stage}`);
  detail(`transfer ${proposed.id}`);
  const accepted = await cast.holder.admin.post<TransferJson>(`/v1/transfers/${proposed.id}/accept`);
  step(`Northwind accepts: ${accepted.stage}; the block is committed to the deal, so it can be neither leased nor sold twice`);
  const awaiting = await reach(cast.buyer.admin, proposed.id, ['awaiting_funds'], pace.transferMs);
  step('The worker checks the RIR policy against RDAP (size, holding period, inter-RIR) and opens the escrow: awaiting_funds');
  facts([
    ['escrow expects', money(awaiting.escrow!.expected)],
    ['wire reference', awaiting.escrow!.fundingReference ?? '-'],
  ]);
  const funded = await cast.finance.post<TransferJson>(`/v1/transfers/${proposed.id}/escrow/confirm-funding`, {
    amount: awaiting.escrow!.expected,
    reference: awaiting.escrow!.fundingReference ?? `DEMO-${proposed.id.slice(0, 8)}`,
  });
  step(`Platform finance sees Bluefin's wire arrive and confirms the funding (manual provider): ${funded.stage}`);
  return funded;
}

export async function completedSale(admin: Api, cast: Cast, sale: { block: { prefix: string }; listingId: string }, buyerHandle: string, pace: Pace): Promise<void> {
  chapter('A sale through every stage: escrow, registry transfer, release, payouts');
  const funded = await proposeAndFund(cast, sale.listingId, true, pace);
  const released = await reach(cast.buyer.admin, funded.id, ['released'], pace.transferMs);
  step('The worker submits the transfer to the stand-in RIPE NCC, which approves and completes it; RDAP is checked: released');
  const rdap = await publicGet<RdapNetwork>(admin.baseUrl, `/sandbox/rdap/ip/${sale.block.prefix.split('/')[0]}`);
  const registrant = registrantOf(rdap.body);
  if (registrant !== buyerHandle) throw new StepFailed(`RDAP names ${registrant} as registrant of ${sale.block.prefix}, not the buyer's ${buyerHandle}`);
  detail(`RDAP for ${sale.block.prefix} now: registrant ${registrant} (Bluefin), transfer event ${rdap.body.events?.find((e) => e.eventAction === 'transfer')?.eventDate ?? '-'}`);
  detail(`escrow ${released.escrow?.status ?? '-'}: released by the split (seller, broker 3 %, platform ${(released.platformFeeBps / 100).toFixed(1)} %)`);
  await payOut(cast.finance, cast, funded.id, 2, pace);
  const done = await reach(cast.buyer.admin, funded.id, ['completed'], pace.transferMs);
  step(`Every payout is paid, so the sale is ${done.stage}: the block left Northwind's inventory and the listing closed as sold`);
  showTimeline(done, cast);
  const escrow = await escrowAccountOf(cast.holder.admin, cast.finance, funded.id);
  const accounts = await showDealLedger(cast.finance, cast, escrow);
  const held = accounts.find((a) => a.id === escrow.id)!;
  if (held.balance.amountMinor !== 0) throw new StepFailed(`the escrow of a completed sale holds ${money(held.balance)}`);
  note("the escrow is empty and seller and broker are paid; what Northwind's payable still holds is the first month of Acme's rent, less the platform's 10 %");
}

export async function rejectedSale(admin: Api, cast: Cast, sale: { block: { prefix: string }; listingId: string }, holderHandle: string, pace: Pace): Promise<void> {
  chapter('A second sale, rejected by the registry and refunded');
  await admin.put('/v1/sandbox/registry/behaviour', { rir: 'RIPE', transfer: 'reject', delayMs: 0 });
  step('The stand-in RIPE NCC is scripted to reject transfer requests (PUT /v1/sandbox/registry/behaviour)');
  let funded: TransferJson;
  try {
    funded = await proposeAndFund(cast, sale.listingId, false, pace);
    await reach(cast.buyer.admin, funded.id, ['registry_rejected', 'refunding', 'refunded'], pace.transferMs);
  } finally {
    await admin.put('/v1/sandbox/registry/behaviour', { rir: 'RIPE', transfer: 'approve', delayMs: 0 });
  }
  step('The RIR rejects the request: registry_rejected, then refunding (the buyer gets all its money back)');
  note('the stand-in RIPE NCC approves transfers again from here on');
  await payOut(cast.finance, cast, funded.id, 1, pace);
  const done = await reach(cast.buyer.admin, funded.id, ['refunded'], pace.transferMs);
  step(`The refund is paid: ${done.stage}; the block is free again and still Northwind's`);
  const rdap = await publicGet<RdapNetwork>(admin.baseUrl, `/sandbox/rdap/ip/${sale.block.prefix.split('/')[0]}`);
  const registrant = registrantOf(rdap.body);
  if (registrant !== holderHandle) throw new StepFailed(`RDAP names ${registrant} as registrant of ${sale.block.prefix} after a rejected transfer, not ${holderHandle}`);
  detail(`RDAP for ${sale.block.prefix}: registrant still ${registrant} (Northwind)`);
  showTimeline(done, cast);
  const escrow = await escrowAccountOf(cast.buyer.admin, cast.finance, funded.id);
  const accounts = await showDealLedger(cast.finance, cast, escrow);
  if (accounts.find((a) => a.id === escrow.id)!.balance.amountMinor !== 0) throw new StepFailed('the escrow of a refunded sale is not empty');
}
