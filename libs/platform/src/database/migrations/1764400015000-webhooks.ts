import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outgoing webhooks (issue 7).
 *
 * - `domain_events`: what happened that organisations may subscribe to (deadline
 *   thresholds, lease and transfer stage changes, escrow), written in the transaction of
 *   the change (libs/platform DomainEvents) with an outbox job that fans it out.
 * - `webhook_endpoints`: an organisation's receivers, with the signing secret (shown once
 *   at creation, never again) and the count of consecutive failures that disables them.
 * - `webhook_deliveries`: one per endpoint and event (a unique index), retried with
 *   exponential backoff; `webhook_delivery_attempts` logs every attempt and its answer.
 *
 * Delivery times (retries, the retry window, the attempt log) are the database's now(), not
 * the sandbox clock: they measure a receiver's real outage, and BullMQ's delays are real time.
 * Times that lists page on are whole milliseconds (the cursor carries milliseconds).
 *
 * Hand-written SQL, reviewed; never generated.
 */
export class Webhooks1764400015000 implements MigrationInterface {
  name = 'Webhooks1764400015000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE domain_events (
        id            bigserial PRIMARY KEY,
        type          text NOT NULL CHECK (type ~ '^[a-z_]+\\.[a-z_.]+$'),
        org_ids       uuid[] NOT NULL,
        subject_type  text NOT NULL,
        subject_id    uuid NOT NULL,
        data          jsonb NOT NULL,
        -- the (sandbox) clock's time of the change.
        occurred_at   timestamptz NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        -- set when its deliveries were made (none when no endpoint subscribes); the reconciler
        -- fans out events still without it a while after they were recorded (lost jobs).
        fanned_out_at timestamptz
      );
      CREATE INDEX domain_events_not_fanned_out ON domain_events (created_at) WHERE fanned_out_at IS NULL;

      CREATE TABLE webhook_endpoints (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id                uuid NOT NULL REFERENCES organisations (id),
        url                   text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
        events                text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 50),
        -- the HMAC key of the signatures; readable by the worker, never shown after creation.
        secret                text NOT NULL CHECK (secret LIKE 'whsec\\_%'),
        status                text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
        disabled_reason       text,
        -- failed attempts in a row (any delivery); a 2xx resets it, the threshold disables.
        consecutive_failures  integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        created_at            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()) CHECK (created_at = date_trunc('milliseconds', created_at)),
        disabled_at           timestamptz,
        -- deleted endpoints stay for their delivery history, invisible to the API.
        deleted_at            timestamptz,
        CHECK ((status = 'disabled') = (disabled_at IS NOT NULL)),
        CHECK ((status = 'disabled') = (disabled_reason IS NOT NULL))
      );
      CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

      CREATE TABLE webhook_deliveries (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id),
        event_id         bigint NOT NULL REFERENCES domain_events (id),
        status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        -- attempts started; an attempt is claimed (counted) before its request is sent.
        attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        -- pending: when the next attempt is due, or, while one is in flight, when it has
        -- surely ended (the reconciler re-queues deliveries well past it: lost jobs, crashes).
        next_attempt_at  timestamptz,
        last_status_code integer,
        last_error       text,
        created_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()) CHECK (created_at = date_trunc('milliseconds', created_at)),
        finished_at      timestamptz,
        UNIQUE (endpoint_id, event_id),
        CHECK ((status = 'pending') = (finished_at IS NULL)),
        CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
      );
      CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

      CREATE TABLE webhook_delivery_attempts (
        delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id),
        attempt      integer NOT NULL CHECK (attempt >= 1),
        -- the HTTP status of the answer; null when there was none (refused URL, timeout, network).
        status_code  integer CHECK (status_code BETWEEN 100 AND 599),
        error        text,
        -- null while the request is in flight (or when the worker stopped before recording the answer).
        duration_ms  integer CHECK (duration_ms >= 0),
        -- when the attempt started.
        at           timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (delivery_id, attempt)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery_attempts, webhook_deliveries, webhook_endpoints, domain_events`);
  }
}
