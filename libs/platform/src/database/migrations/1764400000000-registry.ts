import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry context: the sandbox registry (an RIR stand-in: entities, resources and
 * scripted behaviour), outgoing mail, and organisations' claims of RIR handles.
 * Hand-written SQL, reviewed; never generated.
 */
export class Registry1764400000000 implements MigrationInterface {
  name = 'Registry1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Accounts (org handles) at the sandbox's stand-in RIRs, served at /sandbox/rdap/entity/{handle}.
      CREATE TABLE sandbox_rir_entities (
        -- upper-case, as the API normalises it; one namespace for all five RIRs, like RDAP's entity path.
        handle      text PRIMARY KEY CHECK (handle ~ '^[A-Z0-9]([A-Z0-9._-]{0,62}[A-Z0-9])?$'),
        rir         text NOT NULL CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        -- the contact e-mail the jCard lists: one-time codes for handle claims go there.
        email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
        created_at  timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL
      );

      -- Who holds which space at the stand-in RIRs. Networks may nest (an allocation and its
      -- sub-assignments); RDAP serves the most specific one covering the query.
      CREATE TABLE sandbox_rir_resources (
        prefix         cidr PRIMARY KEY CHECK (family(prefix) = 4),
        rir            text NOT NULL CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        holder_handle  text NOT NULL REFERENCES sandbox_rir_entities (handle),
        -- RDAP "name" and "type" of the network (e.g. ALLOCATED PA).
        name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        type           text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
        -- ISO 3166-1 alpha-2.
        country        text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
        -- RDAP "registration" event: holding-period rules read it.
        registered_at  timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL
      );
      -- Covering lookups (prefix >>= query) for RDAP.
      CREATE INDEX sandbox_rir_resources_covering ON sandbox_rir_resources USING gist (prefix inet_ops);
      CREATE INDEX sandbox_rir_resources_holder ON sandbox_rir_resources (holder_handle);

      -- How each stand-in RIR behaves, scripted by tests and demos.
      CREATE TABLE sandbox_rir_behaviour (
        rir         text PRIMARY KEY CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        -- the answer to a transfer request, given after delay_ms.
        transfer    text NOT NULL DEFAULT 'approve' CHECK (transfer IN ('approve', 'reject', 'request_info')),
        delay_ms    integer NOT NULL DEFAULT 0 CHECK (delay_ms >= 0),
        -- 'down': the RIR's RDAP endpoints answer 503 (an outage, scripted).
        rdap        text NOT NULL DEFAULT 'up' CHECK (rdap IN ('up', 'down')),
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO sandbox_rir_behaviour (rir) VALUES ('ARIN'), ('RIPE'), ('APNIC'), ('LACNIC'), ('AFRINIC');

      -- E-mail the system sends, written in the transaction of the change that causes it and
      -- delivered by the worker (job mail.deliver). The sandbox keeps it instead of sending it.
      CREATE TABLE outgoing_mail (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        to_address     text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 254),
        subject        text NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
        body           text NOT NULL,
        -- pending -> kept (sandbox mailbox) | sent (SMTP, later) | failed (failed_reason says why).
        status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'kept', 'sent', 'failed')),
        created_at     timestamptz NOT NULL,
        -- when it was delivered (kept or sent), by the system's clock.
        sent_at        timestamptz,
        failed_reason  text,
        CHECK ((status IN ('kept', 'sent')) = (sent_at IS NOT NULL)),
        CHECK ((status = 'failed') = (failed_reason IS NOT NULL))
      );
      -- The sandbox mailbox: newest first, optionally for one address.
      CREATE INDEX outgoing_mail_mailbox ON outgoing_mail (sent_at DESC, id DESC) WHERE status = 'kept';
      CREATE INDEX outgoing_mail_mailbox_to ON outgoing_mail (lower(to_address), sent_at DESC, id DESC) WHERE status = 'kept';

      -- An organisation's claim of an RIR account (org handle), proved by a one-time code
      -- sent to the contact e-mail of the handle's RDAP entity.
      CREATE TABLE registry_handle_claims (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id           uuid NOT NULL REFERENCES organisations (id),
        rir              text NOT NULL CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        -- upper-case, as the API normalises it.
        handle           text NOT NULL CHECK (handle ~ '^[A-Z0-9]([A-Z0-9._-]{0,62}[A-Z0-9])?$'),
        -- pending -> confirmed | locked (too many wrong codes) | superseded (a newer claim of the same handle).
        status           text NOT NULL CHECK (status IN ('pending', 'confirmed', 'locked', 'superseded')),
        -- where the code went (the registry's contact e-mail at claim time).
        sent_to          text NOT NULL,
        -- scrypt(code, code_salt): the code itself is never stored; cleared once used.
        code_hash        bytea,
        code_salt        bytea NOT NULL,
        code_expires_at  timestamptz NOT NULL,
        failed_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_attempts BETWEEN 0 AND 5),
        created_by       text NOT NULL,
        created_at       timestamptz NOT NULL,
        confirmed_at     timestamptz,
        CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL)),
        CHECK (status <> 'confirmed' OR code_hash IS NULL)
      );
      -- A handle proves holdership for one organisation at most.
      CREATE UNIQUE INDEX registry_handle_claims_one_holder ON registry_handle_claims (rir, handle) WHERE status = 'confirmed';
      CREATE INDEX registry_handle_claims_org ON registry_handle_claims (org_id, created_at DESC, id DESC);
      CREATE INDEX registry_handle_claims_handle ON registry_handle_claims (rir, handle, org_id) WHERE status = 'pending';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE registry_handle_claims, outgoing_mail, sandbox_rir_behaviour;
      DROP TABLE sandbox_rir_resources;
      DROP TABLE sandbox_rir_entities;
    `);
  }
}
