import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox registry learns the changes a lease makes at an RIR: sub-assignments (whois
 * reassignments, served by RDAP), ROAs (served as VRPs), IRR route objects, and a log of
 * every write it receives, so that tests can prove none was made twice. Scripted failures
 * of those writes live beside the transfer behaviour. Hand-written SQL, reviewed; never generated.
 */
export class RegistryChanges1764400003000 implements MigrationInterface {
  name = 'RegistryChanges1764400003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- How a stand-in RIR answers writes of ROAs, route objects and sub-assignments:
      -- apply them, reject them (for good), or be unavailable (503, worth retrying);
      -- after change_delay_ms either way.
      ALTER TABLE sandbox_rir_behaviour
        ADD COLUMN changes text NOT NULL DEFAULT 'apply' CHECK (changes IN ('apply', 'reject', 'unavailable')),
        ADD COLUMN change_delay_ms integer NOT NULL DEFAULT 0 CHECK (change_delay_ms BETWEEN 0 AND 60000);

      -- A sub-assignment (ARIN reassignment, RIPE ASSIGNED PA inetnum...) is a network nested
      -- in the holder's, still under the holder's account, with the end user (the lessee) as
      -- its customer; RDAP shows the customer as the registrant of the more specific network.
      ALTER TABLE sandbox_rir_resources
        ADD COLUMN customer_handle text CHECK (customer_handle ~ '^[A-Z0-9]([A-Z0-9._-]{0,62}[A-Z0-9])?$'),
        ADD COLUMN customer_name   text CHECK (length(customer_name) BETWEEN 1 AND 200),
        -- the origin AS the end user announces the network from (a remark in whois).
        ADD COLUMN origin_asn      bigint CHECK (origin_asn BETWEEN 1 AND 4294967295),
        ADD CONSTRAINT sandbox_rir_resources_customer CHECK ((customer_handle IS NULL) = (customer_name IS NULL));

      -- ROAs signed at a stand-in RIR's trust anchor; served as VRPs at /sandbox/rpki/vrps.json.
      CREATE TABLE sandbox_rir_roas (
        prefix      cidr NOT NULL CHECK (family(prefix) = 4),
        asn         bigint NOT NULL CHECK (asn BETWEEN 0 AND 4294967295),
        max_length  smallint NOT NULL CHECK (max_length BETWEEN masklen(prefix) AND 32),
        rir         text NOT NULL CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (prefix, asn, max_length)
      );

      -- IRR route objects (route: / origin:) in the RIRs' routing registries.
      CREATE TABLE sandbox_irr_routes (
        prefix      cidr NOT NULL CHECK (family(prefix) = 4),
        origin      bigint NOT NULL CHECK (origin BETWEEN 1 AND 4294967295),
        source      text NOT NULL CHECK (source IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (prefix, origin)
      );

      -- Every write a stand-in RIR received, whatever it answered: the evidence that a
      -- client never sent the same change twice.
      CREATE TABLE sandbox_rir_requests (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        rir          text NOT NULL CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC')),
        operation    text NOT NULL CHECK (operation IN ('create', 'delete')),
        object       text NOT NULL CHECK (object IN ('roa', 'route', 'assignment')),
        prefix       cidr NOT NULL,
        asn          bigint,
        -- applied; already_present / absent (the write changed nothing); rejected; unavailable.
        outcome      text NOT NULL CHECK (outcome IN ('applied', 'already_present', 'absent', 'rejected', 'unavailable')),
        received_at  timestamptz NOT NULL
      );
      CREATE INDEX sandbox_rir_requests_prefix ON sandbox_rir_requests USING gist (prefix inet_ops);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE sandbox_rir_requests, sandbox_irr_routes, sandbox_rir_roas;
      ALTER TABLE sandbox_rir_resources DROP CONSTRAINT sandbox_rir_resources_customer,
        DROP COLUMN origin_asn, DROP COLUMN customer_name, DROP COLUMN customer_handle;
      ALTER TABLE sandbox_rir_behaviour DROP COLUMN change_delay_ms, DROP COLUMN changes;
    `);
  }
}
