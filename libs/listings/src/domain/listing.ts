import type { Money } from '@app/money';

/**
 * A listing: an offer to lease units of a verified block, or to sell the whole block.
 * Pure types and rules; no framework, no I/O.
 */
export const LISTING_KINDS = ['lease', 'sale'] as const;
export type ListingKind = (typeof LISTING_KINDS)[number];

export const LISTING_STATUSES = ['active', 'paused', 'withdrawn', 'closed'] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];

/** Statuses in which the listing still holds its block: at most one per (block, kind, lister). */
export const OPEN_STATUSES: readonly ListingStatus[] = ['active', 'paused'];

export interface LeaseTerms {
  /** Price per IP address per month. */
  readonly pricePerIpMonth: Money;
  /** The size of the unit a lessee takes: from the block's own length to /24. */
  readonly unitPrefixLength: number;
  readonly minTermMonths: number;
}

export interface SaleTerms {
  readonly askPerIp: Money;
}

export type ListingTerms = { readonly kind: 'lease'; readonly lease: LeaseTerms } | { readonly kind: 'sale'; readonly sale: SaleTerms };

/** The smallest unit of address space that is routed on the public Internet. */
export const MAX_UNIT_PREFIX_LENGTH = 24;
export const DEFAULT_UNIT_PREFIX_LENGTH = 24;
export const MIN_TERM_MONTHS = 1;
export const MAX_TERM_MONTHS = 120;
export const DEFAULT_MIN_TERM_MONTHS = 1;
