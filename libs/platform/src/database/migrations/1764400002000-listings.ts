import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lease and sale offers on verified blocks. Everything search filters on is copied onto the
 * listing row (prefix, RIR, country, the price, the unit size, units free, the mandate's
 * expiry), so that a search reads one table through one index. Hand-written SQL, reviewed;
 * never generated.
 */
export class Listings1764400002000 implements MigrationInterface {
  name = 'Listings1764400002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE listings (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        block_id           uuid NOT NULL REFERENCES blocks (id),
        -- who offers the space: the holder itself, or a broker under a mandate.
        lister_org_id      uuid NOT NULL REFERENCES organisations (id),
        holder_org_id      uuid NOT NULL REFERENCES organisations (id),
        listed_as          text NOT NULL CHECK (listed_as IN ('holder', 'broker')),
        -- the broker's mandate and its expiry when listed (search hides a listing whose
        -- mandate expired even before the mandate-ended job withdraws it).
        mandate_id         uuid REFERENCES mandates (id),
        mandate_expires_at timestamptz,
        kind               text NOT NULL CHECK (kind IN ('lease', 'sale')),
        status             text NOT NULL CHECK (status IN ('active', 'paused', 'withdrawn', 'closed')),
        -- copies of the block's, taken when listed (a block's prefix and RIR never change).
        prefix             cidr NOT NULL CHECK (family(prefix) = 4 AND masklen(prefix) BETWEEN 8 AND 24),
        rir                text NOT NULL CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        country            text CHECK (country ~ '^[A-Z]{2}$'),
        -- lease: price per IP address per month; sale: ask per IP address. Minor units, at
        -- most the money context's MAX_AMOUNT_MINOR (10^15), so a JSON number holds it exactly.
        price_minor        bigint NOT NULL CHECK (price_minor BETWEEN 1 AND 1000000000000000),
        currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        -- lease: the size of the unit a lessee takes; sale: the whole block (one unit).
        unit_prefix_length smallint NOT NULL CHECK (unit_prefix_length BETWEEN masklen(prefix) AND 24),
        min_term_months    smallint CHECK (min_term_months BETWEEN 1 AND 120),
        units_total        integer NOT NULL CHECK (units_total = 1 << (unit_prefix_length - masklen(prefix))),
        -- Units not committed to anyone now. Equal to units_total until the leases context
        -- exists; it keeps this column up to date from its space commitments, in the same
        -- transaction as each commitment, so that search filters on it without a join.
        units_free         integer NOT NULL CHECK (units_free BETWEEN 0 AND units_total),
        -- millisecond precision, so that the pagination cursor (an ISO 8601 time) names it exactly.
        created_at         timestamptz NOT NULL CHECK (created_at = date_trunc('milliseconds', created_at)),
        updated_at         timestamptz NOT NULL,
        -- when and why the listing left the market (withdrawn or closed).
        ended_at           timestamptz,
        end_reason         text,
        CHECK ((listed_as = 'broker') = (mandate_id IS NOT NULL)),
        CHECK ((mandate_id IS NULL) = (mandate_expires_at IS NULL)),
        CHECK ((kind = 'lease') = (min_term_months IS NOT NULL)),
        CHECK (kind = 'lease' OR unit_prefix_length = masklen(prefix)),
        CHECK ((status IN ('withdrawn', 'closed')) = (ended_at IS NOT NULL))
      );

      -- One open (active or paused) listing per block, kind and lister.
      CREATE UNIQUE INDEX listings_one_open ON listings (block_id, kind, lister_org_id)
        WHERE status IN ('active', 'paused');
      -- The mandate-ended job withdraws what was listed under a mandate.
      CREATE INDEX listings_mandate ON listings (mandate_id) WHERE status IN ('active', 'paused');
      CREATE INDEX listings_lister ON listings (lister_org_id, created_at DESC, id DESC);

      -- Search: active listings, newest first. A page walks one of these in (created_at, id)
      -- order, led by an equality filter when there is one, and stops after limit + 1 rows
      -- that pass the other filters; the planner picks the index that fits the filters given.
      -- (Columns INCLUDEd for filtering would not help: a plain index scan checks them on the
      -- heap row anyway, and they would bloat the indexes and rule out HOT updates of
      -- units_free. Measured on a million listings: same speed, a third of the size.)
      CREATE INDEX listings_search ON listings (created_at DESC, id DESC) WHERE status = 'active';
      CREATE INDEX listings_search_rir ON listings (rir, created_at DESC, id DESC) WHERE status = 'active';
      CREATE INDEX listings_search_country ON listings (country, created_at DESC, id DESC) WHERE status = 'active';
      -- maxPricePerIpMinor always comes with a currency.
      CREATE INDEX listings_search_currency ON listings (currency, created_at DESC, id DESC) WHERE status = 'active';
      -- A low price cap selects few rows: found by price, then sorted.
      CREATE INDEX listings_search_price ON listings (currency, kind, price_minor) WHERE status = 'active';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE listings');
  }
}
