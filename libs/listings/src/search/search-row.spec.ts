import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type SearchRow, pgTimestampToIso, toSearchView } from './search-row.js';
import { type ListingRow, toListingView } from '../listing-row.js';

/** PostgreSQL's text form of a timestamptz in a UTC session: trailing zeros of the fraction dropped. */
function pgUtcText(d: Date): string {
  const iso = d.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}+00`;
}

const dates = fc.date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });

describe('pgTimestampToIso', () => {
  it('gives what Date#toISOString gives, for any millisecond time PostgreSQL writes in UTC', () => {
    fc.assert(fc.property(dates, (d) => expect(pgTimestampToIso(pgUtcText(d))).toBe(d.toISOString())));
  });

  it.each([
    ['2026-05-01 12:34:56+00', '2026-05-01T12:34:56.000Z'],
    ['2026-05-01 12:34:56.5+00', '2026-05-01T12:34:56.500Z'],
    ['2026-05-01 12:34:56.123456+00', '2026-05-01T12:34:56.123Z'],
    ['2026-05-01 14:34:56.78+02', '2026-05-01T12:34:56.780Z'],
    ['2026-05-01 18:04:56.78+05:30', '2026-05-01T12:34:56.780Z'],
    ['2026-05-01 07:34:56-05', '2026-05-01T12:34:56.000Z'],
  ])('%s -> %s', (text, iso) => {
    expect(pgTimestampToIso(text)).toBe(iso);
  });

  it('refuses text that is no time', () => {
    expect(() => pgTimestampToIso('yesterday')).toThrow('unreadable timestamptz');
  });
});

describe('toSearchView', () => {
  it('renders an active listing exactly as toListingView does', () => {
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.constantFrom('lease' as const, 'sale' as const),
          broker: fc.boolean(),
          created: dates,
          updated: dates,
          expires: dates,
          price: fc.integer({ min: 1, max: 1_000_000_000 }),
          country: fc.constantFrom('DE', null),
        }),
        (r) => {
          const row: ListingRow = {
            id: '0be2d419-1f63-4421-a2cf-ad8fced727e7',
            block_id: 'a8afaed1-042e-4ebb-8f92-df9b837dbadf',
            lister_org_id: 'ef197064-1c05-4843-83ed-0239a4949f14',
            holder_org_id: '4b12c670-f99d-44dd-8266-eda3be9660f3',
            listed_as: r.broker ? 'broker' : 'holder',
            mandate_id: r.broker ? 'd4bb232c-f6b8-4500-b048-3d06ef4e6884' : null,
            mandate_expires_at: r.broker ? r.expires : null,
            kind: r.kind,
            status: 'active',
            prefix: '71.68.88.0/22',
            rir: 'RIPE',
            country: r.country,
            price_minor: BigInt(r.price),
            currency: 'EUR',
            unit_prefix_length: r.kind === 'lease' ? 24 : 22,
            min_term_months: r.kind === 'lease' ? 12 : null,
            units_total: r.kind === 'lease' ? 4 : 1,
            units_free: r.kind === 'lease' ? 3 : 1,
            created_at: r.created,
            updated_at: r.updated,
            ended_at: null,
            end_reason: null,
          };
          const searched: SearchRow = {
            ...row,
            price_minor: r.price,
            mandate_expires_at: r.broker ? pgUtcText(r.expires) : null,
            created_at: pgUtcText(r.created),
            updated_at: pgUtcText(r.updated),
          };
          expect(toSearchView(searched)).toEqual(toListingView(row));
          expect(JSON.stringify(toSearchView(searched))).toBe(JSON.stringify(toListingView(row)));
        },
      ),
    );
  });
});
