import { parseMoney } from '@app/money';
import { coded } from '@app/platform';
import { z } from 'zod';

/** Money as API.md defines it, checked by the money context (positive integer minor units, known currency). */
export const moneyBody = z.unknown().transform((value, ctx) => {
  const parsed = parseMoney(value);
  if (parsed.ok) return parsed.value;
  coded(ctx, parsed.error.code, parsed.error.message, parsed.error.field ? parsed.error.field.split('.') : []);
  return z.NEVER;
});
