import type { DataSource } from 'typeorm';

/**
 * Verified blocks and mandates written straight into the inventory tables, for tests of the
 * contexts built on top (listings, leases, transfers) that need verified space without going
 * through handle claims and RDAP. What the inventory context itself guarantees (the overlap
 * constraint included) still holds: the rows go through the same table and constraints.
 */

export type TestRir = 'ARIN' | 'RIPE' | 'APNIC' | 'LACNIC' | 'AFRINIC';

export interface TestBlock {
  readonly id: string;
  readonly prefix: string;
  readonly holderOrgId: string;
  readonly rir: TestRir;
  readonly country: string | null;
}

// Blocks come from /22 slots counted from 11.0.0.0 up to 99.255.255.255: public unicast space
// with no special-purpose range in it (the nearest is 100.64.0.0/10). The counter is a
// sequence in the run's database, so that every test file of the run draws distinct slots.
const FIRST_SLOT_ADDRESS = 11 * 2 ** 24;
const SLOT_SIZE = 1024;
const SLOTS = ((100 - 11) * 2 ** 24) / SLOT_SIZE;

function formatAddress(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

let sequenceMade: Promise<unknown> | undefined;

async function nextSlotPrefix(db: DataSource, length: number): Promise<string> {
  // Once per test file: concurrent CREATE ... IF NOT EXISTS statements race on the catalogue
  // (a unique violation on pg_class), so the first call makes it and the others wait for it.
  sequenceMade ??= db.query('CREATE SEQUENCE IF NOT EXISTS test_fixture_block_slots').catch((err: { driverError?: { code?: string } }) => {
    if (!['23505', '42P07'].includes(err.driverError?.code ?? '')) throw err;
  });
  await sequenceMade;
  const [{ n }]: { n: bigint }[] = await db.query(`SELECT nextval('test_fixture_block_slots') AS n`);
  if (Number(n) > SLOTS) throw new Error('aVerifiedBlock: out of /22 slots for this run');
  return `${formatAddress(FIRST_SLOT_ADDRESS + (Number(n) - 1) * SLOT_SIZE)}/${length}`;
}

/**
 * A verified block held by `holderOrgId`. Without `prefix`, a /22../24 (`length`, default 24)
 * that no other fixture of the run has; a slot some test took through the API is skipped.
 */
export async function aVerifiedBlock(
  db: DataSource,
  o: { holderOrgId: string; prefix?: string; length?: 22 | 23 | 24; rir?: TestRir; country?: string | null; status?: string },
): Promise<TestBlock> {
  const rir = o.rir ?? 'RIPE';
  const country = o.country === undefined ? 'DE' : o.country;
  const status = o.status ?? 'verified';
  for (let attempt = 0; ; attempt++) {
    const prefix = o.prefix ?? (await nextSlotPrefix(db, o.length ?? 24));
    try {
      const [row]: { id: string; prefix: string }[] = await db.query(
        `INSERT INTO blocks (holder_org_id, prefix, rir, status, country, registered_at, verified_at, evidence, created_at)
         VALUES ($1, $2, $3, $4, $5, now() - interval '5 years', CASE WHEN $4 = 'verified' THEN now() END,
                 '{"source": "test fixture"}', now())
         RETURNING id, prefix`,
        [o.holderOrgId, prefix, rir, status, country],
      );
      return { id: row!.id, prefix: row!.prefix, holderOrgId: o.holderOrgId, rir, country };
    } catch (err) {
      // 23P01: the slot overlaps a block registered some other way; take the next one.
      if (o.prefix !== undefined || (err as { code?: string }).code !== '23P01' || attempt >= 100) throw err;
    }
  }
}

/** A mandate of the block's holder to `brokerOrgId`, expiring at `expiresAt` (which may be past). */
export async function aMandate(
  db: DataSource,
  o: { block: TestBlock; brokerOrgId: string; expiresAt: Date; revokedAt?: Date; endedAt?: Date },
): Promise<{ id: string; expiresAt: Date }> {
  // created_at must precede the expiry (a CHECK): a day before it, or now if that is earlier.
  const [row]: { id: string }[] = await db.query(
    `INSERT INTO mandates (block_id, broker_org_id, granted_by_org_id, expires_at, revoked_at, ended_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, least(now(), $4::timestamptz - interval '1 day'))
     RETURNING id`,
    [o.block.id, o.brokerOrgId, o.block.holderOrgId, o.expiresAt, o.revokedAt ?? null, o.endedAt ?? null],
  );
  return { id: row!.id, expiresAt: o.expiresAt };
}
