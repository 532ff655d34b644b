import { pageQuery } from '@app/platform';
import { RIRS } from '@app/registry';
import { STAGES } from '@app/transfers';
import { z } from 'zod';
import { moneyBody } from '../common/money-body.js';

export const proposeBody = z.strictObject({
  listingId: z.uuid(),
  pricePerIp: moneyBody,
  destinationRir: z.enum(RIRS),
  brokerOrgId: z.uuid().optional(),
  brokerFeeBps: z.number().int().min(0).max(5000).optional(),
});

export const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const optionalReasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

export const confirmFundingBody = z.strictObject({
  amount: moneyBody,
  /** The bank's reference of the wire (one funding per reference). */
  reference: z.string().trim().min(1).max(128),
});

export const resolveBody = z.strictObject({
  outcome: z.enum(['release', 'refund']),
  note: z.string().trim().min(1).max(500).optional(),
});

export const documentBody = z
  .strictObject({
    kind: z.enum(['needs_justification', 'pre_approval']),
    rir: z.enum(RIRS),
    approvedSize: z.number().int().min(8).max(24),
    issuedAt: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
    expiresAt: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional(),
    reference: z.string().trim().min(1).max(200).optional(),
  })
  .refine((d) => d.expiresAt === undefined || d.expiresAt > d.issuedAt, { message: 'expiresAt must be after issuedAt', path: ['expiresAt'] });

export const listTransfersQuery = z.strictObject({
  stage: z.enum(STAGES).optional(),
  limit: pageQuery.shape.limit,
  cursor: pageQuery.shape.cursor,
});

export const registryAnswerBody = z.strictObject({ note: z.string().trim().min(1).max(2000) });
