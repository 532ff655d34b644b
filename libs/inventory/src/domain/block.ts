import type { Rir } from '@app/registry';

export type BlockStatus = 'unverified' | 'verifying' | 'verified' | 'verification_failed';

/** A block as the API and other contexts see it (never the row itself). */
export interface BlockView {
  id: string;
  prefix: string;
  rir: Rir;
  holderOrgId: string;
  status: BlockStatus;
  /** ISO 3166 alpha-2 from the registry's RDAP record, once verified. */
  country: string | null;
  /** The registry's registration date (holding-period rules need it). */
  registeredAt: string | null;
  verifiedAt: string | null;
  failureReason: string | null;
  /** Until when the holder's RIR fees for the block are paid, as last declared (null: not known). */
  rirPaidUntil: string | null;
  createdAt: string;
}

/** Who may list a block, and on what authority. */
export interface ListingAuthority {
  readonly block: BlockView;
  readonly as: 'holder' | 'broker';
  /** The broker's mandate (only when as = 'broker'). */
  readonly mandate: { readonly id: string; readonly expiresAt: Date } | null;
}
