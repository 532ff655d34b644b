import { type Money, currencyExponent } from '@app/money';

/** A number in a CSV cell: written as it is, never guarded against formulas (a leading minus is a sign). */
export class CsvNumber {
  constructor(readonly text: string) {}
}

/** Text (guarded), a number, or nothing (an empty cell). */
export type CsvCell = string | CsvNumber | bigint | null;

/** Cells a spreadsheet would take for a formula (OWASP "CSV injection"): prefixed with a quote, so they stay text. */
const FORMULA = /^[=+\-@\t\r]/;

function cell(c: CsvCell): string {
  if (c === null) return '';
  const text = typeof c === 'bigint' ? c.toString() : c instanceof CsvNumber ? c.text : FORMULA.test(c) ? `'${c}` : c;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180: a header row, CRLF after every row, fields quoted when they hold a comma, a quote or a line break. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((r) => `${r.map(cell).join(',')}\r\n`).join('');
}

/** The amount in the currency's units with its exact minor digits, no grouping: USD 123456 -> 1234.56, JPY 5 -> 5, KWD -5 -> -0.005. */
export function decimal(m: Money): CsvNumber {
  const exponent = currencyExponent(m.currency) ?? 0;
  const negative = m.amountMinor < 0n;
  const digits = (negative ? -m.amountMinor : m.amountMinor).toString().padStart(exponent + 1, '0');
  const units = digits.slice(0, digits.length - exponent);
  return new CsvNumber(`${negative ? '-' : ''}${units}${exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : ''}`);
}

/** `attachment; filename="..."` for a name made of safe characters. */
export function attachment(fileName: string): string {
  return `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`;
}

/**
 * Whether the client asked for CSV: `format` when given, else an Accept header that ranks
 * text/csv above application/json (a tie, or no Accept, is JSON).
 */
export function wantsCsv(format: 'json' | 'csv' | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  let csv = 0;
  let json = 0;
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    const weight = Number.isFinite(q) ? q : 0;
    if (type === 'text/csv') csv = Math.max(csv, weight);
    else if (type === 'application/json') json = Math.max(json, weight);
  }
  return csv > json;
}
