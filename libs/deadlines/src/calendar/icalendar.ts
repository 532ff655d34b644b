/**
 * Deadlines as an iCalendar (RFC 5545) feed, for calendar apps that subscribe to a URL.
 * Pure: the caller passes the deadlines and the time of generation.
 *
 * Invariants a subscribing app relies on:
 * - an event's UID depends only on its deadline's id, so a refetch updates the event in place
 *   (DTSTAMP, SUMMARY and the alarms may change between fetches; the UID never does);
 * - every line ends with CRLF and holds at most 75 octets of UTF-8 (longer ones are folded,
 *   never inside a multi-byte character).
 */
import { DEADLINE_KINDS, type Deadline } from '../domain/deadline.js';

export const CRLF = '\r\n';
/** RFC 5545 3.1: "Lines of text SHOULD NOT be longer than 75 octets, excluding the line break." */
export const MAX_LINE_OCTETS = 75;
export const PRODID = '-//ipv4-market//deadlines//EN';
/** The domain part of every UID (RFC 5545 3.8.4.7 recommends a globally unique right-hand side). */
export const UID_DOMAIN = 'ipv4-market';
/** How long an event lasts in the calendar: a deadline is an instant, shown as a short slot. */
export const EVENT_MINUTES = 30;
/** Reminders before each deadline, widest first (RFC 5545 durations). */
export const ALARMS = [
  { trigger: '-P7D', beforeMs: 7 * 86_400_000, label: 'in 7 days' },
  { trigger: '-P1D', beforeMs: 86_400_000, label: 'tomorrow' },
] as const;
/** How often a subscribed app should refetch (RFC 7986 REFRESH-INTERVAL, and its older X- twin). */
export const REFRESH_INTERVAL = 'PT1H';

export interface CalendarOptions {
  /** The calendar's display name (X-WR-CALNAME). */
  readonly name: string;
  /** When the feed is generated: every DTSTAMP, and which alarms are still ahead. */
  readonly now: Date;
}

/** The whole VCALENDAR, CRLF line endings included. */
export function renderCalendar(deadlines: readonly Deadline[], o: CalendarOptions): string {
  const lines: string[] = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${PRODID}`,
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(o.name)}`,
    `X-WR-CALDESC:${escapeText('Deadlines of the IPv4 marketplace: leases, RIR fees, ROAs, escrows, transfers, mandates')}`,
    `REFRESH-INTERVAL;VALUE=DURATION:${REFRESH_INTERVAL}`,
    `X-PUBLISHED-TTL:${REFRESH_INTERVAL}`,
    ...deadlines.flatMap((d) => eventLines(d, o.now)),
    'END:VCALENDAR',
  ];
  return lines.map((line) => foldLine(line) + CRLF).join('');
}

/** A deadline's UID: stable across fetches because it is made of the deadline's id alone. */
export function eventUid(deadlineId: string): string {
  return `${deadlineId}@${UID_DOMAIN}`;
}

function eventLines(d: Deadline, now: Date): string[] {
  const start = d.dueAt;
  const end = new Date(start.getTime() + EVENT_MINUTES * 60_000);
  const summary = `${d.status === 'overdue' ? 'OVERDUE: ' : ''}${d.title} (${d.kind})`;
  const description = [
    d.title,
    DEADLINE_KINDS[d.kind],
    `Kind: ${d.kind}`,
    `Status: ${d.status}`,
    `Due: ${start.toISOString()}`,
    `Subject: ${d.subject.type} ${d.subject.id}`,
    `Deadline: ${d.id}`,
  ].join('\n');
  const alarms = ALARMS.filter((a) => start.getTime() - a.beforeMs > now.getTime()).flatMap((a) => [
    'BEGIN:VALARM',
    'ACTION:DISPLAY',
    `TRIGGER;RELATED=START:${a.trigger}`,
    `DESCRIPTION:${escapeText(`${d.title} (${a.label})`)}`,
    'END:VALARM',
  ]);
  return [
    'BEGIN:VEVENT',
    `UID:${escapeText(eventUid(d.id))}`,
    `DTSTAMP:${icsDateTime(now)}`,
    `DTSTART:${icsDateTime(start)}`,
    `DTEND:${icsDateTime(end)}`,
    `SUMMARY:${escapeText(summary)}`,
    `DESCRIPTION:${escapeText(description)}`,
    `CATEGORIES:${escapeText(d.kind)}`,
    'STATUS:CONFIRMED',
    // A deadline does not make anyone busy: free/busy lookups ignore it.
    'TRANSP:TRANSPARENT',
    ...alarms,
    'END:VEVENT',
  ];
}

/** A UTC DATE-TIME (RFC 5545 3.3.5, form #2): `YYYYMMDDTHHMMSSZ`, milliseconds dropped. */
export function icsDateTime(d: Date): string {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('icsDateTime: invalid date');
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`icsDateTime: year ${year} does not fit four digits`);
  const p = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${p(year, 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
  );
}

// Lone UTF-16 surrogates cannot be encoded in UTF-8: they become U+FFFD, as TextEncoder does.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// CONTROL characters other than HTAB have no place in a TEXT value (RFC 5545 3.3.11 TSAFE-CHAR);
// line breaks are handled before this, as the escape \n.
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000A-\u001F\u007F]/g;

/**
 * A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma are escaped with a
 * backslash; a line break (CRLF, LF or CR) becomes `\n`. Other control characters are dropped
 * (the grammar does not allow them, escaped or not), and lone surrogates become U+FFFD.
 */
export function escapeText(value: string): string {
  return value
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(FORBIDDEN_CONTROL, '');
}

/** The inverse of escapeText for the values it produces (and `\N`, which RFC 5545 allows too). */
export function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** UTF-8 length of one code point. */
function octets(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * Folds one content line (RFC 5545 3.1) into physical lines of at most 75 octets each,
 * joined by CRLF and one space; the space counts toward the next line's 75. Breaks fall
 * between code points only, so no UTF-8 sequence is ever split. No trailing CRLF.
 */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of line.replace(LONE_SURROGATE, '\uFFFD')) {
    const size = octets(ch.codePointAt(0)!);
    if (used + size > MAX_LINE_OCTETS) {
      parts.push(current);
      current = ' ';
      used = 1;
    }
    current += ch;
    used += size;
  }
  parts.push(current);
  return parts.join(CRLF);
}

/** The inverse of folding (RFC 5545 3.1): a CRLF followed by one space or tab is removed. */
export function unfold(text: string): string {
  return text.replace(/\r\n[ \t]/g, '');
}
