import type pg from 'pg';

export interface LeaseSeed {
  readonly lesseeOrgId: string;
  /** Every block, in address order, with its first address as a number. */
  readonly blocks: readonly { id: string; listingId: string; base: number }[];
}

/** The /24 units of a /16. */
export const UNITS_PER_BLOCK = 256;

/**
 * Seeds, set-based, a holder with `blocks` verified /16 blocks (block i is 11.0.0.0 + i * 2^16:
 * 11.0.0.0 to 18.207.0.0 for 2,000, public unicast space without special-purpose ranges),
 * one active lease listing of /24 units per block (256 units, USD 0.40 per IP a month,
 * minimum term one month, listed by the holder), `commitments` live lease commitments
 * spread evenly over the blocks, each a /24 from the bottom of its block (commitment k takes
 * unit k / blocks of block k % blocks) open-ended from 30 days ago, the listings' units_free
 * counted from them, and a lessee organisation (no blocks, no listings).
 */
export async function seedLeaseListings(db: pg.Client, blocks: number, commitments: number, log: (msg: string) => void = () => undefined): Promise<LeaseSeed> {
  // 20,000 /16s end at 89.31.255.255, below 100.64.0.0/10 (shared address space).
  if (blocks < 1 || blocks > 20_000) throw new Error('BENCH_BLOCKS must be between 1 and 20000');
  if (Math.ceil(commitments / blocks) > UNITS_PER_BLOCK / 2) throw new Error('leave at least half of every block free: fewer commitments or more blocks');
  const step = async <R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []) => {
    const started = Date.now();
    const result = await db.query<R>(sql, params);
    log(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result.rows;
  };
  await db.query(`SET synchronous_commit = off; SET maintenance_work_mem = '512MB'`);
  const orgs = await step<{ id: string; name: string }>(
    'organisations',
    `INSERT INTO organisations (name) VALUES ('bench-holder'), ('bench-lessee') RETURNING id, name`,
  );
  const holder = orgs.find((o) => o.name === 'bench-holder')!.id;
  const lessee = orgs.find((o) => o.name === 'bench-lessee')!.id;
  await step(
    `${blocks} verified /16 blocks`,
    `CREATE TEMP TABLE bench_rirs (n int, rir text, country text);
     INSERT INTO bench_rirs VALUES (0, 'ARIN', 'US'), (1, 'RIPE', 'DE'), (2, 'APNIC', 'JP'), (3, 'LACNIC', 'BR'), (4, 'AFRINIC', 'ZA');
     CREATE TEMP TABLE bench_blocks AS
       SELECT i AS n, gen_random_uuid() AS id, network(set_masklen('11.0.0.0'::inet + i * 65536, 16))::cidr AS prefix, r.rir, r.country
         FROM generate_series(0::bigint, ${blocks}::bigint - 1) i JOIN bench_rirs r ON r.n = i % 5;
     INSERT INTO blocks (id, holder_org_id, prefix, rir, status, country, registered_at, verified_at, created_at)
       SELECT id, '${holder}', prefix, rir, 'verified', country, now() - interval '10 years', now() - interval '1 day', now() - interval '3 years'
         FROM bench_blocks`,
  );
  await step(
    `${blocks} lease listings`,
    `INSERT INTO listings (block_id, lister_org_id, holder_org_id, listed_as, kind, status, prefix, rir, country,
                           price_minor, currency, unit_prefix_length, min_term_months, units_total, units_free, created_at, updated_at)
     SELECT id, '${holder}', '${holder}', 'holder', 'lease', 'active', prefix, rir, country,
            40, 'USD', 24, 1, ${UNITS_PER_BLOCK}, ${UNITS_PER_BLOCK}, date_trunc('milliseconds', now() - interval '1 day') - n * interval '1 second', now()
       FROM bench_blocks`,
  );
  await step(
    `${commitments} live commitments`,
    `INSERT INTO space_commitments (block_id, prefix, period, kind, reference, created_at)
     SELECT b.id, set_masklen(b.prefix + (k / ${blocks}) * 256, 24)::cidr, tstzrange(now() - interval '30 days', NULL, '[)'),
            'lease', gen_random_uuid(), now() - interval '30 days'
       FROM generate_series(0::bigint, ${commitments}::bigint - 1) k JOIN bench_blocks b ON b.n = k % ${blocks}`,
  );
  await step(
    'units free',
    `UPDATE listings l SET units_free = ${UNITS_PER_BLOCK} - c.n
       FROM (SELECT block_id, count(*)::int AS n FROM space_commitments WHERE released_at IS NULL GROUP BY block_id) c
      WHERE c.block_id = l.block_id`,
  );
  await step('analyze', 'ANALYZE');
  const rows = await db.query<{ id: string; listing_id: string; base: string }>(
    `SELECT b.id, l.id AS listing_id, (b.prefix - '0.0.0.0'::inet)::text AS base FROM blocks b JOIN listings l ON l.block_id = b.id ORDER BY b.prefix`,
  );
  return { lesseeOrgId: lessee, blocks: rows.rows.map((r) => ({ id: r.id, listingId: r.listing_id, base: Number(r.base) })) };
}
