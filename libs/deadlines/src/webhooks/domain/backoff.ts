/** No wait between attempts is longer than this, however many attempts failed. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * The wait after failed attempt `attempt` (1-based) before the next: base, 2 x base,
 * 4 x base, ... capped at `capMs`.
 */
export function retryDelayMs(attempt: number, baseMs: number, capMs = MAX_RETRY_DELAY_MS): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`bad attempt ${attempt}`);
  // The exponent is clamped so that 2 ** n stays finite; the cap is reached long before.
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 40));
}

export interface RetryPolicy {
  readonly baseMs: number;
  /** No attempt is scheduled later than the delivery's creation plus this. */
  readonly retryForMs: number;
  readonly capMs?: number;
}

/**
 * When to make the attempt after failed attempt `failedAttempt` of a delivery created at
 * `createdAt`, or null when that would be past the retry window (the delivery has failed).
 */
export function nextAttemptAt(failedAttempt: number, createdAt: Date, now: Date, policy: RetryPolicy): Date | null {
  const at = now.getTime() + retryDelayMs(failedAttempt, policy.baseMs, policy.capMs);
  return at > createdAt.getTime() + policy.retryForMs ? null : new Date(at);
}
