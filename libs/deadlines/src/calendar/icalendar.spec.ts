import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import ICAL from 'ical.js';
import type { Deadline } from '../domain/deadline.js';
import { CRLF, MAX_LINE_OCTETS, escapeText, eventUid, foldLine, icsDateTime, renderCalendar, unescapeText, unfold } from './icalendar.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;

function aDeadline(overrides: Partial<Deadline> = {}): Deadline {
  return {
    id: 'mandate.expiry:5b1f9f0e-8a53-4f4e-9d61-1a2b3c4d5e6f',
    kind: 'mandate.expiry',
    dueAt: new Date(NOW.getTime() + 10 * DAY),
    subject: { type: 'mandate', id: '5b1f9f0e-8a53-4f4e-9d61-1a2b3c4d5e6f' },
    orgIds: ['0c3d6f3e-0000-4000-8000-000000000001'],
    status: 'upcoming',
    title: 'Mandate on 185.0.0.0/24 expires',
    ...overrides,
  };
}

const octets = (s: string) => Buffer.byteLength(s, 'utf8');
/** The physical lines of a rendered calendar (it ends with CRLF, so the last split is empty). */
const physicalLines = (ics: string) => ics.split(CRLF).slice(0, -1);

/** What escapeText keeps of a text: line breaks become LF, other controls but HTAB go. */
const kept = (s: string) => s.replace(/\r\n|\r/g, '\n').replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');

/** Text heavy in the characters that matter here: escapes, line breaks, multi-byte ones. */
const trickyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\\', ';', ',', ':', '"', '\n', '\r', '\r\n', '\t', ' ', 'n', 'N', 'é', '€', '😀', '\u0301', '\u0000', '\u007f'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 300,
});
const anyText = fc.oneof(trickyText, fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 200 }));

