import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stripe webhook events, each stored once by its id (Stripe delivers at least once, in any
 * order): the first delivery inserts and acts in one transaction; any other delivery of the
 * same event finds the row and acts no more. Hand-written SQL, reviewed; never generated.
 */
export class StripeEvents1764400010000 implements MigrationInterface {
  name = 'StripeEvents1764400010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stripe_events (
        id           text PRIMARY KEY CHECK (id ~ '^evt_[A-Za-z0-9]{1,250}$'),
        type         text NOT NULL CHECK (length(type) BETWEEN 1 AND 200),
        -- when Stripe made the event (orders deliveries that arrive out of order).
        created      timestamptz NOT NULL,
        payload      jsonb NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now(),
        -- what we did with it: funded, ignored (a type we do not act on), unknown_deal...
        outcome      text NOT NULL CHECK (length(outcome) BETWEEN 1 AND 100)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE stripe_events');
  }
}
