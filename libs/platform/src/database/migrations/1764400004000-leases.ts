import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Space commitments (the one table that says which addresses are promised to whom, for
 * when), lease contracts, their append-only event history and the registry changes each
 * lease makes. Hand-written SQL, reviewed; never generated.
 */
export class Leases1764400004000 implements MigrationInterface {
  name = 'Leases1764400004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Address space promised to a lease (or, later, a pending sale) for a period. The
      -- EXCLUDE constraint makes a double commitment impossible whatever the application
      -- does: two live rows may not share an address during a shared instant.
      -- The address side is an int8range of the addresses, [first, last + 1), generated from
      -- the cidr: GiST over range operators measured ~6x faster to insert into than GiST
      -- inet_ops at a million rows (bench/commitments-constraint.ts, README).
      CREATE TABLE space_commitments (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- the block the space belongs to (blocks never overlap, so neither do two blocks' commitments).
        block_id        uuid NOT NULL REFERENCES blocks (id),
        prefix          cidr NOT NULL CHECK (family(prefix) = 4 AND masklen(prefix) BETWEEN 8 AND 24),
        addr            int8range NOT NULL GENERATED ALWAYS AS
                          (int8range(prefix - '0.0.0.0'::inet, broadcast(prefix) - '0.0.0.0'::inet + 1)) STORED,
        -- from the commitment's start until it is released: a lease holds its unit past its
        -- contractual end until its registry changes are verified gone, so a live lease's
        -- commitment is open-ended; releasing it closes the period at the release time.
        period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period) AND lower_inc(period)),
        kind            text NOT NULL CHECK (kind IN ('lease', 'sale')),
        -- the lease (or transfer) the space is committed to.
        reference       uuid NOT NULL,
        created_at      timestamptz NOT NULL,
        released_at     timestamptz,
        release_reason  text,
        CHECK ((released_at IS NULL) = (release_reason IS NULL)),
        CHECK (released_at IS NULL OR NOT upper_inf(period)),
        CONSTRAINT space_commitments_no_overlap EXCLUDE USING gist (addr WITH &&, period WITH &&) WHERE (released_at IS NULL)
      );
      CREATE UNIQUE INDEX space_commitments_one_live ON space_commitments (kind, reference) WHERE released_at IS NULL;
      -- Free-unit search and the listings' free-unit counts walk a block's live commitments.
      CREATE INDEX space_commitments_block ON space_commitments (block_id, lower(addr)) WHERE released_at IS NULL;

      CREATE TABLE leases (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        listing_id        uuid NOT NULL REFERENCES listings (id),
        block_id          uuid NOT NULL REFERENCES blocks (id),
        -- the lister (the holder, or its broker), the holder, and the lessee.
        lessor_org_id     uuid NOT NULL REFERENCES organisations (id),
        holder_org_id     uuid NOT NULL REFERENCES organisations (id),
        lessee_org_id     uuid NOT NULL REFERENCES organisations (id),
        prefix            cidr NOT NULL CHECK (family(prefix) = 4 AND masklen(prefix) BETWEEN 8 AND 24),
        rir               text NOT NULL CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        lessee_asn        bigint NOT NULL CHECK (lessee_asn BETWEEN 1 AND 4294967295),
        term_months       smallint NOT NULL CHECK (term_months BETWEEN 1 AND 120),
        auto_renew        boolean NOT NULL,
        notice_days       smallint NOT NULL CHECK (notice_days BETWEEN 1 AND 365),
        -- the listing's price per IP address per month, and what the unit costs a month.
        price_minor       bigint NOT NULL CHECK (price_minor BETWEEN 1 AND 1000000000000000),
        monthly_minor     bigint NOT NULL CHECK (monthly_minor BETWEEN 1 AND 1000000000000000),
        currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        status            text NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'ending', 'deprovisioning', 'ended', 'failed')),
        starts_at         timestamptz NOT NULL,
        -- the end of the current term, and the last moment notice may be given for it.
        ends_at           timestamptz NOT NULL,
        notice_deadline   timestamptz NOT NULL,
        -- 1 for the first term, +1 at each renewal.
        term_number       integer NOT NULL DEFAULT 1 CHECK (term_number >= 1),
        notice_given_at   timestamptz,
        notice_given_by   text CHECK (notice_given_by IN ('lessee', 'lessor', 'platform')),
        -- why the lease is ending or ended: notice, no_renewal, terminated, failed.
        end_reason        text CHECK (end_reason IN ('notice', 'no_renewal', 'terminated', 'failed')),
        failure_reason    text,
        commitment_id     uuid NOT NULL UNIQUE REFERENCES space_commitments (id),
        -- the number of events so far: the next event's seq.
        version           integer NOT NULL DEFAULT 0,
        created_at        timestamptz NOT NULL CHECK (created_at = date_trunc('milliseconds', created_at)),
        updated_at        timestamptz NOT NULL,
        ended_at          timestamptz,
        CHECK (ends_at > starts_at),
        CHECK (notice_deadline < ends_at),
        CHECK ((status IN ('ended', 'failed')) = (ended_at IS NOT NULL)),
        CHECK ((notice_given_at IS NULL) = (notice_given_by IS NULL)),
        CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
      );
      CREATE INDEX leases_lessee ON leases (lessee_org_id, created_at DESC, id DESC);
      CREATE INDEX leases_lessor ON leases (lessor_org_id, created_at DESC, id DESC);
      CREATE INDEX leases_holder ON leases (holder_org_id, created_at DESC, id DESC);
      CREATE INDEX leases_listing ON leases (listing_id);
      -- The due-lease scan: renewals and lapses at the notice deadline, ends at ends_at.
      CREATE INDEX leases_notice_due ON leases (notice_deadline) WHERE status IN ('active', 'suspended');
      CREATE INDEX leases_end_due ON leases (ends_at) WHERE status IN ('active', 'suspended', 'ending');

      -- Every change of a lease, in the transaction of the change: who, when, why, and the
      -- risk placement it left. Append-only.
      CREATE TABLE lease_events (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        lease_id    uuid NOT NULL REFERENCES leases (id),
        seq         integer NOT NULL CHECK (seq >= 1),
        event       text NOT NULL CHECK (length(event) BETWEEN 1 AND 60),
        from_status text,
        to_status   text NOT NULL,
        -- 'system', or the organisation, role and key that acted.
        actor       jsonb NOT NULL,
        at          timestamptz NOT NULL,
        evidence    jsonb NOT NULL DEFAULT '{}',
        risks       jsonb NOT NULL,
        UNIQUE (lease_id, seq)
      );
      CREATE FUNCTION lease_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'lease_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER lease_events_append_only BEFORE UPDATE OR DELETE ON lease_events
        FOR EACH ROW EXECUTE FUNCTION lease_events_append_only();

      -- The changes a lease makes at its RIR: provisioning (ROA, IRR route object,
      -- sub-assignment) and their removal at the end. One row per lease, phase and change;
      -- the job that carries it out is keyed by the row (and a round, when re-queued).
      CREATE TABLE lease_registry_changes (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        lease_id     uuid NOT NULL REFERENCES leases (id),
        phase        text NOT NULL CHECK (phase IN ('provision', 'deprovision')),
        change       text NOT NULL CHECK (change IN ('roa', 'route', 'assignment')),
        rir          text NOT NULL CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        prefix       cidr NOT NULL,
        asn          bigint NOT NULL,
        -- pending -> applied | failed (for good); a failed removal is retried by the reconciler.
        status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
        attempts     integer NOT NULL DEFAULT 0,
        last_error   text,
        -- what the registry answered (object handles, the request's outcome).
        evidence     jsonb NOT NULL DEFAULT '{}',
        -- bumped when the reconciler queues the change again (BullMQ keeps finished job ids).
        round        integer NOT NULL DEFAULT 1,
        -- real time (not the sandbox clock) of the last queueing or attempt: the reconciler
        -- queues a change again when it has been quiet for too long (its job was lost).
        queued_at    timestamptz NOT NULL DEFAULT now(),
        created_at   timestamptz NOT NULL,
        updated_at   timestamptz NOT NULL,
        applied_at   timestamptz,
        CHECK ((status = 'applied') = (applied_at IS NOT NULL)),
        UNIQUE (lease_id, phase, change)
      );
      CREATE INDEX lease_registry_changes_quiet ON lease_registry_changes (queued_at) WHERE status <> 'applied';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE lease_registry_changes, lease_events;
      DROP FUNCTION lease_events_append_only();
      DROP TABLE leases;
      DROP TABLE space_commitments;
    `);
  }
}
