import { setTimeout as sleep } from 'node:timers/promises';
import { type Prefix, formatPrefix, parsePrefix } from '@app/ipam';
import type { Clock } from '@app/platform';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IRR_SOURCE,
  SUB_ASSIGNMENT_TYPE,
  asnText,
  customerProblem,
  exactMaxLength,
  isOriginAsn,
  subAssignmentName,
  trustAnchorOf,
} from '../domain/registry-objects.js';
import { type Rir, normaliseHandle } from '../domain/rir.js';
import { networkHandle } from '../sandbox/rdap-render.js';
import type { SandboxTransfers } from '../sandbox/sandbox-transfers.js';
import type { ChangesBehaviour } from '../sandbox/sandbox-types.js';
import {
  type RegistryChangeKind,
  type RegistryChangeSpec,
  type RegistryGateway,
  RegistryUnavailableError,
  type RegistryWriteOutcome,
  type TransferRequest,
  type TransferStatus,
  type TransferSubmission,
} from './registry-gateway.js';

/** What the stand-in RIR made of a write, as its request log records it. */
export type SandboxRequestOutcome = 'applied' | 'already_present' | 'absent' | 'rejected' | 'unavailable';
type Operation = 'create' | 'delete';

interface Change {
  readonly kind: RegistryChangeKind;
  readonly prefix: Prefix;
  readonly text: string;
  readonly asn: number;
  readonly customer: { readonly handle: string; readonly name: string };
}

/** What one write did to the registry's objects (before it is logged). */
interface Effect {
  readonly outcome: Exclude<SandboxRequestOutcome, 'unavailable'>;
  readonly reason?: string;
  readonly object?: Record<string, unknown>;
}

interface CoveringRow {
  prefix: string;
  rir: Rir;
  holder_handle: string;
  country: string;
  customer_handle: string | null;
}

/**
 * The sandbox registry as one RIR's write API: ROAs, IRR route objects and sub-assignments,
 * kept in the sandbox tables and served back by its RDAP and VRP endpoints.
 *
 * It behaves like an external system: each write commits in a transaction of its own, never
 * in the caller's. (Transactions.tx() would join a caller's ambient transaction, so a
 * rolled-back use case would undo a change the registry had already answered: hence a fresh
 * DataSource.transaction.) Every write is logged in sandbox_rir_requests, whatever it answered.
 * How it answers is scripted per RIR in sandbox_rir_behaviour (changes, change_delay_ms).
 *
 * Transfers go to the stand-in's transfer desk (SandboxTransfers: scripted by transfer and
 * delay_ms, decided by the sandbox clock), which joins the caller's ambient transaction.
 */
export class SandboxRegistryGateway implements RegistryGateway {
  constructor(
    readonly rir: Rir,
    private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly transfers: SandboxTransfers,
  ) {}

  submitTransfer(request: TransferRequest): Promise<TransferSubmission> {
    return this.transfers.submit(this.rir, request);
  }

  transferStatus(ticket: string): Promise<TransferStatus> {
    return this.transfers.status(this.rir, ticket);
  }

  provideTransferInformation(ticket: string, note: string): Promise<TransferStatus> {
    return this.transfers.provideInformation(this.rir, ticket, note);
  }

  async isInPlace(spec: RegistryChangeSpec): Promise<boolean> {
    const change = this.parse(spec);
    return (await this.find(this.db.manager, change)) !== null;
  }

  create(spec: RegistryChangeSpec): Promise<RegistryWriteOutcome> {
    return this.write('create', spec);
  }

  remove(spec: RegistryChangeSpec): Promise<RegistryWriteOutcome> {
    return this.write('delete', spec);
  }

  private async write(operation: Operation, spec: RegistryChangeSpec): Promise<RegistryWriteOutcome> {
    const change = this.parse(spec);
    const [behaviour]: { changes: ChangesBehaviour; change_delay_ms: number }[] = await this.db.query(
      'SELECT changes, change_delay_ms FROM sandbox_rir_behaviour WHERE rir = $1',
      [this.rir],
    );
    if (!behaviour) throw new Error(`sandbox_rir_behaviour has no row for ${this.rir}`);
    // A real wait, as for a slow registry: callers must cope with it (timeouts, locks held).
    if (behaviour.change_delay_ms > 0) await sleep(behaviour.change_delay_ms);
    // Read before the transaction: a sandbox clock reads through the caller's connection.
    const now = await this.clock.now();

    const answer = await this.db.transaction(async (em) => {
      let effect: Effect | 'unavailable';
      if (behaviour.changes === 'unavailable') effect = 'unavailable';
      else if (behaviour.changes === 'reject') effect = { outcome: 'rejected', reason: `the ${this.rir} registry refused the change (scripted)` };
      else if (!isOriginAsn(change.asn)) effect = { outcome: 'rejected', reason: `${String(change.asn)} is not an AS number (1 to 4294967295)` };
      else effect = operation === 'create' ? await this.apply(em, change, now) : await this.undo(em, change);
      const outcome = effect === 'unavailable' ? 'unavailable' : effect.outcome;
      const requestId = await this.log(em, operation, change, outcome, now);
      return { effect, requestId };
    });

    const { effect, requestId } = answer;
    const evidence = {
      registry: 'sandbox',
      rir: this.rir,
      operation,
      object: change.kind,
      prefix: change.text,
      asn: change.asn,
      requestId,
      outcome: effect === 'unavailable' ? 'unavailable' : effect.outcome,
      ...(effect !== 'unavailable' && effect.object ? { [change.kind]: effect.object } : {}),
    };
    if (effect === 'unavailable') {
      throw new RegistryUnavailableError(`the ${this.rir} registry is unavailable (scripted): the ${change.kind} ${operation} of ${change.text} was not made`);
    }
    if (effect.outcome === 'rejected') return { kind: 'rejected', reason: effect.reason ?? 'refused', evidence };
    return { kind: 'done', alreadyInPlace: effect.outcome !== 'applied', evidence };
  }

