import { parseAddress } from '@app/ipam';
import { type Rir, rirOfPort43 } from '../domain/rir.js';
import { RdapInvalidError } from './errors.js';
import type { JCardProperty, RdapEntity, RdapIpNetwork } from './rdap-types.js';

/** Pure readers of validated RDAP answers: what the rest of the system asks of them. */

const hasRole = (e: RdapEntity, role: string) => (e.roles ?? []).some((r) => r.toLowerCase() === role);

/** Handles of the network's registrants (RFC 9083 §10.2.4 role "registrant"), as the registry spells them. */
export function registrantHandles(n: RdapIpNetwork): string[] {
  const handles = (n.entities ?? []).filter((e) => hasRole(e, 'registrant')).map((e) => e.handle);
  return [...new Set(handles.filter((h): h is string => typeof h === 'string' && h.length > 0))];
}

/** The network's range from startAddress/endAddress, as unsigned 32-bit numbers. */
export function networkRange(n: RdapIpNetwork): { first: number; last: number } {
  const first = parseAddress(n.startAddress);
  const last = parseAddress(n.endAddress);
  if (!first.ok || !last.ok || first.value > last.value) {
    throw new RdapInvalidError(`network ${n.handle} has no valid IPv4 range (${n.startAddress} - ${n.endAddress})`);
  }
  return { first: first.value, last: last.value };
}

/** The date of the "registration" event (RFC 9083 §10.2.3), or null when the registry lists none. */
export function registrationDate(n: { events?: RdapIpNetwork['events'] }): Date | null {
  const event = (n.events ?? []).find((e) => e.eventAction.toLowerCase() === 'registration');
  if (!event) return null;
  const at = new Date(event.eventDate);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** The date of the latest "transfer" event (RFC 9083 §10.2.3), or null when the registry lists none. */
export function lastTransferDate(n: { events?: RdapIpNetwork['events'] }): Date | null {
  const dates = (n.events ?? [])
    .filter((e) => e.eventAction.toLowerCase() === 'transfer')
    .map((e) => new Date(e.eventDate))
    .filter((d) => !Number.isNaN(d.getTime()));
  return dates.length === 0 ? null : new Date(Math.max(...dates.map((d) => d.getTime())));
}

/**
 * When the registrant received the network: its last transfer, else its registration (what
 * holding-period rules count from), or null when the registry lists neither.
 */
export function receiptDate(n: { events?: RdapIpNetwork['events'] }): Date | null {
  return lastTransferDate(n) ?? registrationDate(n);
}

/** The registry that answered, from `port43` (every RIR puts its whois server there), or null. */
export function answeringRir(o: { port43?: string }): Rir | null {
  return rirOfPort43(o.port43);
}

// Deliberately loose: the registry's data decides where a code goes; this only drops
// values that cannot be a mailbox at all (empty, spaces, no '@', no dot in the domain).
const MAILBOX = /^[^\s@<>(),;:"]{1,64}@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** The e-mail addresses of the entity's own jCard (RFC 7095 "email" properties), deduplicated, in order. */
export function entityEmails(e: RdapEntity): string[] {
  const out: string[] = [];
  for (const value of jCardValues(e, 'email')) {
    if (typeof value !== 'string') continue;
    const address = value.trim().replace(/^mailto:/i, '');
    if (address.length <= 254 && MAILBOX.test(address) && !out.some((a) => a.toLowerCase() === address.toLowerCase())) out.push(address);
  }
  return out;
}

/** The entity's formatted name (jCard "fn"), or null. */
export function entityName(e: RdapEntity): string | null {
  const fn = jCardValues(e, 'fn').find((v): v is string => typeof v === 'string' && v.trim() !== '');
  return fn?.trim() ?? null;
}

/** The entity's nested entities in a role ("administrative", "technical", "abuse"...). */
export function nestedEntities(e: RdapEntity, role: string): RdapEntity[] {
  return (e.entities ?? []).filter((n) => hasRole(n, role));
}

function jCardValues(e: RdapEntity, name: string): unknown[] {
  const properties: JCardProperty[] = e.vcardArray?.[1] ?? [];
  return properties.filter((p) => p[0].toLowerCase() === name).map((p) => p[3]);
}
