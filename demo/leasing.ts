import { type Api, StepFailed, publicGet, waitFor } from './client.js';
import type { Cast } from './cast.js';
import { type Money, type Risk, chapter, detail, facts, money, note, step, table, when } from './print.js';
import { type RdapNetwork, registrantLabel } from './space.js';

/**
 * A lease provisioned: the lessee takes the lowest free /24 of the listing for its ASN; the
 * worker makes the registry changes (ROA, route object, sub-assignment) at the stand-in RIR
 * and checks them from the outside (RDAP, the published VRPs) before the lease is active.
 */

export const LESSEE_ASN = 213415;

export interface LeaseJson {
  id: string;
  status: string;
  prefix: string;
  startsAt: string;
  endsAt: string;
  noticeDeadline: string;
  termNumber: number;
  price: { pricePerIpMonth: Money; monthly: Money };
  events: { seq: number; event: string; from: string | null; to: string; at: string; evidence: Record<string, unknown>; risks: Risk[] }[];
  registryChanges: { phase: string; change: string; status: string; attempts: number; appliedAt: string | null }[];
  risks: Risk[];
}

interface Vrp {
  asn: string | number;
  prefix: string;
  maxLength: number;
  ta: string;
}

const CHANGE_NAMES: Record<string, string> = {
  roa: 'ROA (RPKI route origin authorisation)',
  route: 'IRR route object',
  assignment: 'sub-assignment in the registry (RDAP)',
};

export async function provisionLease(admin: Api, cast: Cast, listingId: string): Promise<LeaseJson> {
  chapter('A lease provisioned: ROA, route object and sub-assignment');
  const created = await cast.lessee.admin.post<LeaseJson>('/v1/leases', { listingId, lesseeAsn: LESSEE_ASN, termMonths: 1, autoRenew: true, noticeDays: 7 });
  step(`Acme Cloud leases a /24 of the listing for AS${LESSEE_ASN}: one-month terms, auto-renewing, 7 days' notice`);
  facts([
    ['lease', created.id],
    ['prefix', `${created.prefix} (the lowest free unit)`],
    ['status', created.status],
    ['term', `${when(created.startsAt)} to ${when(created.endsAt)}`],
    ['notice deadline', when(created.noticeDeadline)],
    ['price', `${money(created.price.monthly)} a month (${money(created.price.pricePerIpMonth)} per address)`],
  ]);
  let last = created.status;
  const lease = await waitFor(
    `lease ${created.id} to become active (the worker applies and checks its registry changes)`,
    async () => {
      const now = await cast.lessee.admin.get<LeaseJson>(`/v1/leases/${created.id}`);
      last = `${now.status}; changes ${now.registryChanges.map((c) => `${c.change} ${c.status}`).join(', ')}`;
      if (now.status === 'failed') throw new StepFailed(`lease ${created.id} failed: ${JSON.stringify(now.events.at(-1)?.evidence)}`);
      return now.status === 'active' ? now : undefined;
    },
    { timeoutMs: 60_000, lastSeen: () => last },
  );
  step(`The worker writes the registry changes at the stand-in RIR, checks them from outside, and the lease is ${lease.status}`);
  table(
    ['registry change', 'phase', 'status', 'attempts', 'applied at'],
    lease.registryChanges.map((c) => [CHANGE_NAMES[c.change] ?? c.change, c.phase, c.status, String(c.attempts), when(c.appliedAt)]),
  );

  const address = lease.prefix.split('/')[0]!;
  const rdap = await publicGet<RdapNetwork>(admin.baseUrl, `/sandbox/rdap/ip/${address}/24`);
  step(`RDAP for ${lease.prefix} (what anyone sees): the sub-assignment to the lessee`);
  facts([
    ['network', `${rdap.body.handle} ${rdap.body.startAddress} - ${rdap.body.endAddress}`],
    ['type', String(rdap.body.type)],
    ['registrant', registrantLabel(rdap.body)],
    ['parent', String(rdap.body.parentHandle ?? '-')],
  ]);
  const vrps = await publicGet<{ roas: Vrp[] }>(admin.baseUrl, '/sandbox/rpki/vrps.json');
  const roas = vrps.body.roas.filter((r) => r.prefix === lease.prefix);
  if (roas.length === 0) throw new StepFailed(`no VRP for ${lease.prefix} in /sandbox/rpki/vrps.json`);
  step(`The published VRPs (/sandbox/rpki/vrps.json, rpki-client's layout) hold the ROA: routers accept AS${LESSEE_ASN}'s route`);
  table(
    ['asn', 'prefix', 'maxLength', 'ta'],
    roas.map((r) => [String(r.asn), r.prefix, String(r.maxLength), r.ta]),
  );
  note('exact-length ROA (maxLength = prefix length), as RFC 9319 advises');

  step('Who carries which risk of this lease now (matrix lease-risks/1):');
  table(['risk', 'bearer', 'exposure', 'status', 'why'], lease.risks.map((r) => [r.risk, r.bearer, money(r.exposure), r.status, firstSentence(r.mitigation)]));
  detail(`events: ${lease.events.map((e) => e.event).join(' -> ')}`);
  return lease;
}

function firstSentence(text: string | undefined): string {
  const first = (text ?? '').split(/(?<=\.)\s/)[0] ?? '';
  return first.length > 90 ? `${first.slice(0, 87)}...` : first;
}
