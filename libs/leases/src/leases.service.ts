import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type Actor, AuditLog, orgScope } from '@app/identity';
import { type Prefix, addressCount, formatPrefix, lastAddress, parsePrefix, parsePrefixOrThrow } from '@app/ipam';
import { ListingsService } from '@app/listings';
import { MAX_AMOUNT_MINOR } from '@app/money';
import { Clock, type Page, type PageQuery, ProblemError, Problems, Transactions, decodeCursor, timeIdCursor, toPage } from '@app/platform';
import { checkLeaseTerms, leasePeriod } from './domain/lease-terms.js';
import type { LeaseStatus } from './domain/lifecycle.js';
import { freeUnits, unitOfBlock } from './domain/units.js';
import { LeaseHistory, partyOf } from './lease-history.js';
import { LeaseRegistry } from './lease-registry.js';
import {
  CHANGE_COLUMNS,
  LEASE_COLUMNS,
  type LeaseDetail,
  type LeaseEventRow,
  type LeaseRow,
  type LeaseView,
  type RegistryChangeRow,
  toChangeView,
  toEventView,
  toLeaseView,
} from './lease-row.js';
import { SpaceCommitments } from './space-commitments.js';

export interface CreateLeaseInput {
  readonly listingId: string;
  readonly lesseeAsn: number;
  readonly termMonths: number;
  readonly autoRenew: boolean;
  readonly noticeDays: number;
  /** A unit of the listing's block; without it the lowest free unit is taken. */
  readonly prefix?: string;
}

export interface LeaseFilter {
  readonly status?: LeaseStatus;
  /** Only the leases the actor's organisation takes (lessee) or gives (lessor or holder). */
  readonly as?: 'lessee' | 'lessor';
}

const notFound = () => Problems.notFound('The lease', 'LEASE.NOT_FOUND');
const unavailable = (detail: string) => new ProblemError(409, 'LEASE.UNIT_UNAVAILABLE', 'Unit unavailable', detail);

/** How many free units a request tries, lowest first, before answering 409 (the block lock makes the first one win unless something else committed space without it). */
const CANDIDATES = 3;

