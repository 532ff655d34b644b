import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DEADLINE_KIND_NAMES, THRESHOLDS, band, isDeadlineKind, statusAt, thresholdAt } from './deadline.js';
import { notificationMail } from './notification-mail.js';

const DAY = 86_400_000;
const now = new Date('2026-11-28T12:00:00.000Z');
const at = (ms: number) => new Date(now.getTime() + ms);

describe('thresholdAt: the tightest threshold crossed', () => {
  it.each([
    [31 * DAY, null],
    [30 * DAY + 1, null],
    [30 * DAY, 'P30D'],
    [7 * DAY + 1, 'P30D'],
    [7 * DAY, 'P7D'],
    [DAY + 1, 'P7D'],
    [DAY, 'P1D'],
    [1, 'P1D'],
    [0, 'overdue'],
    [-1, 'overdue'],
    [-400 * DAY, 'overdue'],
  ])('%d ms before the date: %s', (left, threshold) => {
    expect(thresholdAt(at(left), now)).toBe(threshold);
  });

  it('overdue exactly when the status is', () => {
    fc.assert(
      fc.property(fc.integer({ min: -60 * DAY, max: 60 * DAY }), (left) => {
        expect(thresholdAt(at(left), now) === 'overdue').toBe(statusAt(at(left), now) === 'overdue');
      }),
    );
  });
});

describe('band: the due dates for which a threshold is the tightest crossed', () => {
  it('bands are (from, to], adjacent, and cover everything up to 30 days ahead', () => {
    expect(band('P30D', now)).toEqual({ from: at(7 * DAY), to: at(30 * DAY) });
    expect(band('P7D', now)).toEqual({ from: at(DAY), to: at(7 * DAY) });
    expect(band('P1D', now)).toEqual({ from: now, to: at(DAY) });
    expect(band('overdue', now)).toEqual({ from: null, to: now });
  });

  it('a due date is in the band of thresholdAt, and in no other', () => {
    fc.assert(
      fc.property(fc.integer({ min: -60 * DAY, max: 60 * DAY }), (left) => {
        const due = at(left);
        const inside = THRESHOLDS.filter(({ name }) => {
          const b = band(name, now);
          return (b.from === null || due > b.from) && due <= b.to;
        }).map((t) => t.name);
        const expected = thresholdAt(due, now);
        expect(inside).toEqual(expected === null ? [] : [expected]);
      }),
    );
  });
});

describe('kinds', () => {
  it('knows its kinds and nothing else', () => {
    expect(DEADLINE_KIND_NAMES).toHaveLength(11);
    for (const k of DEADLINE_KIND_NAMES) expect(isDeadlineKind(k)).toBe(true);
    for (const k of ['', 'lease', 'toString', '__proto__', 'lease.notice ']) expect(isDeadlineKind(k)).toBe(false);
  });
});

describe('notificationMail', () => {
  const n = {
    kind: 'rir.fees_due' as const,
    threshold: 'P7D' as const,
    due_at: new Date('2026-12-05T00:00:00.000Z'),
    title: 'RIR fees for 45.91.20.0/22 (ARIN) are paid until this date',
    deadline_id: 'rir.fees_due:0f1e2d3c-0000-4000-8000-000000000001:20261205',
    subject_type: 'block',
    subject_id: '0f1e2d3c-0000-4000-8000-000000000001',
  };

  it('says what is due, when, and where to see every deadline', () => {
    const mail = notificationMail(n, 'https://market.example');
    expect(mail.subject).toBe('[IPv4 market] due within 7 days: RIR fees for 45.91.20.0/22 (ARIN) are paid until this date');
    expect(mail.body).toContain('Due: 2026-12-05T00:00:00.000Z (due within 7 days)');
    expect(mail.body).toContain("The holder's RIR fees for a block are paid until this date");
    expect(mail.body).toContain(`Deadline: ${n.deadline_id}`);
    expect(mail.body).toContain('https://market.example/v1/deadlines.ics');
  });

  it('marks overdue ones, and keeps subjects within what the mail outbox accepts', () => {
    expect(notificationMail({ ...n, threshold: 'overdue' }, 'x').subject).toMatch(/^\[IPv4 market\] OVERDUE: /);
    expect(notificationMail({ ...n, title: 'x'.repeat(2000) }, 'x').subject.length).toBeLessThanOrEqual(300);
  });
});
