import { PAYOUT_METHODS, PAYOUT_SOURCES } from '@app/escrow';
import { pageQuery } from '@app/platform';
import { z } from 'zod';
import { moneyBody } from '../common/money-body.js';

export const createPayoutBody = z.strictObject({
  orgId: z.uuid(),
  amount: moneyBody,
  from: z.enum(PAYOUT_SOURCES).default('payable'),
  method: z.enum(PAYOUT_METHODS).optional(),
  dealId: z.uuid().optional(),
});
export type CreatePayoutBody = z.output<typeof createPayoutBody>;

export const confirmPayoutBody = z.strictObject({
  bankReference: z.string().min(1).max(200).optional(),
});

export const listPayoutsQuery = z
  .strictObject({
    status: z.enum(['pending', 'confirmed', 'failed']).optional(),
    orgId: z.uuid().optional(),
    limit: pageQuery.shape.limit,
    cursor: pageQuery.shape.cursor,
  })
  .transform(({ limit, cursor, ...filter }) => ({ filter, page: { limit, cursor } }));

export const connectedAccountBody = z.strictObject({
  accountId: z.string().regex(/^acct_[A-Za-z0-9]{1,250}$/, 'must be a Stripe account id (acct_...)'),
});
