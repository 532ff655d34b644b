import { type DecimalAmountError, parseDecimalAmount } from './decimal-amount.js';

/**
 * Bank statement CSV (RFC 4180: comma-separated, fields optionally in double quotes with ""
 * for a quote, CRLF or LF line ends, an optional UTF-8 BOM). The first row names the columns,
 * in any order and case: `date` (YYYY-MM-DD), `amount` (a decimal in the currency's units,
 * negative for money going out), `currency` (ISO 4217), `reference` (the remittance text);
 * optional `counterparty` and `bank_reference` (the bank's own id of the line: a line seen
 * before is not counted twice). Other columns are ignored.
 *
 * A file is taken whole or not at all: any malformed row refuses the file, with every
 * problem listed by line number (the header is line 1).
 */
export const MAX_STATEMENT_BYTES = 5 * 1024 * 1024;
export const MAX_STATEMENT_ROWS = 50_000;

export interface StatementLine {
  /** Line number in the file (the header is 1). */
  readonly line: number;
  readonly date: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly reference: string;
  readonly counterparty: string | null;
  readonly bankReference: string | null;
}

export interface StatementProblem {
  readonly line: number;
  readonly field: string | null;
  readonly code: string;
  readonly message: string;
}

export type StatementParse = { ok: true; lines: StatementLine[] } | { ok: false; problems: StatementProblem[] };

const REQUIRED = ['date', 'amount', 'currency', 'reference'] as const;
const OPTIONAL = ['counterparty', 'bank_reference'] as const;
const AMOUNT_PROBLEM: Readonly<Record<DecimalAmountError, { field: string; code: string }>> = {
  'AMOUNT.MALFORMED': { field: 'amount', code: 'STATEMENT.BAD_AMOUNT' },
  'AMOUNT.TOO_PRECISE': { field: 'amount', code: 'STATEMENT.AMOUNT_TOO_PRECISE' },
  'AMOUNT.TOO_LARGE': { field: 'amount', code: 'STATEMENT.AMOUNT_TOO_LARGE' },
  'AMOUNT.UNKNOWN_CURRENCY': { field: 'currency', code: 'STATEMENT.UNKNOWN_CURRENCY' },
};
/** At most this many problems are listed: a wholly wrong file need not list every line. */
const MAX_PROBLEMS = 100;

export function parseBankStatement(text: string): StatementParse {
  if (Buffer.byteLength(text, 'utf8') > MAX_STATEMENT_BYTES) {
    return { ok: false, problems: [{ line: 0, field: null, code: 'STATEMENT.TOO_LARGE', message: `the file is larger than ${MAX_STATEMENT_BYTES} bytes` }] };
  }
  const rows = splitCsv(text.replace(/^\uFEFF/, ''));
  if (!rows.ok) return { ok: false, problems: [rows.problem] };
  const [header, ...body] = rows.rows;
  if (!header || (header.cells.length === 1 && header.cells[0] === '')) {
    return { ok: false, problems: [{ line: 1, field: null, code: 'STATEMENT.EMPTY', message: 'the file has no header row' }] };
  }
  if (body.length > MAX_STATEMENT_ROWS) {
    return { ok: false, problems: [{ line: 0, field: null, code: 'STATEMENT.TOO_MANY_ROWS', message: `the file has more than ${MAX_STATEMENT_ROWS} rows` }] };
  }
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const index = new Map<string, number>();
  const problems: StatementProblem[] = [];
  names.forEach((n, i) => {
    if (!(REQUIRED as readonly string[]).includes(n) && !(OPTIONAL as readonly string[]).includes(n)) return;
    if (index.has(n)) problems.push({ line: 1, field: n, code: 'STATEMENT.DUPLICATE_COLUMN', message: `the column ${n} appears twice` });
    index.set(n, i);
  });
  for (const n of REQUIRED) if (!index.has(n)) problems.push({ line: 1, field: n, code: 'STATEMENT.MISSING_COLUMN', message: `the header has no ${n} column` });
  if (problems.length) return { ok: false, problems };

  const lines: StatementLine[] = [];
  const seenBankRefs = new Map<string, number>();
  for (const row of body) {
    if (problems.length >= MAX_PROBLEMS) break;
    if (row.cells.length === 1 && row.cells[0]!.trim() === '') continue; // a blank line
    if (row.cells.length !== names.length) {
      problems.push({ line: row.line, field: null, code: 'STATEMENT.WRONG_COLUMN_COUNT', message: `${row.cells.length} fields where the header has ${names.length}` });
      continue;
    }
    const cell = (n: string) => (index.has(n) ? row.cells[index.get(n)!]!.trim() : '');
    const rowProblems: StatementProblem[] = [];
    const date = cell('date');
    if (!isCalendarDate(date)) rowProblems.push({ line: row.line, field: 'date', code: 'STATEMENT.BAD_DATE', message: `${JSON.stringify(date)} is not a date such as 2026-11-28` });
    const currency = cell('currency').toUpperCase();
    const amount = parseDecimalAmount(cell('amount'), currency);
    if (!amount.ok) rowProblems.push({ line: row.line, ...AMOUNT_PROBLEM[amount.code], message: amount.message });
    const reference = cell('reference');
    const bankReference = cell('bank_reference') || null;
    if (bankReference) {
      const first = seenBankRefs.get(bankReference);
      if (first !== undefined) {
        rowProblems.push({ line: row.line, field: 'bank_reference', code: 'STATEMENT.DUPLICATE_LINE', message: `the bank reference ${bankReference} is also on line ${first}` });
      } else {
        seenBankRefs.set(bankReference, row.line);
      }
    }
    if (rowProblems.length) {
      problems.push(...rowProblems);
      continue;
    }
    lines.push({ line: row.line, date, amountMinor: (amount as { minor: bigint }).minor, currency, reference, counterparty: cell('counterparty') || null, bankReference });
  }
  return problems.length ? { ok: false, problems: problems.slice(0, MAX_PROBLEMS) } : { ok: true, lines };
}

function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

type Rows = { ok: true; rows: { line: number; cells: string[] }[] } | { ok: false; problem: StatementProblem };

/** RFC 4180 rows with the line each starts on (a quoted field may span lines). */
function splitCsv(text: string): Rows {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let afterQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          afterQuote = true;
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field !== '' || afterQuote) return { ok: false, problem: { line, field: null, code: 'STATEMENT.BAD_QUOTE', message: 'a quote in the middle of a field' } };
      quoted = true;
    } else if (c === ',') {
      cells.push(field);
      field = '';
      afterQuote = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(field);
      rows.push({ line: rowLine, cells });
      cells = [];
      field = '';
      afterQuote = false;
      line++;
      rowLine = line;
    } else {
      if (afterQuote) return { ok: false, problem: { line, field: null, code: 'STATEMENT.BAD_QUOTE', message: 'text after a closing quote' } };
      field += c;
    }
  }
  if (quoted) return { ok: false, problem: { line: rowLine, field: null, code: 'STATEMENT.UNCLOSED_QUOTE', message: 'a quoted field is never closed' } };
  if (field !== '' || cells.length) {
    cells.push(field);
    rows.push({ line: rowLine, cells });
  }
  return { ok: true, rows };
}
