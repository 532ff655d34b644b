import { randomInt } from 'node:crypto';
import { type Api, StepFailed, publicGet, waitFor } from './client.js';
import { type Cast, proveHandle } from './cast.js';
import { chapter, detail, money, note, short, step, table } from './print.js';

/**
 * Address space, proved and listed: the stand-in RIR says who holds a /16, the holder and the
 * buyer prove their RIR accounts, the holder registers three blocks of it, the worker checks
 * them against the registry's RDAP, and the holder lists one for lease and two for sale.
 */

/**
 * First octets of RIPE NCC /8s, public unicast with no special-purpose range in them (the
 * ones the e2e tests draw /16s from). Each run takes a /16 that no network at the sandbox
 * registry covers yet, so runs against one database never collide.
 */
const RIPE_FIRST_OCTETS = [31, 37, 46, 62, 77, 78, 79, 80, 81, 82];
const RIR = 'RIPE';

export interface Block {
  readonly id: string;
  readonly prefix: string;
}

export interface Space {
  readonly holderHandle: string;
  readonly buyerHandle: string;
  readonly leaseListingId: string;
  readonly sales: readonly { block: Block; listingId: string }[];
}

interface BlockJson {
  id: string;
  prefix: string;
  status: string;
  evidence?: Record<string, unknown> | null;
}

/** The fields of an RDAP (RFC 9083) ip network answer the demo prints. */
export interface RdapNetwork {
  handle?: string;
  startAddress?: string;
  endAddress?: string;
  type?: string;
  name?: string;
  parentHandle?: string;
  entities?: { handle?: string; roles?: string[]; vcardArray?: [string, [string, unknown, string, unknown][]] }[];
  events?: { eventAction: string; eventDate: string }[];
}

async function freeSlash16(api: Api): Promise<string> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const s = `${RIPE_FIRST_OCTETS[randomInt(RIPE_FIRST_OCTETS.length)]}.${randomInt(256)}`;
    const rdap = await publicGet<unknown>(api.baseUrl, `/sandbox/rdap/ip/${s}.0.0/16`, [200, 404]);
    if (rdap.status === 404) return s;
  }
  throw new StepFailed('no /16 free of sandbox registry networks found in 40 random picks');
}

const registrant = (n: RdapNetwork) => n.entities?.find((e) => e.roles?.includes('registrant'));

/** The registrant's handle in an RDAP network answer. */
export function registrantOf(n: RdapNetwork): string {
  return registrant(n)?.handle ?? '?';
}

/** The registrant's handle and name (its jCard's fn). */
export function registrantLabel(n: RdapNetwork): string {
  const fn = registrant(n)?.vcardArray?.[1]?.find((p) => p[0] === 'fn')?.[3];
  return `${registrantOf(n)}${typeof fn === 'string' ? ` (${fn})` : ''}`;
}

