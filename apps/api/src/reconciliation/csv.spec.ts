import { describe, expect, it } from '@jest/globals';
import { CsvNumber, decimal, toCsv, wantsCsv } from './csv.js';

describe('toCsv', () => {
  it('ends every row with CRLF and quotes commas, quotes and line breaks', () => {
    expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['line\nbreak', null]])).toBe('a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",\r\n');
  });

  it('keeps text that a spreadsheet would run as a formula as text, and numbers as they are', () => {
    expect(toCsv(['c'], [['=1+1'], ['+1'], ['-1'], ['@SUM(A1)'], [new CsvNumber('-1.50')], [-7n]])).toBe("c\r\n'=1+1\r\n'+1\r\n'-1\r\n'@SUM(A1)\r\n-1.50\r\n-7\r\n");
  });
});

describe('decimal', () => {
  it.each([
    [123456n, 'USD', '1234.56'],
    [-5n, 'USD', '-0.05'],
    [0n, 'USD', '0.00'],
    [1235n, 'JPY', '1235'],
    [-5n, 'KWD', '-0.005'],
  ])('%s %s is %s', (amountMinor, currency, text) => {
    expect(decimal({ amountMinor, currency }).text).toBe(text);
  });
});

describe('wantsCsv', () => {
  it.each([
    ['csv', 'application/json', true],
    ['json', 'text/csv', false],
    [undefined, 'text/csv', true],
    [undefined, 'text/csv;q=0.5, application/json', false],
    [undefined, 'application/json, text/csv', false],
    [undefined, '*/*', false],
    [undefined, undefined, false],
  ] as const)('format %s, Accept %s: %s', (format, accept, csv) => {
    expect(wantsCsv(format, accept)).toBe(csv);
  });
});
