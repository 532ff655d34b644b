import type { ListingStatus } from './listing.js';

/** What may happen to a listing: its lister pauses, resumes or withdraws it; a completed sale closes it. */
export const LISTING_ACTIONS = ['pause', 'resume', 'withdraw', 'close'] as const;
export type ListingAction = (typeof LISTING_ACTIONS)[number];

/**
 * The listing state machine. A transition that is not in this table is refused; withdrawn
 * and closed are final (the space goes back on the market through a new listing).
 */
export const LISTING_TRANSITIONS: Readonly<Record<ListingStatus, Readonly<Partial<Record<ListingAction, ListingStatus>>>>> = {
  active: { pause: 'paused', withdraw: 'withdrawn', close: 'closed' },
  paused: { resume: 'active', withdraw: 'withdrawn', close: 'closed' },
  withdrawn: {},
  closed: {},
};

export type TransitionResult =
  | { readonly ok: true; readonly to: ListingStatus }
  | { readonly ok: false; readonly code: 'LISTING.INVALID_TRANSITION'; readonly message: string };

export function transition(from: ListingStatus, action: ListingAction): TransitionResult {
  const to = LISTING_TRANSITIONS[from][action];
  if (to) return { ok: true, to };
  return { ok: false, code: 'LISTING.INVALID_TRANSITION', message: `a listing that is ${from} cannot ${action}` };
}
