import { MAX_AMOUNT_MINOR, isCurrency } from '@app/money';
import { coded, pageQuery } from '@app/platform';
import { RIRS } from '@app/registry';
import {
  DEFAULT_MIN_TERM_MONTHS,
  DEFAULT_UNIT_PREFIX_LENGTH,
  LISTING_KINDS,
  type ListingFilter,
  type ListingTerms,
  MAX_TERM_MONTHS,
  MAX_UNIT_PREFIX_LENGTH,
  MIN_TERM_MONTHS,
} from '@app/listings';
import { z } from 'zod';
import { moneyBody } from '../common/money-body.js';

const money = moneyBody;

const leaseTerms = z.strictObject({
  pricePerIpMonth: money,
  unitPrefixLength: z.number().int().min(8).max(MAX_UNIT_PREFIX_LENGTH).default(DEFAULT_UNIT_PREFIX_LENGTH),
  minTermMonths: z.number().int().min(MIN_TERM_MONTHS).max(MAX_TERM_MONTHS).default(DEFAULT_MIN_TERM_MONTHS),
});
const saleTerms = z.strictObject({ askPerIp: money });

export const createListingBody = z
  .strictObject({
    blockId: z.uuid(),
    kind: z.enum(LISTING_KINDS),
    lease: leaseTerms.optional(),
    sale: saleTerms.optional(),
  })
  .superRefine((b, ctx) => {
    const other = b.kind === 'lease' ? 'sale' : 'lease';
    if (b[b.kind] === undefined) coded(ctx, 'LISTING.TERMS_REQUIRED', `is required when kind is ${b.kind}`, [b.kind]);
    if (b[other] !== undefined) coded(ctx, 'LISTING.TERMS_MISMATCH', `must be left out when kind is ${b.kind}`, [other]);
  })
  .transform((b): { blockId: string; terms: ListingTerms } => ({
    blockId: b.blockId.toLowerCase(),
    terms: b.kind === 'lease' ? { kind: 'lease', lease: b.lease! } : { kind: 'sale', sale: b.sale! },
  }));
export type CreateListingBody = z.output<typeof createListingBody>;

/** Whole decimal numbers only: '1e3', ' 12', '0x10' and '' are refused, not coerced. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

export const searchListingsQuery = z
  .strictObject({
    kind: z.enum(LISTING_KINDS).optional(),
    rir: z.enum(RIRS).optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code in capitals, such as DE')
      .optional(),
    minUnitPrefixLength: wholeNumber(8, MAX_UNIT_PREFIX_LENGTH).optional(),
    maxPricePerIpMinor: z
      .string()
      .regex(/^\d{1,19}$/, 'must be a whole number of minor units')
      .transform((v, ctx) => {
        const n = BigInt(v);
        if (n < 1n) coded(ctx, 'MONEY.NOT_POSITIVE', 'must be more than zero');
        else if (n > MAX_AMOUNT_MINOR) coded(ctx, 'MONEY.TOO_LARGE', `must be at most ${String(MAX_AMOUNT_MINOR)}`);
        return n;
      })
      .optional(),
    currency: z
      .string()
      .superRefine((v, ctx) => {
        if (!isCurrency(v)) coded(ctx, 'MONEY.UNKNOWN_CURRENCY', 'must be a known ISO 4217 currency code in capitals, such as USD');
      })
      .optional(),
    minFreeUnits: wholeNumber(0, 2 ** 24).optional(),
    limit: pageQuery.shape.limit,
    cursor: pageQuery.shape.cursor,
  })
  .superRefine((q, ctx) => {
    if (q.maxPricePerIpMinor !== undefined && q.currency === undefined) {
      coded(ctx, 'LISTING.CURRENCY_REQUIRED', 'is required with maxPricePerIpMinor (prices compare within one currency)', ['currency']);
    }
  })
  .transform(({ limit, cursor, ...filter }): { filter: ListingFilter; page: { limit: number; cursor?: string } } => ({
    filter,
    page: { limit, cursor },
  }));
export type SearchListingsQuery = z.output<typeof searchListingsQuery>;
