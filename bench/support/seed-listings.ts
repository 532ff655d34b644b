import type pg from 'pg';

/**
 * Seeds `n` verified blocks and one listing per block, set-based (generate_series), in a
 * bench database. Block i is the i-th /22 counted from 11.0.0.0 (up to 75.0.0.0 for a
 * million: public unicast space without special-purpose ranges), holding a /22, /23 or
 * /24 at the slot's start, so that no two overlap. Distributions (fixed seed):
 * RIR 30/30/20/10/10 with six countries each; 70 % lease, 30 % sale; 90 % active, 5 %
 * paused, 5 % withdrawn; 75 % USD, 20 % EUR, 5 % GBP; a tenth listed by a broker under a
 * mandate, a tenth of those mandates expired (still active, hidden by search);
 * created over the last two years.
 */
export async function seedListings(db: pg.Client, n: number, orgs = 2000, log: (msg: string) => void = () => undefined): Promise<void> {
  const step = async (what: string, sql: string, params: unknown[] = []) => {
    const started = Date.now();
    await db.query(sql, params);
    log(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
  await db.query(`SET synchronous_commit = off; SET maintenance_work_mem = '512MB'; SELECT setseed(0.42)`);
  await step(
    'organisations',
    `CREATE TEMP TABLE bench_orgs AS
       WITH ins AS (INSERT INTO organisations (name) SELECT 'bench-org-' || g FROM generate_series(1, $1::int) g RETURNING id)
       SELECT row_number() OVER () - 1 AS n, id FROM ins`,
    [orgs],
  );
  await db.query(`
    CREATE TEMP TABLE bench_rirs (n int, rir text, countries text[]);
    INSERT INTO bench_rirs VALUES (0, 'ARIN', '{US,US,US,CA,CA,PR}'), (1, 'RIPE', '{DE,GB,NL,FR,SE,PL}'),
      (2, 'APNIC', '{JP,CN,AU,IN,SG,KR}'), (3, 'LACNIC', '{BR,AR,MX,CL,CO,PE}'), (4, 'AFRINIC', '{ZA,NG,KE,EG,MA,GH}');
  `);
  await step(
    `${n} verified blocks`,
    `INSERT INTO blocks (id, holder_org_id, prefix, rir, status, country, registered_at, verified_at, created_at)
     SELECT gen_random_uuid(), o.id, network(set_masklen('11.0.0.0'::inet + i * 1024, 22 + (i % 3)::int)), r.rir, 'verified',
            r.countries[1 + floor(random() * 6)::int], now() - interval '10 years', now(), now() - interval '3 years'
       FROM generate_series(0::bigint, $1::bigint - 1) i
       JOIN bench_orgs o ON o.n = i % $2
       JOIN bench_rirs r ON r.n = CASE WHEN i % 10 < 3 THEN 0 WHEN i % 10 < 6 THEN 1 WHEN i % 10 < 8 THEN 2 WHEN i % 10 < 9 THEN 3 ELSE 4 END`,
    [n, orgs],
  );
  await step(
    'random draws',
    `CREATE TEMP TABLE bench_blocks AS
       SELECT b.id, b.holder_org_id, o.n AS holder_n, b.prefix, b.rir, b.country,
              random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6
         FROM blocks b JOIN bench_orgs o ON o.id = b.holder_org_id`,
  );
  await step(
    'mandates',
    `CREATE TEMP TABLE bench_mandates AS
       SELECT gen_random_uuid() AS id, bb.id AS block_id, bb.holder_org_id, o.id AS broker_org_id,
              CASE WHEN bb.r5 < 0.1 THEN now() - interval '1 day' * (1 + bb.r4 * 30) ELSE now() + interval '1 day' * (30 + bb.r4 * 300) END AS expires_at
         FROM bench_blocks bb JOIN bench_orgs o ON o.n = (bb.holder_n + 1 + floor(bb.r6 * ${orgs - 1})::int) % ${orgs}
        WHERE bb.r1 < 0.1;
     INSERT INTO mandates (id, block_id, broker_org_id, granted_by_org_id, expires_at, created_at)
       SELECT id, block_id, broker_org_id, holder_org_id, expires_at, now() - interval '400 days' FROM bench_mandates`,
  );
  // Faster to build the indexes once, after the rows, than to maintain them row by row.
  const { rows: indexes } = await db.query<{ name: string; def: string }>(
    `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'listings'::regclass AND NOT indisprimary`,
  );
  for (const ix of indexes) await db.query(`DROP INDEX ${ix.name}`);
  // The rows are consistent by construction; skipping the per-row foreign-key triggers
  // (superuser only) makes the seed several times faster. The constraints stay in place.
  await db.query(`SET session_replication_role = replica`);
  await step(
    `${n} listings`,
    `INSERT INTO listings (block_id, lister_org_id, holder_org_id, listed_as, mandate_id, mandate_expires_at, kind, status, prefix, rir, country,
                           price_minor, currency, unit_prefix_length, min_term_months, units_total, units_free, created_at, updated_at, ended_at, end_reason)
     SELECT x.id, coalesce(m.broker_org_id, x.holder_org_id), x.holder_org_id, CASE WHEN m.id IS NULL THEN 'holder' ELSE 'broker' END, m.id, m.expires_at,
            x.kind, x.status, x.prefix, x.rir, x.country,
            CASE WHEN x.kind = 'lease' THEN 30 + floor(x.r3 * 91)::int ELSE 2500 + floor(x.r3 * 3501)::int END,
            CASE WHEN x.r4 < 0.75 THEN 'USD' WHEN x.r4 < 0.95 THEN 'EUR' ELSE 'GBP' END,
            x.unit_len, CASE WHEN x.kind = 'lease' THEN 1 + floor(x.r5 * 4)::int * 12 END,
            1 << (x.unit_len - masklen(x.prefix)), floor((1 << (x.unit_len - masklen(x.prefix))) * x.r6 + 0.5)::int,
            x.created_at, x.created_at,
            CASE WHEN x.status = 'withdrawn' THEN x.created_at + interval '1 day' END,
            CASE WHEN x.status = 'withdrawn' THEN 'withdraw by lister' END
       FROM (SELECT bb.*,
                    CASE WHEN bb.r2 < 0.7 THEN 'lease' ELSE 'sale' END AS kind,
                    CASE WHEN bb.r5 < 0.9 THEN 'active' WHEN bb.r5 < 0.95 THEN 'paused' ELSE 'withdrawn' END AS status,
                    CASE WHEN bb.r2 < 0.7 THEN masklen(bb.prefix) + floor((25 - masklen(bb.prefix)) * bb.r3)::int ELSE masklen(bb.prefix) END AS unit_len,
                    date_trunc('milliseconds', now() - interval '730 days' * random()) AS created_at
               FROM bench_blocks bb) x
       LEFT JOIN bench_mandates m ON m.block_id = x.id`,
  );
  await db.query(`SET session_replication_role = origin`);
  const started = Date.now();
  for (const ix of indexes) await db.query(ix.def);
  log(`${indexes.length} indexes rebuilt: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // All-visible pages let the search's index-only scans skip the table (autovacuum does this in production).
  await step('vacuum', 'VACUUM (FREEZE, ANALYZE) listings');
  await db.query('VACUUM (ANALYZE) blocks');
  await db.query('VACUUM (ANALYZE) mandates');
}
