import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organisations and API keys are listed by (created_at, id) with a cursor that carries the
 * time as an ISO 8601 string, to the millisecond. Rows whose created_at came from the
 * database default (now(), to the microsecond: the platform organisation, and any row
 * written by SQL rather than by the code, which passes the clock's milliseconds) sorted
 * after a cursor taken at their own millisecond, so a page could serve them again (seen
 * when a test file wrote a few thousand organisations through SQL). Times are now
 * milliseconds, by default and by CHECK, like listings and leases.
 * Hand-written SQL, reviewed; never generated.
 */
export class MillisecondTimes1764400008000 implements MigrationInterface {
  name = 'MillisecondTimes1764400008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE organisations SET created_at = date_trunc('milliseconds', created_at) WHERE created_at <> date_trunc('milliseconds', created_at);
      ALTER TABLE organisations
        ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now()),
        ADD CONSTRAINT organisations_created_at_ms CHECK (created_at = date_trunc('milliseconds', created_at));
      UPDATE api_keys SET created_at = date_trunc('milliseconds', created_at) WHERE created_at <> date_trunc('milliseconds', created_at);
      ALTER TABLE api_keys
        ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now()),
        ADD CONSTRAINT api_keys_created_at_ms CHECK (created_at = date_trunc('milliseconds', created_at));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_keys DROP CONSTRAINT api_keys_created_at_ms, ALTER COLUMN created_at SET DEFAULT now();
      ALTER TABLE organisations DROP CONSTRAINT organisations_created_at_ms, ALTER COLUMN created_at SET DEFAULT now();
    `);
  }
}
