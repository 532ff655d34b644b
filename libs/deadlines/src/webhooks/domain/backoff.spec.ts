import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { MAX_RETRY_DELAY_MS, nextAttemptAt, retryDelayMs } from './backoff.js';

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('webhook retry backoff', () => {
  it('doubles from the base and stops growing at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 50, 5000].map((n) => retryDelayMs(n, 30 * SECOND))).toEqual([
      30 * SECOND, 60 * SECOND, 120 * SECOND, 240 * SECOND, 480 * SECOND, 960 * SECOND, 1920 * SECOND, HOUR, HOUR, HOUR, HOUR,
    ]);
    expect(retryDelayMs(3, 200)).toBe(800);
    expect(retryDelayMs(3, 200, 500)).toBe(500);
  });

  it('never shrinks from one attempt to the next and never exceeds the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 10, max: HOUR }), (n, base) => {
        const d = retryDelayMs(n, base);
        expect(d).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
        expect(retryDelayMs(n + 1, base)).toBeGreaterThanOrEqual(d);
      }),
    );
  });

  it.each([0, -1, 1.5])('refuses attempt %p', (n) => {
    expect(() => retryDelayMs(n, 1000)).toThrow();
  });

  it('schedules the next attempt inside the retry window, and none past it', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    const policy = { baseMs: 30 * SECOND, retryForMs: DAY };
    const at = (ms: number) => new Date(created.getTime() + ms);
    expect(nextAttemptAt(1, created, at(1000), policy)).toEqual(at(31_000));
    expect(nextAttemptAt(20, created, at(DAY - HOUR), policy)).toEqual(at(DAY));
    expect(nextAttemptAt(20, created, at(DAY - HOUR + 1), policy)).toBeNull();
  });

  it('with the defaults, keeps trying for a day: about 30 attempts, the last within the window', () => {
    const created = new Date(0);
    const policy = { baseMs: 30 * SECOND, retryForMs: DAY };
    let now = created;
    let attempts = 1;
    for (;;) {
      const next = nextAttemptAt(attempts, created, now, policy);
      if (!next) break;
      expect(next.getTime()).toBeLessThanOrEqual(DAY);
      now = next;
      attempts++;
    }
    expect(now.getTime()).toBeGreaterThan(DAY - HOUR);
    expect(attempts).toBeGreaterThanOrEqual(25);
    expect(attempts).toBeLessThanOrEqual(35);
  });
});
