import { describe, expect, it } from '@jest/globals';
import arin from './fixtures/arin-ip-network.json' with { type: 'json' };
import ripe from './fixtures/ripe-ip-network.json' with { type: 'json' };
import {
  answeringRir,
  entityEmails,
  entityName,
  lastTransferDate,
  networkRange,
  nestedEntities,
  receiptDate,
  registrantHandles,
  registrationDate,
} from './rdap-read.js';
import { type RdapEntity, rdapEntitySchema, rdapIpNetworkSchema } from './rdap-types.js';

const arinNetwork = rdapIpNetworkSchema.parse(arin);
const ripeNetwork = rdapIpNetworkSchema.parse(ripe);
const clone = <T>(v: T): T => structuredClone(v);
const entity = (properties: unknown[], extra: Record<string, unknown> = {}): RdapEntity =>
  rdapEntitySchema.parse({ objectClassName: 'entity', handle: 'X-1', vcardArray: ['vcard', properties], ...extra });

describe('reading an ip network answer', () => {
  it('takes the registrant handles only (not abuse, administrative or technical contacts)', () => {
    expect(registrantHandles(arinNetwork)).toEqual(['GOGL']);
    expect(registrantHandles(ripeNetwork)).toEqual(['ORG-RIEN1-RIPE']);
    expect(registrantHandles(rdapIpNetworkSchema.parse({ ...clone(arin), entities: [] }))).toEqual([]);
  });

  it('reads the range from startAddress and endAddress', () => {
    expect(networkRange(arinNetwork)).toEqual({ first: 0x08080800, last: 0x080808ff });
    expect(networkRange(ripeNetwork)).toEqual({ first: 193 * 2 ** 24, last: 193 * 2 ** 24 + 7 * 256 + 255 });
    const top = rdapIpNetworkSchema.parse({ ...clone(arin), startAddress: '255.255.255.0', endAddress: '255.255.255.255' });
    expect(networkRange(top)).toEqual({ first: 2 ** 32 - 256, last: 2 ** 32 - 1 });
  });

  it('reads the registration date, with its offset, or null when the registry lists none', () => {
    expect(registrationDate(arinNetwork)).toEqual(new Date('2023-12-28T22:24:33Z'));
    expect(registrationDate(ripeNetwork)).toBeNull();
  });

  it('reads the latest transfer event, and the receipt date (the last transfer, else the registration)', () => {
    const events = (list: { eventAction: string; eventDate: string }[]) => ({ events: list });
    const registered = { eventAction: 'registration', eventDate: '2010-01-01T00:00:00Z' };
    expect(lastTransferDate(arinNetwork)).toBeNull();
    expect(receiptDate(arinNetwork)).toEqual(new Date('2023-12-28T22:24:33Z'));
    expect(receiptDate(ripeNetwork)).toBeNull();
    const twice = events([
      registered,
      { eventAction: 'Transfer', eventDate: '2024-05-06T07:08:09Z' },
      { eventAction: 'transfer', eventDate: '2021-01-01T00:00:00Z' },
      { eventAction: 'transfer', eventDate: 'not a date' },
    ]);
    expect(lastTransferDate(twice)).toEqual(new Date('2024-05-06T07:08:09Z'));
    expect(receiptDate(twice)).toEqual(new Date('2024-05-06T07:08:09Z'));
    expect(receiptDate(events([registered, { eventAction: 'transfer', eventDate: 'not a date' }]))).toEqual(new Date('2010-01-01T00:00:00Z'));
  });

  it('tells which RIR answered from port43', () => {
    expect(answeringRir(arinNetwork)).toBe('ARIN');
    expect(answeringRir(ripeNetwork)).toBe('RIPE');
    expect(answeringRir({ port43: 'WHOIS.APNIC.NET' })).toBe('APNIC');
    expect(answeringRir({ port43: 'whois.example.net' })).toBeNull();
    expect(answeringRir({})).toBeNull();
  });

  it('keeps members it does not know (extensions) as they came', () => {
    expect(arinNetwork.arin_originas0_originautnums).toEqual([]);
    expect(arinNetwork.cidr0_cidrs).toEqual([{ v4prefix: '8.8.8.0', length: 24 }]);
  });
});

describe('the shape check refuses', () => {
  const without = (key: string) => {
    const copy: Record<string, unknown> = clone(arin);
    delete copy[key];
    return copy;
  };
  it.each([
    ['no startAddress', without('startAddress')],
    ['no handle', without('handle')],
    ['another object class', { ...clone(arin), objectClassName: 'autnum' }],
    ['an IPv6 network', { ...clone(arin), ipVersion: 'v6' }],
    ['a malformed address', { ...clone(arin), startAddress: '8.8.8.00' }],
    ['a range ending before it starts', { ...clone(arin), startAddress: '8.8.9.0' }],
    ['entities that are not objects', { ...clone(arin), entities: ['GOGL'] }],
    ['an event without a date', { ...clone(arin), events: [{ eventAction: 'registration' }] }],
    ['an event date that is no date', { ...clone(arin), events: [{ eventAction: 'registration', eventDate: 'yesterday' }] }],
    ['a vCard that is not a jCard', { ...clone(arin), entities: [{ objectClassName: 'entity', vcardArray: ['vcard', [['fn', 'x']]] }] }],
    ['a nested entity of another class', { ...clone(arin), entities: [{ objectClassName: 'entity', entities: [{ objectClassName: 'ip network' }] }] }],
  ])('%s', (_what, bad) => {
    expect(rdapIpNetworkSchema.safeParse(bad).success).toBe(false);
  });
});

describe('jCard e-mails', () => {
  it('reads the e-mails of the entity itself, not those of its nested contacts', () => {
    const registrant = arinNetwork.entities![0]!;
    expect(entityEmails(registrant)).toEqual([]);
    expect(entityName(registrant)).toBe('Google LLC');
    expect(nestedEntities(registrant, 'abuse').map(entityEmails)).toEqual([['network-abuse@google.com']]);
    expect(nestedEntities(registrant, 'technical').map(entityEmails)).toEqual([['arin-contact@google.com']]);
  });

  it("drops 'mailto:', duplicates in another case and values that are no address", () => {
    expect(entityEmails(ripeNetwork.entities![0]!)).toEqual(['NCC@ripe.net']);
  });

  it.each([
    [[['email', {}, 'text', ' noc@example.net ']], ['noc@example.net']],
    [[['EMAIL', { type: 'work' }, 'text', 'a@example.net'], ['email', {}, 'text', 'b@example.org']], ['a@example.net', 'b@example.org']],
    [[['email', {}, 'text', 'no-at-sign.example.net']], []],
    [[['email', {}, 'text', 'two@@example.net']], []],
    [[['email', {}, 'text', 'nodot@localhost']], []],
    [[['email', {}, 'text', 42]], []],
    [[['email', {}, 'text']], []],
    [[['fn', {}, 'text', 'no e-mail here']], []],
  ])('%j -> %j', (properties, emails) => {
    expect(entityEmails(entity(properties))).toEqual(emails);
  });

  it('finds nothing in an entity without a vCard', () => {
    const bare = rdapEntitySchema.parse({ objectClassName: 'entity', handle: 'BARE-1' });
    expect(entityEmails(bare)).toEqual([]);
    expect(entityName(bare)).toBeNull();
  });
});