describe('escapeText (RFC 5545 3.3.11)', () => {
  it.each([
    ['plain text', 'Lease ends', 'Lease ends'],
    ['a backslash', 'a\\b', 'a\\\\b'],
    ['a semicolon', 'a;b', 'a\\;b'],
    ['a comma', 'a,b', 'a\\,b'],
    ['LF', 'a\nb', 'a\\nb'],
    ['CRLF as one break', 'a\r\nb', 'a\\nb'],
    ['a lone CR', 'a\rb', 'a\\nb'],
    ['two breaks', 'a\n\nb', 'a\\n\\nb'],
    ['a colon is not escaped', 'lease.notice:abc:3', 'lease.notice:abc:3'],
    ['a double quote is not escaped', 'say "hi"', 'say "hi"'],
    ['a tab is allowed', 'a\tb', 'a\tb'],
    ['other controls are dropped', 'a\u0000b\u0007c\u001bd\u007fe', 'abcde'],
    ['a backslash before n stays two characters', '\\n', '\\\\n'],
    ['every special at once', '\\;,\n', '\\\\\\;\\,\\n'],
    ['multi-byte characters pass', 'Grüße € 😀', 'Grüße € 😀'],
    ['a lone high surrogate becomes U+FFFD', 'a\uD800b', 'a\uFFFDb'],
    ['a lone low surrogate becomes U+FFFD', 'a\uDC00b', 'a\uFFFDb'],
    ['the empty string', '', ''],
  ])('%s', (_what, input, expected) => {
    expect(escapeText(input)).toBe(expected);
  });

  it('unescapes \\N as a line break too', () => {
    expect(unescapeText('a\\Nb\\nc')).toBe('a\nb\nc');
  });

  it('round-trips: unescape(escape(s)) is s, line breaks as LF and stray controls dropped', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(unescapeText(escapeText(s))).toBe(kept(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('never leaves a bare special: every backslash starts an escape, no ; , or line break remains', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const e = escapeText(s);
        // Removing the escape pairs leaves no backslash, semicolon, comma or control but HTAB.
        expect(e.replace(/\\[\\;,n]/g, '')).not.toMatch(/[\\;,\u0000-\u0008\u000A-\u001F\u007F]/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('foldLine (RFC 5545 3.1)', () => {
  const ascii = (n: number) => 'x'.repeat(n);

  it.each([
    ['an empty line', '', ['']],
    ['75 octets stay on one line', ascii(75), [ascii(75)]],
    ['76 octets fold after 75', ascii(76), [ascii(75), ' x']],
    ['continuations hold 74 octets after the space', ascii(75 + 74 + 1), [ascii(75), ` ${ascii(74)}`, ' x']],
    ['a 2-octet character that would end at 76 moves down', `${ascii(74)}é`, [ascii(74), ' é']],
    ['a 2-octet character that ends at 75 stays', `${ascii(73)}é`, [`${ascii(73)}é`]],
    ['a 3-octet character is never split', `${ascii(73)}€x`, [ascii(73), ' €x']],
    ['a 4-octet character (a surrogate pair in JS) is never split', `${ascii(72)}😀`, [ascii(72), ' 😀']],
    ['25 three-octet characters fill a line exactly', '€'.repeat(26), ['€'.repeat(25), ' €']],
  ])('%s', (_what, line, expected) => {
    expect(foldLine(line).split(CRLF)).toEqual(expected);
  });

  it('for any line: no physical line exceeds 75 octets, none splits a character, and unfolding gives the line back', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.string({ unit: 'grapheme', maxLength: 300 })), (raw) => {
        const line = raw.replace(/[\r\n]/g, ' ');
        const folded = foldLine(line);
        const parts = folded.split(CRLF);
        for (const [i, part] of parts.entries()) {
          expect(octets(part)).toBeLessThanOrEqual(MAX_LINE_OCTETS);
          if (i > 0) expect(part.startsWith(' ')).toBe(true);
          // A JS string split inside a code point would leave half a surrogate pair at an edge,
          // which encodes as U+FFFD: the part would not survive UTF-8 and back.
          expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part);
        }
        // Folding is as late as it can be: a continuation could not have taken the next character.
        for (let i = 0; i + 1 < parts.length; i++) {
          const next = String.fromCodePoint(parts[i + 1]!.codePointAt(1)!);
          expect(octets(parts[i]!) + octets(next)).toBeGreaterThan(MAX_LINE_OCTETS);
        }
        expect(unfold(folded)).toBe(line);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('icsDateTime', () => {
  it.each([
    ['2026-03-01T12:00:00.000Z', '20260301T120000Z'],
    ['2026-12-31T23:59:59.999Z', '20261231T235959Z'],
    ['0999-01-02T03:04:05.000Z', '09990102T030405Z'],
  ])('%s is %s', (iso, expected) => {
    expect(icsDateTime(new Date(iso))).toBe(expected);
  });

  it('refuses an invalid date', () => {
    expect(() => icsDateTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('renderCalendar', () => {
  const deadlines = [
    aDeadline(),
    aDeadline({
      id: 'lease.notice:9d0c8a7e-1111-4222-8333-444455556666:3',
      kind: 'lease.notice',
      dueAt: new Date(NOW.getTime() - 2 * DAY),
      subject: { type: 'lease', id: '9d0c8a7e-1111-4222-8333-444455556666' },
      status: 'overdue',
      title: 'Notice on lease of 185.1.2.0/24; renews, unless told otherwise, on 2026-04-01',
    }),
  ];

  it('is a VCALENDAR with the required properties, CRLF only', () => {
    const ics = renderCalendar(deadlines, { name: 'Deadlines, Acme; Ltd', now: NOW });
    expect(ics.startsWith(`BEGIN:VCALENDAR${CRLF}VERSION:2.0${CRLF}`)).toBe(true);
    expect(ics.endsWith(`END:VCALENDAR${CRLF}`)).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = unfold(ics).split(CRLF);
    expect(lines).toEqual(
      expect.arrayContaining(['PRODID:-//ipv4-market//deadlines//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'X-WR-CALNAME:Deadlines\\, Acme\\; Ltd']),
    );
    for (const line of physicalLines(ics)) expect(octets(line)).toBeLessThanOrEqual(MAX_LINE_OCTETS);
  });

  it('writes one VEVENT per deadline, in order, with UID, times, category and status', () => {
    const ics = renderCalendar(deadlines, { name: 'Deadlines', now: NOW });
    const lines = unfold(ics).split(CRLF);
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('UID:'))).toEqual([
      'UID:mandate.expiry:5b1f9f0e-8a53-4f4e-9d61-1a2b3c4d5e6f@ipv4-market',
      'UID:lease.notice:9d0c8a7e-1111-4222-8333-444455556666:3@ipv4-market',
    ]);
    expect(lines.filter((l) => l.startsWith('DTSTART:'))).toEqual(['DTSTART:20260311T120000Z', 'DTSTART:20260227T120000Z']);
    expect(lines.filter((l) => l.startsWith('DTEND:'))).toEqual(['DTEND:20260311T123000Z', 'DTEND:20260227T123000Z']);
    expect(lines.filter((l) => l.startsWith('DTSTAMP:'))).toEqual(['DTSTAMP:20260301T120000Z', 'DTSTAMP:20260301T120000Z']);
    expect(lines.filter((l) => l.startsWith('CATEGORIES:'))).toEqual(['CATEGORIES:mandate.expiry', 'CATEGORIES:lease.notice']);
    expect(lines.filter((l) => l === 'STATUS:CONFIRMED')).toHaveLength(2);
    expect(lines).toContain('SUMMARY:OVERDUE: Notice on lease of 185.1.2.0/24\\; renews\\, unless told otherwise\\, on 2026-04-01 (lease.notice)');
  });

  it('keeps every UID when the time of generation and the status change', () => {
    const uids = (ics: string) => unfold(ics).split(CRLF).filter((l) => l.startsWith('UID:'));
    const first = renderCalendar(deadlines, { name: 'Deadlines', now: NOW });
    const later = renderCalendar(
      deadlines.map((d) => ({ ...d, status: 'overdue' as const })),
      { name: 'Deadlines', now: new Date(NOW.getTime() + 40 * DAY) },
    );
    expect(uids(later)).toEqual(uids(first));
    expect(eventUid(deadlines[0]!.id)).toBe(`${deadlines[0]!.id}@ipv4-market`);
  });

  it('sets only the alarms still ahead: 7 days and 1 day before, as DISPLAY', () => {
    const alarms = (dueInMs: number) => {
      const ics = renderCalendar([aDeadline({ dueAt: new Date(NOW.getTime() + dueInMs) })], { name: 'D', now: NOW });
      return unfold(ics).split(CRLF).filter((l) => l.startsWith('TRIGGER'));
    };
    expect(alarms(10 * DAY)).toEqual(['TRIGGER;RELATED=START:-P7D', 'TRIGGER;RELATED=START:-P1D']);
    expect(alarms(3 * DAY)).toEqual(['TRIGGER;RELATED=START:-P1D']);
    expect(alarms(DAY / 2)).toEqual([]);
    expect(alarms(-DAY)).toEqual([]);
    const ics = unfold(renderCalendar([aDeadline()], { name: 'D', now: NOW }));
    expect(ics.split(CRLF).filter((l) => l === 'ACTION:DISPLAY')).toHaveLength(2);
  });

  it('renders an empty calendar when there are no deadlines', () => {
    const ics = renderCalendar([], { name: 'D', now: NOW });
    expect(ics).not.toContain('BEGIN:VEVENT');
    expect(new ICAL.Component(ICAL.parse(ics)).getAllSubcomponents('vevent')).toHaveLength(0);
  });

  it('parses with ical.js back to the same texts, times and UIDs, for any titles and subjects', () => {
    const deadline = fc.record({
      title: anyText,
      subjectId: anyText,
      dueInMs: fc.integer({ min: -400 * DAY, max: 400 * DAY }),
      overdue: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(deadline, { maxLength: 4 }), anyText, (specs, name) => {
        const list = specs.map((s, i) =>
          aDeadline({
            id: `mandate.expiry:${i}`,
            title: s.title,
            subject: { type: 'mandate', id: s.subjectId },
            dueAt: new Date(NOW.getTime() + s.dueInMs),
            status: s.overdue ? 'overdue' : 'upcoming',
          }),
        );
        const ics = renderCalendar(list, { name, now: NOW });
        expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
        for (const line of physicalLines(ics)) expect(octets(line)).toBeLessThanOrEqual(MAX_LINE_OCTETS);

        const calendar = new ICAL.Component(ICAL.parse(ics));
        // RFC 5545 3.8.8.2: an X- property's default type is TEXT, but ical.js leaves the value of
        // one it does not know escaped: unescape it here.
        expect(unescapeText(String(calendar.getFirstPropertyValue('x-wr-calname')))).toBe(kept(name));
        const events = calendar.getAllSubcomponents('vevent');
        expect(events).toHaveLength(list.length);
        for (const [i, vevent] of events.entries()) {
          const d = list[i]!;
          const event = new ICAL.Event(vevent);
          expect(event.uid).toBe(`${d.id}@ipv4-market`);
          expect(event.summary).toBe(`${d.status === 'overdue' ? 'OVERDUE: ' : ''}${kept(d.title)} (mandate.expiry)`);
          expect(event.description).toContain(`Subject: mandate ${kept(d.subject.id)}`);
          expect(event.startDate.toJSDate().getTime()).toBe(Math.floor(d.dueAt.getTime() / 1000) * 1000);
          expect(event.endDate.toJSDate().getTime() - event.startDate.toJSDate().getTime()).toBe(30 * 60_000);
        }
      }),
      { numRuns: 300 },
    );
  });
});
