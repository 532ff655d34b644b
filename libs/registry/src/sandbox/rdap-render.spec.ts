import { describe, expect, it } from '@jest/globals';
import { parsePrefixOrThrow } from '@app/ipam';
import {
  answeringRir,
  entityEmails,
  entityName,
  lastTransferDate,
  networkRange,
  receiptDate,
  registrantHandles,
  registrationDate,
} from '../rdap/rdap-read.js';
import { rdapEntitySchema, rdapIpNetworkSchema } from '../rdap/rdap-types.js';
import { type SandboxNetworkRow, networkHandle, renderEntity, renderError, renderNetwork } from './rdap-render.js';

const holder = {
  handle: 'EXAMPLE-1',
  rir: 'RIPE' as const,
  name: 'Example Networks',
  email: 'noc@example.net',
  createdAt: new Date('2020-01-02T03:04:05Z'),
  updatedAt: new Date('2021-01-02T03:04:05Z'),
};
const row: SandboxNetworkRow = {
  prefix: parsePrefixOrThrow('185.10.20.0/22'),
  rir: 'RIPE',
  name: 'EXAMPLE-NET',
  type: 'ALLOCATED PA',
  country: 'NL',
  registeredAt: new Date('2015-06-01T00:00:00Z'),
  updatedAt: new Date('2024-02-03T00:00:00Z'),
  holder,
};
const base = 'http://127.0.0.1:3000/sandbox/rdap/';

