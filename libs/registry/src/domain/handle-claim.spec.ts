import { describe, expect, it } from '@jest/globals';
import {
  CODE_TTL_MS,
  type ClaimState,
  MAX_WRONG_CODES,
  afterWrongCode,
  attemptsLeft,
  claimStatusAt,
  codeExpiry,
  refuseBeforeCheck,
} from './handle-claim.js';

const claimedAt = new Date('2026-01-10T12:00:00Z');
const pending: ClaimState = { status: 'pending', codeExpiresAt: codeExpiry(claimedAt), failedAttempts: 0 };
const at = (ms: number) => new Date(claimedAt.getTime() + ms);

describe('a handle claim', () => {
  it('expires 30 minutes after the claim, to the millisecond', () => {
    expect(CODE_TTL_MS).toBe(30 * 60_000);
    expect(claimStatusAt(pending, at(CODE_TTL_MS - 1))).toBe('pending');
    expect(refuseBeforeCheck(pending, at(CODE_TTL_MS - 1))).toBeNull();
    expect(claimStatusAt(pending, at(CODE_TTL_MS))).toBe('expired');
    expect(refuseBeforeCheck(pending, at(CODE_TTL_MS))).toBe('HANDLE.CODE_EXPIRED');
  });

  it.each([
    ['confirmed', 'HANDLE.CODE_USED'],
    ['locked', 'HANDLE.LOCKED'],
    ['superseded', 'HANDLE.SUPERSEDED'],
  ] as const)('refuses any code once %s (%s), expired or not', (status, code) => {
    const c = { ...pending, status };
    expect(refuseBeforeCheck(c, at(1))).toBe(code);
    expect(refuseBeforeCheck(c, at(CODE_TTL_MS * 2))).toBe(code);
    expect(claimStatusAt(c, at(CODE_TTL_MS * 2))).toBe(status);
    expect(attemptsLeft(c)).toBe(0);
  });

  it('locks on the fifth wrong code, counting down the attempts left', () => {
    expect(MAX_WRONG_CODES).toBe(5);
    let c: ClaimState = pending;
    const seen: { attemptsLeft: number; locked: boolean }[] = [];
    for (let i = 0; i < MAX_WRONG_CODES; i++) {
      expect(attemptsLeft(c)).toBe(MAX_WRONG_CODES - i);
      const next = afterWrongCode(c);
      seen.push({ attemptsLeft: next.attemptsLeft, locked: next.locked });
      c = { ...c, failedAttempts: next.failedAttempts, status: next.locked ? 'locked' : 'pending' };
    }
    expect(seen).toEqual([
      { attemptsLeft: 4, locked: false },
      { attemptsLeft: 3, locked: false },
      { attemptsLeft: 2, locked: false },
      { attemptsLeft: 1, locked: false },
      { attemptsLeft: 0, locked: true },
    ]);
    expect(c).toEqual({ ...pending, status: 'locked', failedAttempts: 5 });
    expect(refuseBeforeCheck(c, at(1))).toBe('HANDLE.LOCKED');
  });
});
