import { describe, expect, it } from '@jest/globals';
import { LISTING_STATUSES, type ListingStatus } from './listing.js';
import { LISTING_ACTIONS, type ListingAction, transition } from './transitions.js';

// The whole table, written out: every (status, action) pair and what it must give.
const EXPECTED: Record<ListingStatus, Record<ListingAction, ListingStatus | null>> = {
  active: { pause: 'paused', resume: null, withdraw: 'withdrawn', close: 'closed' },
  paused: { pause: null, resume: 'active', withdraw: 'withdrawn', close: 'closed' },
  withdrawn: { pause: null, resume: null, withdraw: null, close: null },
  closed: { pause: null, resume: null, withdraw: null, close: null },
};

const PAIRS = LISTING_STATUSES.flatMap((from) => LISTING_ACTIONS.map((action) => [from, action, EXPECTED[from][action]] as const));

describe('listing transitions', () => {
  it('covers every status and action (4 x 4 pairs)', () => {
    expect(PAIRS).toHaveLength(16);
  });

  it.each(PAIRS)('%s + %s -> %s', (from, action, to) => {
    const result = transition(from, action);
    if (to === null) {
      expect(result).toEqual({ ok: false, code: 'LISTING.INVALID_TRANSITION', message: `a listing that is ${from} cannot ${action}` });
    } else {
      expect(result).toEqual({ ok: true, to });
    }
  });

  it('never leaves withdrawn or closed (final states)', () => {
    for (const from of ['withdrawn', 'closed'] as const) {
      for (const action of LISTING_ACTIONS) expect(transition(from, action).ok).toBe(false);
    }
  });

  it('never transitions a status to itself', () => {
    for (const [from, action] of PAIRS) {
      const r = transition(from, action);
      if (r.ok) expect(r.to).not.toBe(from);
    }
  });
});
