/**
 * Holdership proof, as a pure decision: the registry's network (from RDAP) must cover the
 * whole block, and one of its registrants must be a handle the holder organisation has
 * confirmed at that registry (API.md "Address space"). A block split over two registry
 * networks is refused: nobody holds all of it as one registrant.
 */
export interface HoldershipInput {
  readonly block: { readonly first: number; readonly last: number };
  readonly network: { readonly first: number; readonly last: number; readonly registrants: readonly string[] };
  readonly confirmedHandles: readonly string[];
}

export type HoldershipVerdict =
  | { readonly ok: true; readonly matchedHandle: string }
  | { readonly ok: false; readonly code: HoldershipFailure; readonly reason: string };

export type HoldershipFailure = 'NETWORK_DOES_NOT_COVER_BLOCK' | 'NO_CONFIRMED_HANDLE' | 'REGISTRANT_MISMATCH';

export function judgeHoldership(i: HoldershipInput): HoldershipVerdict {
  if (i.network.first > i.block.first || i.network.last < i.block.last) {
    return {
      ok: false,
      code: 'NETWORK_DOES_NOT_COVER_BLOCK',
      reason: 'the registry network that holds the block does not cover all of it',
    };
  }
  if (i.confirmedHandles.length === 0) {
    return { ok: false, code: 'NO_CONFIRMED_HANDLE', reason: 'the organisation has no confirmed handle at this registry' };
  }
  // Registry handles are case-insensitive (ARIN and RIPE both treat them so).
  const confirmed = new Set(i.confirmedHandles.map((h) => h.toUpperCase()));
  const matched = i.network.registrants.find((h) => confirmed.has(h.toUpperCase()));
  if (!matched) {
    return {
      ok: false,
      code: 'REGISTRANT_MISMATCH',
      reason: `the registry lists ${i.network.registrants.join(', ') || 'no registrant'} as registrant, not a handle of this organisation`,
    };
  }
  return { ok: true, matchedHandle: matched };
}
