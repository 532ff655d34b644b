import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Calendar feeds (issue 7): a per-organisation token that calendar apps pass as `?token=`
 * on GET /v1/deadlines.ics. Only its SHA-256 is kept; revoking it answers 401 from then on.
 *
 * Hand-written SQL, reviewed; never generated.
 */
export class CalendarFeeds1764400016000 implements MigrationInterface {
  name = 'CalendarFeeds1764400016000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE calendar_feed_tokens (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id      uuid NOT NULL REFERENCES organisations (id),
        -- sha256 of the whole token (as api_keys.key_hash); the token is shown once, never stored.
        token_hash  bytea NOT NULL UNIQUE,
        -- who issued it: an API key id or 'platform-admin-token' (as api_keys.created_by).
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        revoked_at  timestamptz
      );
      -- One live token per organisation: issuing a new one revokes the old.
      CREATE UNIQUE INDEX calendar_feed_tokens_one_live ON calendar_feed_tokens (org_id) WHERE revoked_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE calendar_feed_tokens`);
  }
}