/** Lease use cases: take a unit, read, give notice, terminate, suspend and resume. */
@Injectable()
export class LeasesService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly listings: ListingsService,
    private readonly commitments: SpaceCommitments,
    private readonly history: LeaseHistory,
    private readonly registry: LeaseRegistry,
  ) {}

  /**
   * Leases a unit of a lease listing for the actor's organisation: the unit asked for, or
   * the lowest one free. The unit is committed in space_commitments, whose constraint
   * decides races (409 LEASE.UNIT_UNAVAILABLE); the registry changes start as jobs.
   */
  async create(actor: Actor, input: CreateLeaseInput, requestId?: string): Promise<LeaseView> {
    return this.tx.tx(async (em) => {
      // The block's lock first, then the listing's row: whoever holds the lock updates the
      // listing's free units, which must not wait behind a FOR SHARE of a request queued on the lock.
      const blockId = await this.listings.blockOf(input.listingId);
      if (blockId) await this.commitments.lockBlock(blockId);
      const listing = await this.listings.forLease(actor, input.listingId);
      if (listing.lister_org_id === actor.orgId || listing.holder_org_id === actor.orgId) {
        throw new ProblemError(422, 'LEASE.OWN_LISTING', 'Own listing', 'An organisation cannot lease space it lists or holds', [
          { field: 'body.listingId', code: 'LEASE.OWN_LISTING', message: 'is a listing of your own space' },
        ]);
      }
      const now = await this.clock.now();
      const terms = checkLeaseTerms({ termMonths: input.termMonths, noticeDays: input.noticeDays, minTermMonths: listing.min_term_months!, startsAt: now });
      if (!terms.ok) throw Problems.validation([{ field: `body.${terms.field}`, code: terms.code, message: terms.message }]);

      const block = parsePrefixOrThrow(listing.prefix);
      const unitLength = listing.unit_prefix_length;
      const asked = input.prefix === undefined ? null : this.askedUnit(block, unitLength, input.prefix);
      const size = BigInt(addressCount({ first: 0, length: unitLength }));
      const monthly = listing.price_minor * size;
      if (monthly > MAX_AMOUNT_MINOR) {
        throw new ProblemError(422, 'LEASE.PRICE_TOO_LARGE', 'Price too large', `A unit of this listing would cost ${monthly} minor units a month, more than the ${MAX_AMOUNT_MINOR} the platform handles`);
      }

      const leaseId = randomUUID();
      const taken = await this.commitments.committedRanges(listing.block_id, now);
      const candidates = asked ? [asked] : freeUnits(block, unitLength, taken, CANDIDATES);
      let unit: Prefix | null = null;
      let commitmentId: string | null = null;
      for (const candidate of candidates) {
        commitmentId = await this.commitments.tryCommit({ blockId: listing.block_id, prefix: formatPrefix(candidate), kind: 'lease', reference: leaseId, from: now });
        if (commitmentId) {
          unit = candidate;
          break;
        }
      }
      if (!unit || !commitmentId) {
        throw unavailable(
          asked
            ? `${formatPrefix(asked)} is committed to someone else for part of that period`
            : `Every /${unitLength} unit of ${listing.prefix} is committed for that period`,
        );
      }

      const period = leasePeriod(now, input.termMonths, input.noticeDays);
      const [lease]: LeaseRow[] = await em.query(
        `INSERT INTO leases (id, listing_id, block_id, lessor_org_id, holder_org_id, lessee_org_id, prefix, rir, lessee_asn, term_months,
                             auto_renew, notice_days, price_minor, monthly_minor, currency, status, starts_at, ends_at, notice_deadline,
                             commitment_id, version, created_at, updated_at, next_bill_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::cidr, $8, $9, $10, $11, $12, $13, $14, $15, 'provisioning', $16, $17, $18, $19, 1, $16, $16, $16)
         RETURNING ${LEASE_COLUMNS}`,
        [
          leaseId,
          listing.id,
          listing.block_id,
          listing.lister_org_id,
          listing.holder_org_id,
          actor.orgId,
          formatPrefix(unit),
          listing.rir,
          input.lesseeAsn,
          input.termMonths,
          input.autoRenew,
          input.noticeDays,
          listing.price_minor.toString(),
          monthly.toString(),
          listing.currency,
          period.startsAt,
          period.endsAt,
          period.noticeDeadline,
          commitmentId,
        ],
      );
      await this.history.created(lease!, actor, { listingId: listing.id, unit: formatPrefix(unit), asked: input.prefix ?? null });
      await this.registry.schedule(lease!, 'provision');
      await this.listings.recountFreeUnits(listing.block_id, [...taken, { first: unit.first, last: lastAddress(unit) }]);
      await this.audit.record(actor, {
        action: 'lease.created',
        orgId: actor.orgId,
        subject: { type: 'lease', id: leaseId },
        details: { listingId: listing.id, prefix: formatPrefix(unit), lesseeAsn: input.lesseeAsn, termMonths: input.termMonths },
        requestId,
      });
      return toLeaseView(lease!);
    });
  }

  /** The lease with its events, registry changes and risks now; for its parties and the platform. */
  async get(actor: Actor, id: string): Promise<LeaseDetail> {
    const em = this.tx.manager();
    const lease = await this.visible(actor, id);
    const events: LeaseEventRow[] = await em.query(
      'SELECT seq, event, from_status, to_status, actor, at, evidence, risks FROM lease_events WHERE lease_id = $1 ORDER BY seq',
      [id],
    );
    const changes: RegistryChangeRow[] = await em.query(
      `SELECT ${CHANGE_COLUMNS} FROM lease_registry_changes WHERE lease_id = $1 ORDER BY phase DESC, change`,
      [id],
    );
    const risks = await this.history.risks(lease);
    return {
      ...toLeaseView(lease),
      events: events.map(toEventView),
      registryChanges: changes.map(toChangeView),
      risks: risks.risks,
      riskMatrixVersion: risks.matrixVersion,
    };
  }

  /** The leases the actor's organisation is party to (every lease for the platform), newest first. */
  async list(actor: Actor, filter: LeaseFilter, page: PageQuery): Promise<Page<LeaseView>> {
    const after = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const org = orgScope(actor);
    const side =
      org === null
        ? 'TRUE'
        : filter.as === 'lessee'
          ? 'lessee_org_id = $1'
          : filter.as === 'lessor'
            ? '(lessor_org_id = $1 OR holder_org_id = $1)'
            : '(lessee_org_id = $1 OR lessor_org_id = $1 OR holder_org_id = $1)';
    const rows: LeaseRow[] = await this.tx.manager().query(
      `SELECT ${LEASE_COLUMNS} FROM leases
        WHERE ${side} AND ($1::uuid IS NULL OR TRUE) AND ($2::text IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [org, filter.status ?? null, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, (r) => [r.created_at.toISOString(), r.id], toLeaseView);
  }

  /**
   * Notice by either party (or the platform) before the notice deadline: the lease will not
   * renew and ends at the end of its term.
   */
  async notice(actor: Actor, id: string, reason: string | undefined, requestId?: string): Promise<LeaseView> {
    return this.change(actor, id, requestId, async (lease, party, now) => {
      if (lease.status !== 'active' && lease.status !== 'suspended') {
        throw new ProblemError(409, 'LEASE.INVALID_TRANSITION', 'Notice not possible', `A lease that is ${lease.status} cannot be given notice`, undefined, { status: lease.status });
      }
      if (now >= lease.notice_deadline) {
        throw new ProblemError(
          409,
          'LEASE.NOTICE_TOO_LATE',
          'Notice deadline passed',
          `Notice for this term had to be given before ${lease.notice_deadline.toISOString()}; the lease ${lease.auto_renew ? 'has renewed' : 'ends at ' + lease.ends_at.toISOString()}`,
          undefined,
          { noticeDeadline: lease.notice_deadline.toISOString() },
        );
      }
      return this.history.apply(lease, 'notice', actor, {
        evidence: { reason: reason ?? null, endsAt: lease.ends_at.toISOString() },
        patch: { notice_given_at: now, notice_given_by: party, end_reason: 'notice' },
      });
    });
  }

  /** Ends the lease now (either party, or the platform): its registry changes are undone at once. */
  async terminate(actor: Actor, id: string, reason: string, requestId?: string): Promise<LeaseView> {
    return this.change(actor, id, requestId, async (lease) => {
      const next = await this.history.apply(lease, 'terminate', actor, { evidence: { reason }, patch: { end_reason: 'terminated' } });
      await this.registry.schedule(next, 'deprovision');
      return next;
    });
  }

  /** Suspends an active lease (the lessor, e.g. over abuse or non-payment, or the platform). */
  async suspend(actor: Actor, id: string, reason: string, requestId?: string): Promise<LeaseView> {
    return this.change(actor, id, requestId, async (lease, party) => {
      if (party === 'lessee') throw new ProblemError(403, 'LEASE.LESSOR_ONLY', 'Lessor only', 'Only the lessor or the platform can suspend a lease');
      return this.history.apply(lease, 'suspend', actor, { evidence: { reason } });
    });
  }

  async resume(actor: Actor, id: string, reason: string | undefined, requestId?: string): Promise<LeaseView> {
    return this.change(actor, id, requestId, async (lease, party) => {
      if (party === 'lessee') throw new ProblemError(403, 'LEASE.LESSOR_ONLY', 'Lessor only', 'Only the lessor or the platform can resume a lease');
      return this.history.apply(lease, 'resume', actor, { evidence: { reason: reason ?? null } });
    });
  }

  private async change(
    actor: Actor,
    id: string,
    requestId: string | undefined,
    work: (lease: LeaseRow, party: 'lessee' | 'lessor' | 'platform', now: Date) => Promise<LeaseRow>,
  ): Promise<LeaseView> {
    return this.tx.tx(async (em) => {
      const [lease]: LeaseRow[] = await em.query(`SELECT ${LEASE_COLUMNS} FROM leases WHERE id = $1 FOR UPDATE`, [id]);
      const party = lease ? partyOf(actor, lease) : null;
      if (!lease || !party) throw notFound();
      const next = await work(lease, party, await this.clock.now());
      await this.audit.record(actor, {
        action: `lease.${next.status}`,
        orgId: lease.lessee_org_id,
        subject: { type: 'lease', id },
        details: { from: lease.status, to: next.status, party },
        requestId,
      });
      return toLeaseView(next);
    });
  }

  private async visible(actor: Actor, id: string): Promise<LeaseRow> {
    const [lease]: LeaseRow[] = await this.tx.manager().query(`SELECT ${LEASE_COLUMNS} FROM leases WHERE id = $1`, [id]);
    if (!lease || !partyOf(actor, lease)) throw notFound();
    return lease;
  }

  private askedUnit(block: Prefix, unitLength: number, text: string): Prefix {
    const parsed = parsePrefix(text);
    if (!parsed.ok) {
      const { code, message, suggestion } = parsed.error;
      throw new ProblemError(422, code, 'Invalid prefix', message, [{ field: 'body.prefix', code, message }], suggestion ? { suggestion } : undefined);
    }
    const fits = unitOfBlock(block, unitLength, parsed.value);
    if (!fits.ok) throw new ProblemError(422, fits.code, 'Not a unit of this listing', fits.message, [{ field: 'body.prefix', code: fits.code, message: fits.message }]);
    return parsed.value;
  }
}