  private async apply(em: EntityManager, c: Change, now: Date): Promise<Effect> {
    if (c.kind === 'assignment') return this.assign(em, c, now);

    // Only the holder can sign a ROA or authorise a route object: for space the RIR registered.
    const covering = await this.covering(em, c.prefix, '>>=');
    const refusal = this.coveringProblem(covering, c, 'a ROA or route object');
    if (refusal) return { outcome: 'rejected', reason: refusal };

    const rows: { rir: Rir }[] =
      c.kind === 'roa'
        ? await em.query(
            `INSERT INTO sandbox_rir_roas (prefix, asn, max_length, rir, created_at, expires_at)
             SELECT $1::cidr, $2, $3, $4, $5::timestamptz, $5::timestamptz + coalesce(make_interval(days => b.roa_validity_days), interval '1 year')
               FROM sandbox_rir_behaviour b WHERE b.rir = $4
             ON CONFLICT DO NOTHING RETURNING rir`,
            [c.text, c.asn, exactMaxLength(c.prefix), this.rir, now],
          )
        : await em.query(
            `INSERT INTO sandbox_irr_routes (prefix, origin, source, created_at) VALUES ($1::cidr, $2, $3, $4)
             ON CONFLICT DO NOTHING RETURNING source AS rir`,
            [c.text, c.asn, IRR_SOURCE[this.rir], now],
          );
    if (rows.length > 0) return { outcome: 'applied', object: this.describe(c) };
    if (await this.find(em, c)) return { outcome: 'already_present', object: this.describe(c) };
    // The same object exists, but at another registry (another trust anchor or IRR source).
    return { outcome: 'rejected', reason: `this ${c.kind} for ${c.text} and ${asnText(c.asn)} exists at another registry` };
  }

  private async assign(em: EntityManager, c: Change, now: Date): Promise<Effect> {
    const problem = customerProblem(c.customer);
    if (problem) return { outcome: 'rejected', reason: problem };
    const customer = { handle: normaliseHandle(c.customer.handle), name: c.customer.name.trim() };
    const parent = await this.covering(em, c.prefix, '>>');
    const refusal = this.coveringProblem(parent, c, 'a sub-assignment');
    if (refusal) return { outcome: 'rejected', reason: refusal };

    const [row]: { prefix: string }[] = await em.query(
      `INSERT INTO sandbox_rir_resources (prefix, rir, holder_handle, name, type, country, registered_at, updated_at,
                                          customer_handle, customer_name, origin_asn)
       VALUES ($1::cidr, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)
       ON CONFLICT (prefix) DO NOTHING RETURNING prefix::text`,
      [c.text, this.rir, parent!.holder_handle, subAssignmentName(customer.handle, c.prefix), SUB_ASSIGNMENT_TYPE[this.rir], parent!.country, now, customer.handle, customer.name, c.asn],
    );
    if (row) return { outcome: 'applied', object: this.describe(c, parent!.holder_handle) };

    const [existing]: { rir: Rir; holder_handle: string; customer_handle: string | null }[] = await em.query(
      'SELECT rir, holder_handle, customer_handle FROM sandbox_rir_resources WHERE prefix = $1::cidr',
      [c.text],
    );
    if (existing?.rir === this.rir && existing.customer_handle === customer.handle) {
      return { outcome: 'already_present', object: this.describe(c, existing.holder_handle) };
    }
    const what = existing?.customer_handle ? `a sub-assignment to ${existing.customer_handle}` : `a network of ${existing?.holder_handle ?? 'another holder'}`;
    return { outcome: 'rejected', reason: `${c.text} is already registered as ${what}` };
  }

