import { type Prefix, unitCount } from '@app/ipam';
import type { Money } from '@app/money';
import { type ListingTerms, MAX_UNIT_PREFIX_LENGTH } from './listing.js';

export interface TermsProblem {
  /** Path inside the request body. */
  readonly field: string;
  readonly code: 'LISTING.UNIT_PREFIX_LENGTH_OUT_OF_RANGE';
  readonly message: string;
}

/** Whether the terms fit the block: a lease unit lies between the block's own length and /24. */
export function checkTerms(block: Prefix, terms: ListingTerms): TermsProblem | null {
  if (terms.kind !== 'lease') return null;
  const unit = terms.lease.unitPrefixLength;
  if (!Number.isInteger(unit) || unit < block.length || unit > MAX_UNIT_PREFIX_LENGTH) {
    return {
      field: 'lease.unitPrefixLength',
      code: 'LISTING.UNIT_PREFIX_LENGTH_OUT_OF_RANGE',
      message: `must be from ${block.length} (the block's length) to ${MAX_UNIT_PREFIX_LENGTH}`,
    };
  }
  return null;
}

/** The unit a lessee takes (lease), or the whole block (sale: it sells as one unit). */
export function unitPrefixLength(block: Prefix, terms: ListingTerms): number {
  return terms.kind === 'lease' ? terms.lease.unitPrefixLength : block.length;
}

/** How many units the listing offers. Call checkTerms first. */
export function unitsTotal(block: Prefix, terms: ListingTerms): number {
  return unitCount(block, unitPrefixLength(block, terms));
}

/** The one price search compares: per IP-month for a lease, per IP for a sale. */
export function pricePerIp(terms: ListingTerms): Money {
  return terms.kind === 'lease' ? terms.lease.pricePerIpMonth : terms.sale.askPerIp;
}
