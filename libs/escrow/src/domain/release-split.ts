import { type Money, allocate } from '@app/money';

export interface FeeTerms {
  /** The broker's commission, in basis points of the price (0 without a broker). */
  readonly brokerFeeBps: number;
  /** The platform's fee, in basis points of the price. */
  readonly platformFeeBps: number;
}

export interface ReleaseSplit {
  readonly seller: Money;
  readonly broker: Money;
  readonly platform: Money;
}

/**
 * How a released price is shared (DOMAIN.md "A sale", step 7: the seller is paid less broker
 * commission and platform fee). The seller's share is the rest of the basis points
 * (10,000 - broker - platform), and the three are split by largest remainder (libs/money
 * allocate), so the parts sum exactly to the price: no minor unit is made or lost, each part
 * is within one minor unit of its exact share.
 */
export function releaseSplit(total: Money, fees: FeeTerms): ReleaseSplit {
  const sellerBps = 10_000 - fees.brokerFeeBps - fees.platformFeeBps;
  const [seller, broker, platform] = allocate(total, [sellerBps, fees.brokerFeeBps, fees.platformFeeBps]);
  return { seller: seller!, broker: broker!, platform: platform! };
}
