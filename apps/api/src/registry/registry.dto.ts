import { pageQuery } from '@app/platform';
import { CHANGES_BEHAVIOURS, CODE_PATTERN, HANDLE_PATTERN, MAX_CHANGE_DELAY_MS, MAX_TRANSFER_DELAY_MS, RIRS, TRANSFER_ANSWERS } from '@app/registry';
import { z } from 'zod';

const rir = z.enum(RIRS);
const handle = z.string().regex(HANDLE_PATTERN, 'must be a registry handle: 1 to 64 letters, digits, dots, dashes or underscores');
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters');
const email = z.email().max(254);
// Year 0000 passes the ISO check but PostgreSQL refuses it (a 500 for a crafted value).
const instant = z.iso
  .datetime({ offset: true })
  .refine((v) => !v.startsWith('0000-'), 'must be a year from 0001')
  .transform((v) => new Date(v));

export const sandboxEntityBody = z.strictObject({ rir, handle, name: text(200), email });
export type SandboxEntityBody = z.output<typeof sandboxEntityBody>;

export const sandboxResourceBody = z.strictObject({
  /** Checked by the service with @app/ipam, so that refusals carry its codes (CIDR.NOT_NETWORK_ADDRESS...). */
  prefix: z.string().max(64),
  rir,
  holderHandle: handle,
  holderName: text(200).optional(),
  holderEmail: email.optional(),
  registeredAt: instant.optional(),
  /** When the holder received the network by a transfer (RDAP "transfer" event); kept when left out. */
  transferredAt: instant.optional(),
  /** ISO 3166-1 alpha-2; defaults to the RIR's seat (ARIN US, RIPE NL, APNIC AU, LACNIC BR, AFRINIC ZA). */
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as NL').optional(),
  /** RDAP network name; defaults to '<holderHandle>-NET'. */
  name: text(100).optional(),
  /** RDAP network type; defaults to the RIR's word for an allocation (ALLOCATED PA...). */
  type: text(100).optional(),
});
export type SandboxResourceBody = z.output<typeof sandboxResourceBody>;

/**
 * Fields left out keep their value. `transfer` scripts the answer to transfer requests
 * received from then on (approve, reject, or ask for information), given `delayMs` after the
 * request by the sandbox clock (API.md: `{ rir, transfer, delayMs }`). `rdap: 'down'` scripts
 * an outage of the RIR's RDAP (503). `changes` scripts how it answers writes of ROAs, route
 * objects and sub-assignments (apply them, reject them for good, or be unavailable), after
 * `changeDelayMs` (a real wait).
 */
export const sandboxBehaviourBody = z.strictObject({
  rir,
  transfer: z.enum(TRANSFER_ANSWERS).optional(),
  delayMs: z.number().int().min(0).max(MAX_TRANSFER_DELAY_MS).optional(),
  rdap: z.enum(['up', 'down']).optional(),
  changes: z.enum(CHANGES_BEHAVIOURS).optional(),
  changeDelayMs: z.number().int().min(0).max(MAX_CHANGE_DELAY_MS).optional(),
  /** How long the ROAs it signs from then on are valid, in days (their expiry is a deadline); null: a calendar year, the default. */
  roaValidityDays: z.number().int().min(1).max(3650).nullable().optional(),
});
export type SandboxBehaviourBody = z.output<typeof sandboxBehaviourBody>;

export const sandboxTransfersQuery = pageQuery.extend({ reference: z.string().min(1).max(200).optional() });
export type SandboxTransfersQuery = z.output<typeof sandboxTransfersQuery>;

export const claimHandleBody = z.strictObject({ rir, handle });
export type ClaimHandleBody = z.output<typeof claimHandleBody>;

export const confirmHandleBody = z.strictObject({ code: z.string().regex(CODE_PATTERN, 'must be the 8 digits of the code that was sent') });
export type ConfirmHandleBody = z.output<typeof confirmHandleBody>;
