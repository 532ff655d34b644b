import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { MAX_STATEMENT_BYTES, parseBankStatement } from './bank-statement.js';

const HEADER = 'date,amount,currency,reference,counterparty,bank_reference';

describe('parseBankStatement', () => {
  it('reads rows by header name, in any column order, with quotes, CRLF and a BOM', () => {
    const csv =
      '\uFEFFCurrency,Reference,Amount,Date,Bank_Reference,Extra\r\n' +
      'USD,"IPV4M-0000-0000-0, invoice ""7""",1250.00,2026-11-27,B1,x\r\n' +
      'EUR,"two\nlines",-30.5,2026-11-28,B2,y\r\n' +
      '\r\n';
    const parsed = parseBankStatement(csv);
    expect(parsed).toEqual({
      ok: true,
      lines: [
        { line: 2, date: '2026-11-27', amountMinor: 125000n, currency: 'USD', reference: 'IPV4M-0000-0000-0, invoice "7"', counterparty: null, bankReference: 'B1' },
        { line: 3, date: '2026-11-28', amountMinor: -3050n, currency: 'EUR', reference: 'two\nlines', counterparty: null, bankReference: 'B2' },
      ],
    });
  });

  it('refuses the whole file, listing every bad row by line number', () => {
    const csv = [
      HEADER,
      '2026-11-27,100.00,USD,REF1,Acme,A1',
      '2026-02-30,100.00,USD,REF2,Acme,A2',
      '2026-11-27,1,000.00,USD,REF3,Acme,A3',
      '2026-11-27,12.345,USD,REF4,Acme,A4',
      '2026-11-27,10.00,XYZ,REF5,Acme,A5',
      '2026-11-27,10.00,USD,REF6,Acme,A1',
      '2026-11-27,abc,USD,REF7,Acme,A7',
    ].join('\n');
    const parsed = parseBankStatement(csv);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((p) => [p.line, p.field, p.code])).toEqual([
      [3, 'date', 'STATEMENT.BAD_DATE'],
      [4, null, 'STATEMENT.WRONG_COLUMN_COUNT'],
      [5, 'amount', 'STATEMENT.AMOUNT_TOO_PRECISE'],
      [6, 'currency', 'STATEMENT.UNKNOWN_CURRENCY'],
      [7, 'bank_reference', 'STATEMENT.DUPLICATE_LINE'],
      [8, 'amount', 'STATEMENT.BAD_AMOUNT'],
    ]);
    expect(parsed.problems[4]!.message).toContain('line 2');
  });

  it.each([
    ['', 'STATEMENT.EMPTY'],
    ['date,amount,currency\n2026-11-27,1,USD', 'STATEMENT.MISSING_COLUMN'],
    ['date,amount,currency,reference,amount\n', 'STATEMENT.DUPLICATE_COLUMN'],
    [`${HEADER}\n2026-11-27,1.00,USD,"REF,1,,`, 'STATEMENT.UNCLOSED_QUOTE'],
    [`${HEADER}\n2026-11-27,1.00,USD,R"EF,,`, 'STATEMENT.BAD_QUOTE'],
    [`${HEADER}\n2026-11-27,1.00,USD,"REF"x,,`, 'STATEMENT.BAD_QUOTE'],
  ])('refuses %p: %s', (csv, code) => {
    const parsed = parseBankStatement(csv);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((p) => p.code)).toContain(code);
  });

  it('refuses a file over the size limit before reading it', () => {
    const parsed = parseBankStatement(`${HEADER}\n${'x'.repeat(MAX_STATEMENT_BYTES)}`);
    expect(parsed).toMatchObject({ ok: false, problems: [{ code: 'STATEMENT.TOO_LARGE' }] });
  });

  it('reads back any set of rows written with RFC 4180 quoting', () => {
    const text = fc.string({ maxLength: 30 }).filter((s) => !s.includes('\r'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), text, text), { maxLength: 20 }), (rows) => {
        const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
        const money = (m: bigint) => `${m < 0n ? '-' : ''}${(m < 0n ? -m : m) / 100n}.${((m < 0n ? -m : m) % 100n).toString().padStart(2, '0')}`;
        const csv = [HEADER, ...rows.map(([m, ref, who], i) => `2026-01-01,${money(m)},USD,${quote(ref)},${quote(who)},L${i}`)].join('\n');
        const parsed = parseBankStatement(csv);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.lines.map((l) => [l.amountMinor, l.reference, l.counterparty])).toEqual(
          rows.map(([m, ref, who]) => [m, ref.trim(), who.trim() || null]),
        );
      }),
    );
  });
});
