import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type ListingFilter, searchQuery } from './search-query.js';

const NOW = new Date('2026-05-01T12:00:00.000Z');

/** Each filter's predicate, as the query must write it (the placeholder number aside). */
const PREDICATES: Record<keyof ListingFilter, RegExp> = {
  kind: /kind = \$\d+/,
  rir: /rir = \$\d+/,
  country: /country = \$\d+/,
  currency: /currency = \$\d+/,
  maxPricePerIpMinor: /price_minor <= \$\d+::bigint/,
  minUnitPrefixLength: /unit_prefix_length >= \$\d+::smallint/,
  minFreeUnits: /units_free >= \$\d+::integer/,
};

const filters = fc.record(
  {
    kind: fc.constantFrom('lease' as const, 'sale' as const),
    rir: fc.constantFrom('ARIN' as const, 'RIPE' as const, 'APNIC' as const, 'LACNIC' as const, 'AFRINIC' as const),
    country: fc.constantFrom('DE', 'US', 'JP'),
    currency: fc.constantFrom('USD', 'EUR'),
    maxPricePerIpMinor: fc.bigInt({ min: 1n, max: 10n ** 15n }),
    minUnitPrefixLength: fc.integer({ min: 8, max: 24 }),
    minFreeUnits: fc.integer({ min: 0, max: 65536 }),
  },
  { requiredKeys: [] },
);

describe('searchQuery', () => {
  it('asks for active listings under a live authority, newest first, one row more than the page', () => {
    const q = searchQuery({}, NOW, null, 50);
    expect(q.text).toMatch(/WHERE status = 'active' AND \(mandate_expires_at IS NULL OR mandate_expires_at > \$1::timestamptz\)/);
    expect(q.text).toMatch(/ORDER BY created_at DESC, id DESC LIMIT \$2$/);
    expect(q.values).toEqual([NOW.toISOString(), 51]);
  });

  it('writes exactly the filters given, each bound to its own value', () => {
    fc.assert(
      fc.property(filters, (f) => {
        const q = searchQuery(f, NOW, null, 10);
        for (const [key, pattern] of Object.entries(PREDICATES) as [keyof ListingFilter, RegExp][]) {
          const given = f[key] !== undefined;
          expect({ key, present: pattern.test(q.text) }).toEqual({ key, present: given });
          if (given) {
            const n = Number(pattern.exec(q.text)![0].match(/\$(\d+)/)![1]);
            const expected = typeof f[key] === 'bigint' ? f[key].toString() : f[key];
            expect(q.values[n - 1]).toEqual(expected);
          }
        }
        const placeholders = [...q.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
        expect(new Set(placeholders).size).toBe(q.values.length);
        expect(Math.max(...placeholders)).toBe(q.values.length);
      }),
    );
  });

  it('starts strictly after the cursor in (created_at, id) order', () => {
    const q = searchQuery({ kind: 'lease' }, NOW, { createdAt: '2026-01-02T03:04:05.678Z', id: '8a1c1f52-0b5e-4a9e-9d59-3f6f2d1b7c10' }, 5);
    expect(q.text).toMatch(/\(created_at, id\) < \(\$3::timestamptz, \$4::uuid\)/);
    expect(q.values).toEqual([NOW.toISOString(), 'lease', '2026-01-02T03:04:05.678Z', '8a1c1f52-0b5e-4a9e-9d59-3f6f2d1b7c10', 6]);
  });

  it('names the statement by its shape: the same name for the same filters given, whatever their values', () => {
    const a = searchQuery({ kind: 'lease', currency: 'USD', maxPricePerIpMinor: 5n }, NOW, null, 50);
    const b = searchQuery({ kind: 'sale', currency: 'EUR', maxPricePerIpMinor: 900n }, new Date(0), null, 10);
    expect(a.name).toBe(b.name);
    expect(a.text).toBe(b.text);
    const names = new Set(
      [{}, { kind: 'lease' as const }, { rir: 'RIPE' as const }, { kind: 'lease' as const, rir: 'RIPE' as const }].flatMap((f) => [
        searchQuery(f, NOW, null, 50).name,
        searchQuery(f, NOW, { createdAt: NOW.toISOString(), id: '8a1c1f52-0b5e-4a9e-9d59-3f6f2d1b7c10' }, 50).name,
      ]),
    );
    expect(names.size).toBe(8);
  });

  it('gives one text per name, across random filters', () => {
    const texts = new Map<string, string>();
    fc.assert(
      fc.property(filters, fc.boolean(), (f, paged) => {
        const q = searchQuery(f, NOW, paged ? { createdAt: NOW.toISOString(), id: '8a1c1f52-0b5e-4a9e-9d59-3f6f2d1b7c10' } : null, 20);
        expect(texts.get(q.name) ?? q.text).toBe(q.text);
        texts.set(q.name, q.text);
      }),
    );
  });

  it('never puts a value into the SQL text', () => {
    const q = searchQuery({ country: "DE' OR 1=1 --" as string, currency: 'USD' }, NOW, null, 1);
    expect(q.text).not.toContain("DE'");
    expect(q.values).toContain("DE' OR 1=1 --");
  });
});
