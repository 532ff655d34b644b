import { Injectable } from '@nestjs/common';
import { Clock, ProblemError, Problems, Transactions, sqlState } from '@app/platform';
import { type Actor, AuditLog, canSeeOrg } from '@app/identity';
import { BlocksService } from '@app/inventory';
import { parsePrefix, parsePrefixOrThrow } from '@app/ipam';
import { type TakenRange, countFreeUnits } from './domain/free-units.js';
import { OPEN_STATUSES, type ListingTerms } from './domain/listing.js';
import { checkTerms, pricePerIp, unitPrefixLength, unitsTotal } from './domain/terms.js';
import { type ListingAction, transition } from './domain/transitions.js';
import { LISTING_COLUMNS, type ListingRow, type ListingView, toListingView } from './listing-row.js';

export interface CreateListingInput {
  readonly blockId: string;
  readonly terms: ListingTerms;
}

/** What the inventory context says when a broker's mandate ends (revoked or expired). */
export interface MandateEnded {
  readonly mandateId: string;
  readonly blockId: string;
  readonly brokerOrgId: string;
}

const notFound = () => Problems.notFound('The listing', 'LISTING.NOT_FOUND');

/** Listing use cases: create, read, pause / resume / withdraw, and withdrawal when a mandate ends. */
@Injectable()
export class ListingsService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly blocks: BlocksService,
  ) {}

  /**
   * Lists a verified block the actor holds, or brokers under a live mandate (whose id and
   * expiry the listing keeps). One open listing per block, kind and lister.
   */
  async create(actor: Actor, input: CreateListingInput, requestId?: string): Promise<ListingView> {
    return this.tx.tx(async (em) => {
      const authority = await this.blocks.listingAuthority(actor, input.blockId);
      const parsed = parsePrefix(authority.block.prefix);
      if (!parsed.ok) throw new Error(`block ${authority.block.id} has an unreadable prefix ${authority.block.prefix}`);
      const block = parsed.value;
      const problem = checkTerms(block, input.terms);
      if (problem) throw Problems.validation([{ field: `body.${problem.field}`, code: problem.code, message: problem.message }]);
      const now = await this.clock.now();
      const price = pricePerIp(input.terms);
      const units = unitsTotal(block, input.terms);
      let rows: ListingRow[];
      try {
        rows = await em.query(
          `INSERT INTO listings (block_id, lister_org_id, holder_org_id, listed_as, mandate_id, mandate_expires_at, kind, status,
                                 prefix, rir, country, price_minor, currency, unit_prefix_length, min_term_months,
                                 units_total, units_free, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $16)
           RETURNING ${LISTING_COLUMNS}`,
          [
            authority.block.id,
            actor.orgId,
            authority.block.holderOrgId,
            authority.as,
            authority.mandate?.id ?? null,
            authority.mandate?.expiresAt ?? null,
            input.terms.kind,
            authority.block.prefix,
            authority.block.rir,
            authority.block.country,
            price.amountMinor.toString(),
            price.currency,
            unitPrefixLength(block, input.terms),
            input.terms.kind === 'lease' ? input.terms.lease.minTermMonths : null,
            units,
            now,
          ],
        );
      } catch (err) {
        if (sqlState(err) === '23505' && constraintOf(err) === 'listings_one_open') {
          throw new ProblemError(
            409,
            'LISTING.DUPLICATE',
            'Listing already open',
            `Your organisation already has an active or paused ${input.terms.kind} listing of this block: change or withdraw that one`,
          );
        }
        throw err;
      }
      const row = rows[0]!;
      await this.audit.record(actor, {
        action: 'listing.created',
        orgId: row.lister_org_id,
        subject: { type: 'listing', id: row.id },
        details: { blockId: row.block_id, prefix: row.prefix, kind: row.kind, listedAs: row.listed_as, mandateId: row.mandate_id },
        requestId,
      });
      return toListingView(row);
    });
  }

  /**
   * Any organisation may read an active listing under a live authority; its lister (and
   * the platform) sees it in every status. Anything else is 404: existence would leak.
   */
  async get(actor: Actor, id: string): Promise<ListingView> {
    const [row]: ListingRow[] = await this.tx.manager().query(`SELECT ${LISTING_COLUMNS} FROM listings WHERE id = $1`, [id]);
    if (!row) throw notFound();
    if (canSeeOrg(actor, row.lister_org_id) || isOnMarket(row, await this.clock.now())) return toListingView(row);
    throw notFound();
  }

  /** pause, resume or withdraw, by the lister (or the platform); the table in domain/ decides. */
  async change(actor: Actor, id: string, action: Exclude<ListingAction, 'close'>, requestId?: string): Promise<ListingView> {
    return this.tx.tx(async (em) => {
      const [row]: ListingRow[] = await em.query(`SELECT ${LISTING_COLUMNS} FROM listings WHERE id = $1 FOR UPDATE`, [id]);
      if (!row || !canSeeOrg(actor, row.lister_org_id)) throw notFound();
      const next = transition(row.status, action);
      if (!next.ok) throw new ProblemError(409, next.code, 'Invalid transition', next.message, undefined, { status: row.status });
      const now = await this.clock.now();
      if (action === 'resume' && row.mandate_expires_at && row.mandate_expires_at <= now) {
        throw new ProblemError(409, 'LISTING.MANDATE_ENDED', 'Mandate ended', 'The mandate this listing was made under has expired: it can only be withdrawn');
      }
      const ends = !OPEN_STATUSES.includes(next.to);
      const [updated]: [ListingRow[], number] = await em.query(
        `UPDATE listings SET status = $2, updated_at = $3, ended_at = $4, end_reason = $5 WHERE id = $1 RETURNING ${LISTING_COLUMNS}`,
        [id, next.to, now, ends ? now : null, ends ? `${action} by lister` : null],
      );
      await this.audit.record(actor, {
        action: `listing.${next.to}`,
        orgId: row.lister_org_id,
        subject: { type: 'listing', id },
        details: { from: row.status, to: next.to },
        requestId,
      });
      return toListingView(updated[0]!);
    });
  }

  /** The block a listing offers (a plain read: for taking the block's lock before forLease). */
  async blockOf(listingId: string): Promise<string | null> {
    const [row]: { block_id: string }[] = await this.tx.manager().query('SELECT block_id FROM listings WHERE id = $1', [listingId]);
    return row?.block_id ?? null;
  }

  /**
   * The listing a lessee asks to lease from, locked FOR SHARE until the lease commits, so
   * that pausing or withdrawing it waits for the lease (and the lease sees the outcome).
   * 404 when the actor may not see it; 409 LISTING.NOT_ON_MARKET when it is visible but
   * cannot be leased from now; 422 LEASE.NOT_A_LEASE_LISTING for a sale listing.
   */
  async forLease(actor: Actor, id: string): Promise<ListingRow> {
    const em = this.tx.manager();
    if (!em.queryRunner?.isTransactionActive) throw new Error('ListingsService.forLease must run inside a transaction');
    const [row]: ListingRow[] = await em.query(`SELECT ${LISTING_COLUMNS} FROM listings WHERE id = $1 FOR SHARE`, [id]);
    const now = await this.clock.now();
    if (!row || !(canSeeOrg(actor, row.lister_org_id) || isOnMarket(row, now))) throw notFound();
    if (row.kind !== 'lease') {
      throw new ProblemError(422, 'LEASE.NOT_A_LEASE_LISTING', 'Not a lease listing', 'This listing offers the block for sale; leases come from lease listings', [
        { field: 'body.listingId', code: 'LEASE.NOT_A_LEASE_LISTING', message: 'is a sale listing' },
      ]);
    }
    if (!isOnMarket(row, now)) {
      throw new ProblemError(409, 'LISTING.NOT_ON_MARKET', 'Listing not on the market', `The listing is ${row.status}${row.status === 'active' ? ' but its mandate expired' : ''}: nothing can be leased from it now`, undefined, { status: row.status });
    }
    return row;
  }

  /**
   * Sets units_free on every open listing of a block from the space committed in it now
   * (the leases context calls this in the transaction that commits or releases space).
   */
  async recountFreeUnits(blockId: string, taken: readonly TakenRange[]): Promise<void> {
    const em = this.tx.manager();
    const rows: { id: string; prefix: string; unit_prefix_length: number; units_free: number }[] = await em.query(
      `SELECT id, prefix::text AS prefix, unit_prefix_length, units_free FROM listings WHERE block_id = $1 AND status IN ('active', 'paused')`,
      [blockId],
    );
    for (const row of rows) {
      const free = countFreeUnits(parsePrefixOrThrow(row.prefix), row.unit_prefix_length, taken);
      if (free !== row.units_free) await em.query('UPDATE listings SET units_free = $2 WHERE id = $1', [row.id, free]);
    }
  }

  /**
   * Withdraws every open listing made under a mandate that ended. Idempotent: a second
   * delivery finds nothing open under that mandate and changes nothing.
   */
  async withdrawForEndedMandate(m: MandateEnded): Promise<string[]> {
    return this.tx.tx(async (em) => {
      const now = await this.clock.now();
      const [rows]: [{ id: string; lister_org_id: string }[], number] = await em.query(
        `UPDATE listings SET status = 'withdrawn', updated_at = $4, ended_at = $4, end_reason = 'mandate ended'
          WHERE mandate_id = $1 AND block_id = $2 AND lister_org_id = $3 AND status IN ('active', 'paused')
          RETURNING id, lister_org_id`,
        [m.mandateId, m.blockId, m.brokerOrgId, now],
      );
      for (const row of rows) {
        await this.audit.record('system', {
          action: 'listing.withdrawn',
          orgId: row.lister_org_id,
          subject: { type: 'listing', id: row.id },
          details: { reason: 'mandate ended', mandateId: m.mandateId },
        });
      }
      return rows.map((r) => r.id);
    });
  }
}

/** On the market: active, and the broker's mandate (if any) not yet expired. */
export function isOnMarket(row: Pick<ListingRow, 'status' | 'mandate_expires_at'>, now: Date): boolean {
  return row.status === 'active' && (row.mandate_expires_at === null || row.mandate_expires_at > now);
}

function constraintOf(err: unknown): string | undefined {
  const e = err as { driverError?: { constraint?: string }; constraint?: string };
  return e?.driverError?.constraint ?? e?.constraint;
}
