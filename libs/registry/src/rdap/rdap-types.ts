import { parseAddress } from '@app/ipam';
import { z } from 'zod';

/**
 * The parts of RDAP answers (RFC 9083) this system reads, validated rather than trusted: a
 * registry's answer decides who holds address space. Unknown members (extensions such as
 * ARIN's `arin_originas0_originautnums`) are kept, since RFC 9083 lets servers add them.
 */

const ipv4Address = z.string().refine((v) => parseAddress(v).ok, 'must be a dotted-quad IPv4 address');
const dateTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an RFC 3339 date and time');

const link = z.looseObject({ href: z.string(), rel: z.string().optional(), value: z.string().optional(), type: z.string().optional() });

/** RFC 9083 §4.5. */
const event = z.looseObject({ eventAction: z.string(), eventDate: dateTime, eventActor: z.string().optional() });

/** A jCard property (RFC 7095 §3.3): [name, parameters, value type, value...]. */
const jCardProperty = z.tuple([z.string(), z.record(z.string(), z.unknown()), z.string()], z.unknown());
/** RFC 7095: ["vcard", [properties]]. */
const vcardArray = z.tuple([z.literal('vcard'), z.array(jCardProperty)]);

/** Notices and remarks are only shown, never interpreted: any well-formed JSON will do. */
const notices = z.array(z.unknown());

const common = {
  handle: z.string().min(1).max(255).optional(),
  status: z.array(z.string()).optional(),
  events: z.array(event).optional(),
  links: z.array(link).optional(),
  port43: z.string().optional(),
  remarks: notices.optional(),
  notices: notices.optional(),
  rdapConformance: z.array(z.string()).optional(),
};

export type RdapEvent = z.output<typeof event>;
export type RdapLink = z.output<typeof link>;
/** A jCard property (RFC 7095 §3.3): [name, parameters, value type, value...]. */
export type JCardProperty = z.output<typeof jCardProperty>;

/** RFC 9083 §5.1 (the members read here; others are kept as they came). */
export interface RdapEntity {
  objectClassName: 'entity';
  handle?: string;
  roles?: string[];
  vcardArray?: ['vcard', JCardProperty[]];
  entities?: RdapEntity[];
  status?: string[];
  events?: RdapEvent[];
  links?: RdapLink[];
  port43?: string;
  remarks?: unknown[];
  notices?: unknown[];
  rdapConformance?: string[];
  [member: string]: unknown;
}

export const rdapEntitySchema: z.ZodType<RdapEntity> = z.looseObject({
  objectClassName: z.literal('entity'),
  ...common,
  roles: z.array(z.string()).optional(),
  vcardArray: vcardArray.optional(),
  entities: z.lazy(() => z.array(rdapEntitySchema)).optional(),
});

/** RFC 9083 §5.4, IPv4 only, with the cidr0 extension's member. */
export const rdapIpNetworkSchema = z
  .looseObject({
    objectClassName: z.literal('ip network'),
    ...common,
    handle: z.string().min(1).max(255),
    startAddress: ipv4Address,
    endAddress: ipv4Address,
    ipVersion: z.literal('v4'),
    name: z.string().optional(),
    type: z.string().optional(),
    country: z.string().optional(),
    parentHandle: z.string().optional(),
    entities: z.array(rdapEntitySchema).optional(),
    cidr0_cidrs: z
      .array(z.looseObject({ v4prefix: z.string().optional(), v6prefix: z.string().optional(), length: z.number().int().min(0).max(128) }))
      .optional(),
  })
  .refine((n) => {
    const start = parseAddress(n.startAddress);
    const end = parseAddress(n.endAddress);
    return start.ok && end.ok && start.value <= end.value;
  }, 'startAddress must not be after endAddress');

export type RdapIpNetwork = z.output<typeof rdapIpNetworkSchema>;