describe("the sandbox's RDAP answers", () => {
  it('are networks the RDAP client accepts and reads back', () => {
    const json = renderNetwork(row, parsePrefixOrThrow('185.10.0.0/16'), base);
    const n = rdapIpNetworkSchema.parse(JSON.parse(JSON.stringify(json)));
    expect(n).toMatchObject({
      objectClassName: 'ip network',
      handle: 'NET-185-10-20-0-22',
      startAddress: '185.10.20.0',
      endAddress: '185.10.23.255',
      ipVersion: 'v4',
      name: 'EXAMPLE-NET',
      type: 'ALLOCATED PA',
      country: 'NL',
      parentHandle: 'NET-185-10-0-0-16',
      status: ['active'],
      rdapConformance: ['rdap_level_0', 'cidr0'],
      cidr0_cidrs: [{ v4prefix: '185.10.20.0', length: 22 }],
      port43: 'whois.ripe.net',
      links: [{ rel: 'self', href: `${base}ip/185.10.20.0/22`, type: 'application/rdap+json' }],
    });
    expect(registrantHandles(n)).toEqual(['EXAMPLE-1']);
    expect(networkRange(n)).toEqual({ first: parsePrefixOrThrow('185.10.20.0/22').first, last: parsePrefixOrThrow('185.10.20.0/22').first + 1023 });
    expect(registrationDate(n)).toEqual(row.registeredAt);
    expect(answeringRir(n)).toBe('RIPE');
    expect(entityEmails(n.entities![0]!)).toEqual(['noc@example.net']);
    expect(n.events).toEqual([
      { eventAction: 'registration', eventDate: '2015-06-01T00:00:00.000Z' },
      { eventAction: 'last changed', eventDate: '2024-02-03T00:00:00.000Z' },
    ]);
  });

  it("show a sub-assignment's customer as registrant, the holder as administrative, and the origin AS", () => {
    const sub: SandboxNetworkRow = {
      ...row,
      prefix: parsePrefixOrThrow('185.10.21.0/24'),
      type: 'ASSIGNED PA',
      customer: { handle: 'LESSEE-1', name: 'Lessee Networks' },
      originAsn: 64500,
    };
    const json = renderNetwork(sub, row.prefix, base);
    const n = rdapIpNetworkSchema.parse(JSON.parse(JSON.stringify(json)));
    expect(n).toMatchObject({ handle: 'NET-185-10-21-0-24', type: 'ASSIGNED PA', parentHandle: 'NET-185-10-20-0-22' });
    expect(registrantHandles(n)).toEqual(['LESSEE-1']);
    expect(n.entities).toEqual([
      expect.objectContaining({ handle: 'LESSEE-1', roles: ['registrant'], vcardArray: ['vcard', expect.arrayContaining([['fn', {}, 'text', 'Lessee Networks'], ['kind', {}, 'text', 'org']])] }),
      expect.objectContaining({ handle: 'EXAMPLE-1', roles: ['administrative'] }),
    ]);
    expect(entityName(n.entities![0]!)).toBe('Lessee Networks');
    expect(JSON.stringify(n.remarks)).toContain('AS64500');
  });

  it('render a network without a customer as before: the holder is the registrant, no remarks', () => {
    for (const plain of [row, { ...row, customer: null, originAsn: null }]) {
      const n = renderNetwork(plain, null, base);
      expect(n).not.toHaveProperty('remarks');
      expect((n.entities as { roles: string[] }[]).map((e) => e.roles)).toEqual([['registrant']]);
    }
  });

  it('list no transfer event for a network that never changed hands (absent or null)', () => {
    for (const plain of [row, { ...row, transferredAt: null }]) {
      const n = rdapIpNetworkSchema.parse(JSON.parse(JSON.stringify(renderNetwork(plain, null, base))));
      expect(n.events!.map((e) => e.eventAction)).toEqual(['registration', 'last changed']);
      expect(lastTransferDate(n)).toBeNull();
      expect(receiptDate(n)).toEqual(row.registeredAt);
    }
  });

  it("show a transferred network's new registrant with a transfer event, keeping the original registration", () => {
    const buyer = { ...holder, handle: 'BUYER-1', rir: 'ARIN' as const, name: 'Buyer Inc', email: 'noc@buyer.example' };
    const transferred: SandboxNetworkRow = {
      ...row,
      rir: 'ARIN',
      holder: buyer,
      transferredAt: new Date('2026-03-04T05:06:07.089Z'),
      updatedAt: new Date('2026-03-04T05:06:07.089Z'),
    };
    const n = rdapIpNetworkSchema.parse(JSON.parse(JSON.stringify(renderNetwork(transferred, null, base))));
    expect(registrantHandles(n)).toEqual(['BUYER-1']);
    expect(answeringRir(n)).toBe('ARIN');
    expect(n.events).toEqual([
      { eventAction: 'registration', eventDate: '2015-06-01T00:00:00.000Z' },
      { eventAction: 'transfer', eventDate: '2026-03-04T05:06:07.089Z' },
      { eventAction: 'last changed', eventDate: '2026-03-04T05:06:07.089Z' },
    ]);
    expect(registrationDate(n)).toEqual(row.registeredAt);
    expect(lastTransferDate(n)).toEqual(new Date('2026-03-04T05:06:07.089Z'));
    // What holding-period rules count from: the buyer's receipt, not the first registration.
    expect(receiptDate(n)).toEqual(new Date('2026-03-04T05:06:07.089Z'));
  });

  it('leave parentHandle out of a top-level network', () => {
    expect(renderNetwork(row, null, base)).not.toHaveProperty('parentHandle');
  });

  it('are entities with a jCard holding the name and e-mail', () => {
    const e = rdapEntitySchema.parse(JSON.parse(JSON.stringify(renderEntity(holder, base))));
    expect(e).toMatchObject({ objectClassName: 'entity', handle: 'EXAMPLE-1', port43: 'whois.ripe.net', rdapConformance: ['rdap_level_0'] });
    expect(e).not.toHaveProperty('roles');
    expect(entityName(e)).toBe('Example Networks');
    expect(entityEmails(e)).toEqual(['noc@example.net']);
    expect(e.links).toEqual([{ value: `${base}entity/EXAMPLE-1`, rel: 'self', href: `${base}entity/EXAMPLE-1`, type: 'application/rdap+json' }]);
  });

  it('are RFC 9083 §6 errors when there is no answer', () => {
    expect(renderError(404, 'Not Found', 'No network covers 1.2.3.4')).toMatchObject({
      errorCode: 404,
      title: 'Not Found',
      description: ['No network covers 1.2.3.4'],
    });
  });

  it.each([
    ['0.0.0.0/0', 'NET-0-0-0-0-0'],
    ['255.255.255.255/32', 'NET-255-255-255-255-32'],
    ['45.91.20.0/22', 'NET-45-91-20-0-22'],
  ])('name network %s %s', (prefix, handle) => {
    expect(networkHandle(parsePrefixOrThrow(prefix))).toBe(handle);
  });
});