export async function proveAndList(admin: Api, cast: Cast, run: string): Promise<Space> {
  chapter('Holdership proved at the registry (sandbox RIPE NCC)');
  const s = await freeSlash16(admin);
  const allocation = `${s}.0.0/16`;
  const holderHandle = `ORG-NW${run}-RIPE`.toUpperCase();
  const holderEmail = `noc@northwind-${run}.example`;
  await admin.put('/v1/sandbox/registry/resources', {
    prefix: allocation,
    rir: RIR,
    holderHandle,
    holderName: 'Northwind Networks Ltd',
    holderEmail,
    registeredAt: '2014-03-01T00:00:00Z',
  });
  step(`The stand-in RIPE NCC registers ${allocation} to ${holderHandle} (Northwind Networks Ltd) since 2014`);
  note(`a /16 of public RIPE NCC space that no earlier run used; its RDAP: ${admin.baseUrl}/sandbox/rdap/ip/${s}.0.1`);
  const buyerHandle = `ORG-BF${run}-RIPE`.toUpperCase();
  const buyerEmail = `lir@bluefin-${run}.example`;
  await admin.put('/v1/sandbox/registry/entities', { rir: RIR, handle: buyerHandle, name: 'Bluefin Telecom GmbH', email: buyerEmail });
  step(`Bluefin Telecom has its own RIPE NCC account, ${buyerHandle}, to receive space in`);
  await proveHandle(admin, cast.holder, RIR, holderHandle, holderEmail);
  await proveHandle(admin, cast.buyer, RIR, buyerHandle, buyerEmail);

  chapter('Blocks registered and verified through RDAP');
  const plan = [
    { prefix: `${s}.0.0/22`, use: 'to lease, as four /24 units' },
    { prefix: `${s}.8.0/24`, use: 'to sell (the sale that completes)' },
    { prefix: `${s}.9.0/24`, use: 'to sell (the sale the registry rejects)' },
  ];
  const blocks: BlockJson[] = [];
  for (const p of plan) {
    const b = await cast.holder.admin.post<BlockJson>('/v1/blocks', { prefix: p.prefix, rir: RIR });
    await cast.holder.admin.post(`/v1/blocks/${b.id}/verify`, {}, [200, 202]);
    blocks.push(b);
  }
  step(`Northwind registers ${plan.length} blocks (status unverified) and asks for each to be verified (202)`);
  const checked: BlockJson[] = [];
  for (const b of blocks) {
    let last = '';
    const v = await waitFor(
      `block ${b.prefix} to be verified by the worker's RDAP check`,
      async () => {
        const now = await cast.holder.admin.get<BlockJson>(`/v1/blocks/${b.id}`);
        last = now.status;
        return ['verified', 'verification_failed'].includes(now.status) ? now : undefined;
      },
      { timeoutMs: 30_000, lastSeen: () => last },
    );
    if (v.status !== 'verified') throw new StepFailed(`block ${b.prefix} is ${v.status}: ${JSON.stringify(v.evidence)}`);
    checked.push(v);
  }
  step("The worker reads the registry's RDAP over HTTP: each block sits in a network whose registrant is Northwind's confirmed handle");
  table(
    ['block', 'id', 'status', 'evidence', 'for'],
    checked.map((b, i) => [b.prefix, short(b.id), b.status, evidenceLine(b.evidence), plan[i]!.use]),
  );
  const rdap = await publicGet<RdapNetwork>(admin.baseUrl, `/sandbox/rdap/ip/${s}.8.1`);
  detail(`RDAP for ${s}.8.1: network ${rdap.body.handle} ${rdap.body.startAddress} - ${rdap.body.endAddress} (${rdap.body.type}), registrant ${registrantOf(rdap.body)}`);

  chapter('Listings: space for lease and for sale');
  const [leaseBlock, saleA, saleB] = checked as [BlockJson, BlockJson, BlockJson];
  const price = { amountMinor: 40, currency: 'USD' };
  const leaseListing = await cast.holder.admin.post<{ id: string; status: string }>('/v1/listings', {
    blockId: leaseBlock.id,
    kind: 'lease',
    lease: { pricePerIpMonth: price, unitPrefixLength: 24, minTermMonths: 1 },
  });
  step(`Northwind lists ${leaseBlock.prefix} for lease: /24 units at ${money(price)} per address per month (${money({ ...price, amountMinor: price.amountMinor * 256 })} a month per /24): ${leaseListing.status}`);
  const ask = { amountMinor: 5000, currency: 'USD' };
  const sales = [];
  for (const b of [saleA, saleB]) {
    const l = await cast.holder.admin.post<{ id: string; status: string }>('/v1/listings', { blockId: b.id, kind: 'sale', sale: { askPerIp: ask } });
    sales.push({ block: { id: b.id, prefix: b.prefix }, listingId: l.id });
    step(`Northwind lists ${b.prefix} for sale at ${money(ask)} per address (${money({ ...ask, amountMinor: ask.amountMinor * 256 })} for the block): ${l.status}`);
  }
  const found = await cast.lessee.admin.get<{ data: { id: string; prefix?: string }[] }>('/v1/listings', {
    kind: 'lease',
    rir: RIR,
    maxPricePerIpMinor: 45,
    currency: 'USD',
    limit: 100,
  });
  const ours = found.data.some((l) => l.id === leaseListing.id);
  if (!ours) throw new StepFailed(`the lease listing ${leaseListing.id} is not among the search results`);
  step(`Acme Cloud searches lease listings (RIPE NCC, at most USD 0.45 per address): ${found.data.length} found, Northwind's among them`);
  const forSale = await cast.buyerTrader.get<{ data: { id: string }[] }>('/v1/listings', { kind: 'sale', rir: RIR, limit: 100 });
  if (!sales.every((l) => forSale.data.some((f) => f.id === l.listingId))) throw new StepFailed('the sale listings are not among the search results');
  step(`Bluefin searches blocks for sale at RIPE NCC: ${forSale.data.length} found, both of Northwind's among them`);
  return { holderHandle, buyerHandle, leaseListingId: leaseListing.id, sales };
}

/** "registrant X in network Y" from a block's verification evidence, whatever else it holds. */
function evidenceLine(e: Record<string, unknown> | null | undefined): string {
  const handle = typeof e?.matchedHandle === 'string' ? e.matchedHandle : undefined;
  const network = (e?.network as { handle?: unknown } | undefined)?.handle;
  if (!handle) return '-';
  return `registrant ${handle}${typeof network === 'string' ? ` in ${network}` : ''}`;
}
