import { Inject, Injectable } from '@nestjs/common';
import { type Prefix, formatPrefix } from '@app/ipam';
import { APP_CONFIG, type AppConfig, Clock, ProblemError, Problems, Transactions } from '@app/platform';
import { type Actor, AuditLog } from '@app/identity';
import { RIR_HOME_COUNTRY, type Rir, normaliseHandle } from '../domain/rir.js';
import { IANA_IPV4_BOOTSTRAP, rirFor } from '../rdap/bootstrap.js';
import { type SandboxEntityRow, type SandboxNetworkRow, networkHandle } from './rdap-render.js';
import { type VrpExport, renderVrps } from './vrps-render.js';
import {
  DEFAULT_NETWORK_TYPE,
  type BehaviourDbRow,
  type EntityDbRow,
  type NetworkDbRow,
  type SandboxBehaviourInput,
  type SandboxBehaviourView,
  type SandboxEntityInput,
  type SandboxEntityView,
  type SandboxResourceInput,
  type SandboxResourceView,
  parsePrefixOrRefuse,
  toBehaviourView,
  toEntityRow,
  toEntityView,
  toNetworkRow,
} from './sandbox-types.js';

const BEHAVIOUR_COLUMNS = 'rir, transfer, delay_ms, rdap, changes, change_delay_ms, roa_validity_days, updated_at';

export type SandboxLookup<T> = { readonly kind: 'found'; readonly value: T } | { readonly kind: 'not_found' } | { readonly kind: 'down'; readonly rir: Rir };

/**
 * The sandbox registry: a stand-in for the five RIRs, kept in PostgreSQL and scripted
 * through the API (API.md "Sandbox registry"). It knows handles, not our organisations.
 * Only with REGISTRY_MODE=sandbox; otherwise every use answers 404 SANDBOX.DISABLED.
 */
