// ISO 8601 durations as the API uses them (P30D, PT12H, P1Y2M): years count 365 days and
// months 30, the same convention as the `within=` filters. Weeks (P2W) stand alone.
const PATTERN = /^P(?!$)(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?!$)(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Milliseconds in an ISO 8601 duration, or null when it is not one. */
export function parseIsoDuration(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = PATTERN.exec(text);
  if (!m) return null;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const ms = (y! * 365 + mo! * 30 + w! * 7 + d!) * DAY + h! * HOUR + mi! * MINUTE + s! * SECOND;
  return Number.isSafeInteger(ms) ? ms : null;
}