  private async undo(em: EntityManager, c: Change): Promise<Effect> {
    let rows: unknown[];
    if (c.kind === 'roa') {
      rows = await this.deleted(em, 'DELETE FROM sandbox_rir_roas WHERE prefix = $1::cidr AND asn = $2 AND max_length = $3 AND rir = $4 RETURNING 1', [
        c.text,
        c.asn,
        exactMaxLength(c.prefix),
        this.rir,
      ]);
    } else if (c.kind === 'route') {
      rows = await this.deleted(em, 'DELETE FROM sandbox_irr_routes WHERE prefix = $1::cidr AND origin = $2 AND source = $3 RETURNING 1', [
        c.text,
        c.asn,
        IRR_SOURCE[this.rir],
      ]);
    } else {
      // Only the customer's sub-assignment: the holder's own network (customer_handle NULL) stays.
      rows = await this.deleted(em, 'DELETE FROM sandbox_rir_resources WHERE prefix = $1::cidr AND rir = $2 AND customer_handle = $3 RETURNING 1', [
        c.text,
        this.rir,
        normaliseHandle(c.customer.handle),
      ]);
    }
    return rows.length > 0 ? { outcome: 'applied', object: this.describe(c) } : { outcome: 'absent' };
  }

  private async deleted(em: EntityManager, sql: string, params: unknown[]): Promise<unknown[]> {
    // TypeORM answers a DELETE with [returned rows, affected count].
    const [rows]: [unknown[], number] = await em.query(sql, params);
    return rows;
  }

  /** The object as the registry has it now, or null. */
  private async find(em: EntityManager, c: Change): Promise<unknown> {
    if (!isOriginAsn(c.asn)) return null;
    let rows: unknown[];
    if (c.kind === 'roa') {
      rows = await em.query('SELECT 1 FROM sandbox_rir_roas WHERE prefix = $1::cidr AND asn = $2 AND max_length = $3 AND rir = $4', [
        c.text,
        c.asn,
        exactMaxLength(c.prefix),
        this.rir,
      ]);
    } else if (c.kind === 'route') {
      rows = await em.query('SELECT 1 FROM sandbox_irr_routes WHERE prefix = $1::cidr AND origin = $2 AND source = $3', [c.text, c.asn, IRR_SOURCE[this.rir]]);
    } else {
      rows = await em.query('SELECT 1 FROM sandbox_rir_resources WHERE prefix = $1::cidr AND rir = $2 AND customer_handle = $3', [
        c.text,
        this.rir,
        normaliseHandle(c.customer.handle),
      ]);
    }
    return rows[0] ?? null;
  }

  /** The most specific network that covers the prefix ('>>=') or strictly contains it ('>>'), locked against removal. */
  private async covering(em: EntityManager, prefix: Prefix, op: '>>' | '>>='): Promise<CoveringRow | null> {
    const [row]: CoveringRow[] = await em.query(
      `SELECT prefix::text, rir, holder_handle, country, customer_handle FROM sandbox_rir_resources
        WHERE prefix ${op} $1::cidr ORDER BY masklen(prefix) DESC LIMIT 1 FOR SHARE`,
      [formatPrefix(prefix)],
    );
    return row ?? null;
  }

  private coveringProblem(row: CoveringRow | null, c: Change, what: string): string | null {
    if (!row) return `the ${this.rir} registry has no record of a network covering ${c.text}, so it cannot hold ${what} for it`;
    if (row.rir !== this.rir) return `${c.text} is registered at ${row.rir} (in ${row.prefix}), not at ${this.rir}`;
    return null;
  }

  private describe(c: Change, holderHandle?: string): Record<string, unknown> {
    if (c.kind === 'roa') return { prefix: c.text, asn: asnText(c.asn), maxLength: exactMaxLength(c.prefix), ta: trustAnchorOf(this.rir) };
    if (c.kind === 'route') return { route: c.text, origin: asnText(c.asn), source: IRR_SOURCE[this.rir] };
    return {
      handle: networkHandle(c.prefix),
      name: subAssignmentName(normaliseHandle(c.customer.handle), c.prefix),
      type: SUB_ASSIGNMENT_TYPE[this.rir],
      customerHandle: normaliseHandle(c.customer.handle),
      ...(holderHandle ? { holderHandle } : {}),
      originAsn: asnText(c.asn),
    };
  }

  private async log(em: EntityManager, operation: Operation, c: Change, outcome: SandboxRequestOutcome, now: Date): Promise<string> {
    const [row]: { id: bigint }[] = await em.query(
      `INSERT INTO sandbox_rir_requests (rir, operation, object, prefix, asn, outcome, received_at)
       VALUES ($1, $2, $3, $4::cidr, $5, $6, $7) RETURNING id`,
      [this.rir, operation, c.kind, c.text, Number.isSafeInteger(c.asn) && c.asn >= 0 ? c.asn : null, outcome, now],
    );
    return String(row!.id);
  }

  /** The change as the registry reads it; a spec that cannot be addressed to this registry at all is a programming error. */
  private parse(spec: RegistryChangeSpec): Change {
    if (spec.rir !== this.rir) throw new TypeError(`a ${spec.rir} change was sent to the ${this.rir} gateway`);
    const parsed = parsePrefix(spec.prefix);
    if (!parsed.ok) throw new TypeError(`${parsed.error.code}: ${parsed.error.message}`);
    return { kind: spec.kind, prefix: parsed.value, text: formatPrefix(parsed.value), asn: spec.asn, customer: spec.customer };
  }
}
