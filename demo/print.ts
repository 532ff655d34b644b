/**
 * The demo's output: chapters, steps, aligned tables, money and times, written so that a
 * newcomer can read the story top to bottom. Colour only on a terminal (and never with
 * NO_COLOR), so CI logs stay plain.
 */

export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

export interface Risk {
  readonly risk: string;
  readonly bearer: string;
  readonly exposure: Money;
  readonly mitigation?: string;
  readonly status: string;
}

let colour = false;
let chapters = 0;

export function useColour(on: boolean): void {
  colour = on;
}

const paint = (code: string) => (s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint('1');
export const dim = paint('2');
export const green = paint('32');
export const red = paint('31');
export const cyan = paint('36');

const out = (line = '') => process.stdout.write(`${line}\n`);

export function banner(lines: readonly string[]): void {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  out(bold('='.repeat(width)));
  for (const l of lines) out(bold(`  ${l}`));
  out(bold('='.repeat(width)));
}

export function chapter(title: string): void {
  chapters += 1;
  out();
  out(bold(cyan(`${chapters}. ${title}`)));
  out(cyan('-'.repeat(title.length + String(chapters).length + 2)));
}

/** One thing the demo does or sees, in a sentence. */
export function step(text: string): void {
  out(`  ${green('>')} ${text}`);
}

/** A line under a step. */
export function detail(text: string): void {
  out(`      ${text}`);
}

export function note(text: string): void {
  out(`      ${dim(text)}`);
}

/** Aligned `key  value` lines. */
export function facts(pairs: readonly (readonly [string, string])[]): void {
  const width = Math.max(...pairs.map(([k]) => k.length));
  for (const [k, v] of pairs) out(`      ${dim(k.padEnd(width))}  ${v}`);
}

/** An aligned table; a row of one cell `['--']` is a separator. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  out(`      ${bold(line(headers))}`);
  out(`      ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) out(`      ${line(r)}`);
}

const formats = new Map<string, Intl.NumberFormat>();

/** USD 12,800.00 from minor units, with the currency's own number of decimals. */
export function money(m: Money): string {
  let f = formats.get(m.currency);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style: 'currency', currency: m.currency, currencyDisplay: 'code' });
    formats.set(m.currency, f);
  }
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(m.amountMinor / 10 ** digits).replace(/\u00a0/g, ' ');
}

/** 2026-12-01 10:00:00 UTC */
export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A short form of an id for tables (the full ids are printed where they are made). */
export const short = (id: string) => id.slice(0, 8);

export function success(text: string): void {
  out();
  out(bold(green(text)));
}

export function failure(lines: readonly string[]): void {
  process.stderr.write('\n');
  for (const [i, l] of lines.entries()) process.stderr.write(`${i === 0 ? red(bold(l)) : l}\n`);
}