@Injectable()
export class SandboxRegistry {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return this.config.registryMode === 'sandbox';
  }

  assertEnabled(): void {
    if (!this.enabled) {
      throw new ProblemError(404, 'SANDBOX.DISABLED', 'The sandbox registry is off', 'The sandbox registry only exists with REGISTRY_MODE=sandbox');
    }
  }

  /** Creates or updates an account at a stand-in RIR. A handle belongs to one RIR for good. */
  async upsertEntity(actor: Actor, input: SandboxEntityInput, requestId?: string): Promise<SandboxEntityView> {
    this.assertEnabled();
    const handle = normaliseHandle(input.handle);
    return this.tx.tx(async (em) => {
      const now = await this.clock.now();
      const rows: EntityDbRow[] = await em.query(
        `INSERT INTO sandbox_rir_entities AS e (handle, rir, name, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (handle) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, updated_at = EXCLUDED.updated_at
           WHERE e.rir = EXCLUDED.rir
         RETURNING handle, rir, name, email, created_at, updated_at`,
        [handle, input.rir, input.name, input.email, now],
      );
      const row = rows[0];
      if (!row) throw await this.handleAtOtherRir(handle, input.rir);
      await this.audit.record(actor, {
        action: 'sandbox.entity_upserted',
        orgId: null,
        subject: { type: 'sandbox_entity', id: handle },
        details: { rir: input.rir, name: input.name },
        requestId,
      });
      return toEntityView(row);
    });
  }

  /**
   * Declares who holds a prefix at a stand-in RIR (upsert by exact prefix; networks may
   * nest). Creates the holder's entity when it does not exist; an existing one is kept. A
   * declared network is the holder's own: declared over a sub-assignment, it stops being one.
   */
  async upsertResource(actor: Actor, input: SandboxResourceInput, requestId?: string): Promise<SandboxResourceView> {
    this.assertEnabled();
    const prefix = parsePrefixOrRefuse(input.prefix);
    const holderHandle = normaliseHandle(input.holderHandle);
    return this.tx.tx(async (em) => {
      const now = await this.clock.now();
      await em.query(
        `INSERT INTO sandbox_rir_entities (handle, rir, name, email, created_at, updated_at)
         SELECT $1, $2, $3, $4, $5, $5 WHERE $3::text IS NOT NULL AND $4::text IS NOT NULL
         ON CONFLICT (handle) DO NOTHING`,
        [holderHandle, input.rir, input.holderName ?? null, input.holderEmail ?? null, now],
      );
      const [holder]: EntityDbRow[] = await em.query('SELECT handle, rir FROM sandbox_rir_entities WHERE handle = $1 FOR SHARE', [holderHandle]);
      if (!holder) {
        const missing = (['holderName', 'holderEmail'] as const).filter((f) => input[f] === undefined);
        throw Problems.validation(
          missing.map((f) => ({ field: `body.${f}`, code: 'VALIDATION.REQUIRED', message: `is required when the entity ${holderHandle} does not exist yet` })),
        );
      }
      if (holder.rir !== input.rir) throw await this.handleAtOtherRir(holderHandle, input.rir);

      const [row]: (Omit<NetworkDbRow, `holder_${string}`> & { created: boolean })[] = await em.query(
        `INSERT INTO sandbox_rir_resources AS r (prefix, rir, holder_handle, name, type, country, registered_at, updated_at, last_transferred_at)
         VALUES ($1::cidr, $2, $3, $4, $5, $6, coalesce($7::timestamptz, $8::timestamptz), $8::timestamptz, $9::timestamptz)
         ON CONFLICT (prefix) DO UPDATE SET
           rir = EXCLUDED.rir, holder_handle = EXCLUDED.holder_handle, name = EXCLUDED.name, type = EXCLUDED.type,
           country = EXCLUDED.country, registered_at = coalesce($7::timestamptz, r.registered_at), updated_at = EXCLUDED.updated_at,
           last_transferred_at = coalesce($9::timestamptz, r.last_transferred_at),
           customer_handle = NULL, customer_name = NULL, origin_asn = NULL
         RETURNING prefix::text, rir, name, type, country, registered_at, updated_at, last_transferred_at, (xmax = 0) AS created`,
        [
          formatPrefix(prefix),
          input.rir,
          holderHandle,
          input.name ?? `${holderHandle}-NET`,
          input.type ?? DEFAULT_NETWORK_TYPE[input.rir],
          input.country ?? RIR_HOME_COUNTRY[input.rir],
          input.registeredAt ?? null,
          now,
          input.transferredAt ?? null,
        ],
      );
      await this.audit.record(actor, {
        action: 'sandbox.resource_upserted',
        orgId: null,
        subject: { type: 'sandbox_resource', id: formatPrefix(prefix) },
        details: { rir: input.rir, holderHandle },
        requestId,
      });
      return {
        prefix: row!.prefix,
        rir: row!.rir,
        handle: networkHandle(prefix),
        holderHandle,
        name: row!.name,
        type: row!.type,
        country: row!.country,
        registeredAt: row!.registered_at.toISOString(),
        transferredAt: row!.last_transferred_at?.toISOString() ?? null,
        updatedAt: row!.updated_at.toISOString(),
        created: row!.created,
      };
    });
  }

  /** Scripts a stand-in RIR; fields left out keep their value. */
  async setBehaviour(actor: Actor, input: SandboxBehaviourInput, requestId?: string): Promise<SandboxBehaviourView> {
    this.assertEnabled();
    return this.tx.tx(async (em) => {
      const [rows]: [BehaviourDbRow[], number] = await em.query(
        `UPDATE sandbox_rir_behaviour SET transfer = coalesce($2, transfer), delay_ms = coalesce($3, delay_ms),
                rdap = coalesce($4, rdap), changes = coalesce($5, changes), change_delay_ms = coalesce($6, change_delay_ms),
                roa_validity_days = CASE WHEN $8 THEN $7::integer ELSE roa_validity_days END, updated_at = now()
          WHERE rir = $1 RETURNING ${BEHAVIOUR_COLUMNS}`,
        [input.rir, input.transfer ?? null, input.delayMs ?? null, input.rdap ?? null, input.changes ?? null, input.changeDelayMs ?? null, input.roaValidityDays ?? null, input.roaValidityDays !== undefined],
      );
      await this.audit.record(actor, {
        action: 'sandbox.behaviour_set',
        orgId: null,
        subject: { type: 'sandbox_rir', id: input.rir },
        details: { transfer: input.transfer, delayMs: input.delayMs, rdap: input.rdap, changes: input.changes, changeDelayMs: input.changeDelayMs, roaValidityDays: input.roaValidityDays },
        requestId,
      });
      return toBehaviourView(rows[0]!);
    });
  }

  async behaviours(): Promise<SandboxBehaviourView[]> {
    this.assertEnabled();
    const rows: BehaviourDbRow[] = await this.tx.manager().query(
      `SELECT ${BEHAVIOUR_COLUMNS} FROM sandbox_rir_behaviour
        ORDER BY array_position(ARRAY['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'], rir)`,
    );
    return rows.map(toBehaviourView);
  }

  /** How a stand-in RIR behaves now (for the transfer stand-in). */
  async behaviour(rir: Rir): Promise<SandboxBehaviourView> {
    return (await this.behaviours()).find((b) => b.rir === rir)!;
  }

  /**
   * The most specific network covering `query` (an address is a /32), its parent (the next
   * less specific network), or why there is none. An RIR whose RDAP is scripted down is
   * down for every query it would answer, found or not (the bootstrap file says which).
   */
  async lookupNetwork(query: Prefix): Promise<SandboxLookup<{ network: SandboxNetworkRow; parent: Prefix | null }>> {
    this.assertEnabled();
    const em = this.tx.manager();
    const [row]: NetworkDbRow[] = await em.query(
      `SELECT r.prefix::text, r.rir, r.name, r.type, r.country, r.registered_at, r.updated_at, r.last_transferred_at,
              e.handle AS holder_handle, e.rir AS holder_rir, e.name AS holder_name, e.email AS holder_email,
              e.created_at AS holder_created_at, e.updated_at AS holder_updated_at,
              r.customer_handle, r.customer_name, r.origin_asn
         FROM sandbox_rir_resources r JOIN sandbox_rir_entities e ON e.handle = r.holder_handle
        WHERE r.prefix >>= $1::cidr
        ORDER BY masklen(r.prefix) DESC LIMIT 1`,
      [formatPrefix(query)],
    );
    const rir = row?.rir ?? rirFor(IANA_IPV4_BOOTSTRAP, query);
    if (rir && (await this.rdapDown(rir))) return { kind: 'down', rir };
    if (!row) return { kind: 'not_found' };
    const network = toNetworkRow(row);
    const [parent]: { prefix: string }[] = await em.query(
      `SELECT prefix::text FROM sandbox_rir_resources WHERE prefix >> $1::cidr ORDER BY masklen(prefix) DESC LIMIT 1`,
      [formatPrefix(network.prefix)],
    );
    return { kind: 'found', value: { network, parent: parent ? parsePrefixOrRefuse(parent.prefix) : null } };
  }

  /** Every ROA of the stand-in RIRs as rpki-client would export their VRPs (public, like RDAP). */
  async vrps(): Promise<VrpExport> {
    this.assertEnabled();
    const rows: { prefix: string; asn: bigint; max_length: number; rir: Rir; created_at: Date; expires_at: Date | null }[] = await this.tx
      .manager()
      .query('SELECT prefix::text, asn, max_length, rir, created_at, expires_at FROM sandbox_rir_roas ORDER BY prefix, asn, max_length');
    const roas = rows.map((r) => ({
      prefix: parsePrefixOrRefuse(r.prefix),
      asn: Number(r.asn),
      maxLength: r.max_length,
      rir: r.rir,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    }));
    return renderVrps(roas, await this.clock.now());
  }

  async lookupEntity(handle: string): Promise<SandboxLookup<SandboxEntityRow>> {
    this.assertEnabled();
    const [row]: EntityDbRow[] = await this.tx
      .manager()
      .query('SELECT handle, rir, name, email, created_at, updated_at FROM sandbox_rir_entities WHERE handle = $1', [normaliseHandle(handle)]);
    if (!row) return { kind: 'not_found' };
    if (await this.rdapDown(row.rir)) return { kind: 'down', rir: row.rir };
    return { kind: 'found', value: toEntityRow(row) };
  }

  private async rdapDown(rir: Rir): Promise<boolean> {
    const rows: { rdap: string }[] = await this.tx.manager().query('SELECT rdap FROM sandbox_rir_behaviour WHERE rir = $1', [rir]);
    return rows[0]?.rdap === 'down';
  }

  private async handleAtOtherRir(handle: string, rir: Rir): Promise<ProblemError> {
    const [row]: { rir: Rir }[] = await this.tx.manager().query('SELECT rir FROM sandbox_rir_entities WHERE handle = $1', [handle]);
    return new ProblemError(
      409,
      'SANDBOX.HANDLE_AT_OTHER_RIR',
      'Handle belongs to another RIR',
      `${handle} is an account at ${row?.rir ?? 'another RIR'}, not at ${rir}: handles are issued by one registry`,
    );
  }
}
