import { type Prefix, formatAddress, formatPrefix, lastAddress } from '@app/ipam';
import { RIR_WHOIS, type Rir } from '../domain/rir.js';

/**
 * The sandbox registry's answers in the RFC 9083 shape, built from its rows (pure). They
 * look like an RIR's: the real RDAP client reads them exactly as it reads ARIN's or RIPE's.
 */
export const RDAP_CONTENT_TYPE = 'application/rdap+json';

export interface SandboxEntityRow {
  readonly handle: string;
  readonly rir: Rir;
  readonly name: string;
  readonly email: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface SandboxNetworkRow {
  readonly prefix: Prefix;
  readonly rir: Rir;
  readonly name: string;
  readonly type: string;
  readonly country: string;
  /** RDAP "registration" event: the network's first registration; a transfer does not change it. */
  readonly registeredAt: Date;
  readonly updatedAt: Date;
  /** RDAP "transfer" event: when the holder received the network by a transfer; absent or null if never transferred. */
  readonly transferredAt?: Date | null;
  readonly holder: SandboxEntityRow;
  /**
   * The end user of a sub-assignment (ARIN reassignment, RIPE ASSIGNED PA inetnum...): RDAP
   * lists it as the registrant and the holder as administrative. Absent on the holder's own networks.
   */
  readonly customer?: { readonly handle: string; readonly name: string } | null;
  /** The origin AS the end user announces a sub-assignment from (a remark, as in whois). */
  readonly originAsn?: number | null;
}

const NOTICES = [
  {
    title: 'Sandbox registry',
    description: [
      'This answer comes from the sandbox registry of the IPv4 marketplace, a stand-in for the RIRs used for tests and demonstrations.',
      'It is not an RIR: nothing here says who holds real address space.',
    ],
  },
];

/** The network's handle: ARIN's style, derived from the prefix (unique as the prefix is). */
export function networkHandle(p: Prefix): string {
  return `NET-${formatAddress(p.first).replaceAll('.', '-')}-${p.length}`;
}

export function renderNetwork(n: SandboxNetworkRow, parent: Prefix | null, baseUrl: string): Record<string, unknown> {
  const prefix = formatPrefix(n.prefix);
  return {
    rdapConformance: ['rdap_level_0', 'cidr0'],
    notices: NOTICES,
    objectClassName: 'ip network',
    handle: networkHandle(n.prefix),
    startAddress: formatAddress(n.prefix.first),
    endAddress: formatAddress(lastAddress(n.prefix)),
    ipVersion: 'v4',
    name: n.name,
    type: n.type,
    country: n.country,
    ...(parent ? { parentHandle: networkHandle(parent) } : {}),
    status: ['active'],
    cidr0_cidrs: [{ v4prefix: formatAddress(n.prefix.first), length: n.prefix.length }],
    entities: n.customer
      ? [renderCustomer(n.customer, n.rir), renderEntityBody(n.holder, baseUrl, ['administrative'])]
      : [renderEntityBody(n.holder, baseUrl, ['registrant'])],
    ...(n.customer ? { remarks: [subAssignmentRemark(n.holder.handle, n.customer, n.originAsn ?? null)] } : {}),
    events: events(n.registeredAt, n.updatedAt, n.transferredAt ?? null),
    links: [selfLink(`${baseUrl}ip/${prefix}`)],
    port43: RIR_WHOIS[n.rir],
  };
}

export function renderEntity(e: SandboxEntityRow, baseUrl: string): Record<string, unknown> {
  return { rdapConformance: ['rdap_level_0'], notices: NOTICES, ...renderEntityBody(e, baseUrl) };
}

/** RFC 9083 §6: the error answer. */
export function renderError(errorCode: number, title: string, description: string): Record<string, unknown> {
  return { rdapConformance: ['rdap_level_0'], errorCode, title, description: [description], notices: NOTICES };
}

function renderEntityBody(e: SandboxEntityRow, baseUrl: string, roles?: string[]): Record<string, unknown> {
  return {
    objectClassName: 'entity',
    handle: e.handle,
    ...(roles ? { roles } : {}),
    // jCard (RFC 7095): the version, the formatted name, the kind, the contact e-mail.
    vcardArray: [
      'vcard',
      [
        ['version', {}, 'text', '4.0'],
        ['fn', {}, 'text', e.name],
        ['kind', {}, 'text', 'org'],
        ['email', {}, 'text', e.email],
      ],
    ],
    status: ['active'],
    events: events(e.createdAt, e.updatedAt),
    links: [selfLink(`${baseUrl}entity/${encodeURIComponent(e.handle)}`)],
    port43: RIR_WHOIS[e.rir],
  };
}

/**
 * The end user of a sub-assignment, as registries show a customer (ARIN's "simple
 * reassignment" customers): a name and a handle, no contacts of its own at the RIR.
 */
function renderCustomer(c: { readonly handle: string; readonly name: string }, rir: Rir): Record<string, unknown> {
  return {
    objectClassName: 'entity',
    handle: c.handle,
    roles: ['registrant'],
    vcardArray: [
      'vcard',
      [
        ['version', {}, 'text', '4.0'],
        ['fn', {}, 'text', c.name],
        ['kind', {}, 'text', 'org'],
      ],
    ],
    port43: RIR_WHOIS[rir],
  };
}

/** RFC 9083 §4.3 remarks: who reassigned the network to whom, and the origin AS (a whois remark). */
function subAssignmentRemark(holderHandle: string, c: { readonly handle: string; readonly name: string }, originAsn: number | null) {
  return {
    title: 'Sub-assignment',
    description: [
      `Reassigned by ${holderHandle} to ${c.name} (${c.handle}).`,
      ...(originAsn !== null ? [`Origin AS: AS${originAsn}`] : []),
    ],
  };
}

/** RFC 9083 §4.5 events; "transfer" is an event action of the IANA RDAP JSON values registry (RFC 9083 §10.2.3). */
function events(registeredAt: Date, changedAt: Date, transferredAt: Date | null = null) {
  return [
    { eventAction: 'registration', eventDate: registeredAt.toISOString() },
    ...(transferredAt ? [{ eventAction: 'transfer', eventDate: transferredAt.toISOString() }] : []),
    { eventAction: 'last changed', eventDate: changedAt.toISOString() },
  ];
}

function selfLink(href: string) {
  return { value: href, rel: 'self', href, type: RDAP_CONTENT_TYPE };
}
