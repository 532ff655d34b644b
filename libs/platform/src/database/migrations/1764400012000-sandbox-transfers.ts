import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox registry learns transfers (issue 6): the requests a stand-in RIR received,
 * answered as scripted in sandbox_rir_behaviour (transfer, delay_ms), and the RDAP
 * "transfer" event of the networks they moved. Hand-written SQL, reviewed; never generated.
 */
export class SandboxTransfers1764400012000 implements MigrationInterface {
  name = 'SandboxTransfers1764400012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- RDAP "transfer" event (RFC 9083 §4.5): when the current holder received the network by
      -- a transfer; NULL when it never changed hands since its registration. registered_at stays
      -- the original registration. Holding-period rules read this as the holder's receipt date.
      ALTER TABLE sandbox_rir_resources ADD COLUMN last_transferred_at timestamptz;

      -- Transfer requests received by the stand-in RIRs. Decided lazily: the first status read
      -- at or after decide_after (by the sandbox clock) applies 'answer'; a later read completes
      -- an approved transfer (the network moves to to_handle at destination_rir).
      CREATE TABLE sandbox_rir_transfers (
        -- the registry's ticket.
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- the requester's reference (our transfer's id): one request per reference, for good.
        reference         text NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 200),
        prefix            cidr NOT NULL CHECK (family(prefix) = 4),
        source_rir        text NOT NULL CHECK (source_rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        destination_rir   text NOT NULL CHECK (destination_rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        from_handle       text NOT NULL CHECK (from_handle ~ '^[A-Z0-9]([A-Z0-9._-]{0,62}[A-Z0-9])?$'),
        to_handle         text NOT NULL CHECK (to_handle ~ '^[A-Z0-9]([A-Z0-9._-]{0,62}[A-Z0-9])?$'),
        -- submitted -> info_requested -> submitted ... -> approved -> completed; or -> rejected.
        status            text NOT NULL CHECK (status IN ('submitted', 'info_requested', 'approved', 'completed', 'rejected')),
        -- what the registry answers at decide_after: the scripted behaviour when the request
        -- (or the information asked for) arrived; 'reject' for a request refused on receipt.
        answer            text NOT NULL CHECK (answer IN ('approve', 'reject', 'request_info')),
        -- the registry whose scripted answer that is (of an inter-RIR transfer, the stricter one's).
        answered_by       text NOT NULL CHECK (answered_by IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        -- why it was rejected, or what information it asks for.
        reason            text CHECK (length(reason) BETWEEN 1 AND 1000),
        -- the requester's latest answer to a request for information.
        information       text CHECK (length(information) BETWEEN 1 AND 4000),
        requested_at      timestamptz NOT NULL,
        -- requested_at (or info_provided_at) plus the scripted delay.
        decide_after      timestamptz NOT NULL,
        -- when the registry last answered (asked for information, approved or rejected).
        decided_at        timestamptz,
        completed_at      timestamptz,
        info_provided_at  timestamptz,
        CHECK (decide_after >= requested_at),
        CHECK (status = 'submitted' OR decided_at IS NOT NULL),
        CHECK (decided_at >= requested_at),
        CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
        CHECK (completed_at >= decided_at),
        CHECK (status NOT IN ('rejected', 'info_requested') OR reason IS NOT NULL),
        CHECK (info_provided_at >= requested_at),
        CHECK ((info_provided_at IS NULL) = (information IS NULL)),
        -- One open request per address at a time: two could otherwise move the same space twice.
        CONSTRAINT sandbox_rir_transfers_one_open EXCLUDE USING gist (prefix inet_ops WITH &&)
          WHERE (status IN ('submitted', 'info_requested', 'approved'))
      );
      CREATE INDEX sandbox_rir_transfers_newest ON sandbox_rir_transfers (requested_at DESC, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE sandbox_rir_transfers;
      ALTER TABLE sandbox_rir_resources DROP COLUMN last_transferred_at;
    `);
  }
}
