import { ROLES } from '@app/identity';
import { z } from 'zod';

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters');

export const createOrgBody = z.strictObject({ name });
export type CreateOrgBody = z.output<typeof createOrgBody>;

export const createApiKeyBody = z.strictObject({
  role: z.enum(ROLES),
  label: z.string().trim().max(200, 'must be at most 200 characters').default(''),
});
export type CreateApiKeyBody = z.output<typeof createApiKeyBody>;
