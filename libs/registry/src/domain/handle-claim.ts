/**
 * The rules of a claim of an RIR handle (API.md "Identity"): a one-time code, valid for 30
 * minutes by the system's clock, single use, and at most 5 wrong codes before the claim is
 * locked (the organisation then claims again, which sends a new code).
 */
export const CODE_TTL_MS = 30 * 60_000;
export const MAX_WRONG_CODES = 5;

export type StoredClaimStatus = 'pending' | 'confirmed' | 'locked' | 'superseded';
/** What a client sees: a pending claim whose code has expired shows as 'expired'. */
export type ClaimStatus = StoredClaimStatus | 'expired';

export interface ClaimState {
  readonly status: StoredClaimStatus;
  readonly codeExpiresAt: Date;
  readonly failedAttempts: number;
}

export type ConfirmRefusal = 'HANDLE.CODE_USED' | 'HANDLE.LOCKED' | 'HANDLE.SUPERSEDED' | 'HANDLE.CODE_EXPIRED';

export function codeExpiry(claimedAt: Date): Date {
  return new Date(claimedAt.getTime() + CODE_TTL_MS);
}

export function claimStatusAt(c: ClaimState, now: Date): ClaimStatus {
  return c.status === 'pending' && now.getTime() >= c.codeExpiresAt.getTime() ? 'expired' : c.status;
}

/** Why a code cannot be checked at all, before looking at it (no attempt is counted then). */
export function refuseBeforeCheck(c: ClaimState, now: Date): ConfirmRefusal | null {
  switch (claimStatusAt(c, now)) {
    case 'confirmed':
      return 'HANDLE.CODE_USED';
    case 'locked':
      return 'HANDLE.LOCKED';
    case 'superseded':
      return 'HANDLE.SUPERSEDED';
    case 'expired':
      return 'HANDLE.CODE_EXPIRED';
    case 'pending':
      return null;
  }
}

/** The claim after one more wrong code. */
export function afterWrongCode(c: ClaimState): { failedAttempts: number; attemptsLeft: number; locked: boolean } {
  const failedAttempts = Math.min(c.failedAttempts + 1, MAX_WRONG_CODES);
  return { failedAttempts, attemptsLeft: MAX_WRONG_CODES - failedAttempts, locked: failedAttempts >= MAX_WRONG_CODES };
}

export function attemptsLeft(c: ClaimState): number {
  return c.status === 'pending' ? Math.max(0, MAX_WRONG_CODES - c.failedAttempts) : 0;
}
