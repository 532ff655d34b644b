import { z } from 'zod';

const RIRS = ['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'] as const;

// The prefix's own rules (syntax, host bits, special-purpose space) are ipam's: they answer
// with CIDR.* codes from the service, not with generic validation errors.
export const registerBlockBody = z.strictObject({
  prefix: z.string().max(64, 'must be at most 64 characters'),
  rir: z.enum(RIRS),
});
export type RegisterBlockBody = z.output<typeof registerBlockBody>;

export const grantMandateBody = z.strictObject({
  brokerOrgId: z.uuid(),
  expiresAt: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
});
export type GrantMandateBody = z.output<typeof grantMandateBody>;
