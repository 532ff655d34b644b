import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EscrowService, type EscrowView } from '@app/escrow';
import { type Actor, AuditLog } from '@app/identity';
import { parsePrefixOrThrow } from '@app/ipam';
import { SpaceCommitments } from '@app/leases';
import { ListingsService } from '@app/listings';
import { MAX_AMOUNT_MINOR, type Money } from '@app/money';
import { Clock, ProblemError, Transactions, decodeCursor, timeIdCursor, toPage } from '@app/platform';
import { type ExposureLine, type RiskSnapshot, exposureByParty } from '@app/risk';
import { RIRS, type Rir, RegistryGateways, RegistryHandles } from '@app/registry';
import { type Actor as StageActor, type Stage, callOffTarget, isTerminal } from './domain/index.js';
import { TransferHistory } from './transfer-history.js';
import { TRANSFER_COLUMNS, type TransferEventRow, type TransferEventView, type TransferRow, type TransferView, toEventView, toTransferView } from './transfer-rows.js';

/** The platform's fee on a sale, in basis points of the price (2.5 %). */
export const TRANSFER_PLATFORM_FEE_BPS = 250;

export interface ProposeInput {
  readonly listingId: string;
  readonly pricePerIp: Money;
  readonly destinationRir: Rir;
  readonly brokerOrgId?: string;
  readonly brokerFeeBps?: number;
}

export interface DocumentInput {
  readonly kind: 'needs_justification' | 'pre_approval';
  readonly rir: Rir;
  readonly approvedSize: number;
  readonly issuedAt: Date;
  readonly expiresAt?: Date;
  readonly reference?: string;
}

export interface TransferDetail extends TransferView {
  readonly escrow: EscrowView | null;
  readonly events: readonly TransferEventView[];
  readonly risks: TransferEventView['risks'];
  readonly matrixVersion: string;
}

const notFound = (id: string) => new ProblemError(404, 'TRANSFER.NOT_FOUND', 'Transfer not found', `There is no transfer ${id} you may see`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Transfers as the parties see them (API.md "Transfers"): the buyer proposes against a sale
 * listing, the seller (the holder, or the broker who listed it) accepts, and the worker takes
 * the deal from there (TransferSteps). Either party may call the deal off before the money is
 * in, or dispute it; the platform resolves disputes. Every change goes through
 * TransferHistory, in one transaction with its event and risk placement.
 */
@Injectable()
export class TransfersService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly history: TransferHistory,
    private readonly listings: ListingsService,
    private readonly commitments: SpaceCommitments,
    private readonly handles: RegistryHandles,
    private readonly escrows: EscrowService,
    private readonly gateways: RegistryGateways,
  ) {}

  async propose(actor: Actor, input: ProposeInput): Promise<TransferDetail> {
    if (!RIRS.includes(input.destinationRir)) throw new ProblemError(422, 'TRANSFER.UNKNOWN_RIR', 'Unknown RIR', `${String(input.destinationRir)} is not an RIR`);
    const id = await this.tx.tx(async (em) => {
      const [listing]: { id: string; block_id: string; lister_org_id: string; holder_org_id: string; kind: string; status: string; prefix: string; rir: Rir; currency: string }[] =
        await em.query(`SELECT id, block_id, lister_org_id, holder_org_id, kind, status, host(prefix) || '/' || masklen(prefix) AS prefix, rir, currency FROM listings WHERE id = $1 FOR SHARE`, [
          input.listingId,
        ]);
      const onMarket = listing?.status === 'active';
      if (!listing || (!onMarket && actor.orgId !== listing.lister_org_id && !actor.isPlatform)) throw new ProblemError(404, 'LISTING.NOT_FOUND', 'Listing not found', `There is no listing ${input.listingId} you may see`);
      if (listing.kind !== 'sale') throw new ProblemError(422, 'TRANSFER.NOT_A_SALE_LISTING', 'Not a sale listing', 'Transfers are proposed against sale listings; lease listings are leased');
      if (!onMarket) throw new ProblemError(409, 'LISTING.NOT_ON_MARKET', 'Listing not on the market', `The listing is ${listing.status}`);
      if (actor.orgId === listing.holder_org_id || actor.orgId === listing.lister_org_id) throw new ProblemError(422, 'TRANSFER.OWN_LISTING', 'Own listing', 'An organisation cannot buy the space it offers');
      if (input.pricePerIp.currency !== listing.currency) {
        throw new ProblemError(422, 'TRANSFER.CURRENCY_MISMATCH', 'Wrong currency', `The listing asks in ${listing.currency}, not ${input.pricePerIp.currency}`);
      }
      const addresses = 2n ** BigInt(32 - parsePrefixLength(listing.prefix));
      const price = input.pricePerIp.amountMinor * addresses;
      if (price > MAX_AMOUNT_MINOR) throw new ProblemError(422, 'TRANSFER.PRICE_TOO_LARGE', 'Price too large', `${addresses} addresses at ${input.pricePerIp.amountMinor} is more than the platform handles`);
      const broker = input.brokerOrgId ?? null;
      const brokerFeeBps = input.brokerFeeBps ?? 0;
      if (broker === null && brokerFeeBps !== 0) throw new ProblemError(422, 'TRANSFER.BROKER_FEE_WITHOUT_BROKER', 'Broker fee without a broker', 'brokerFeeBps needs brokerOrgId');
      if (broker !== null && (broker === actor.orgId || broker === listing.holder_org_id)) throw new ProblemError(422, 'TRANSFER.BROKER_IS_PARTY', 'Broker is a party', 'The broker must be a third organisation');
      if (brokerFeeBps + TRANSFER_PLATFORM_FEE_BPS >= 10_000) throw new ProblemError(422, 'TRANSFER.FEES_TOO_HIGH', 'Fees too high', 'The fees must leave the seller a share');
      if (broker !== null) {
        const [org] = await em.query(`SELECT id FROM organisations WHERE id = $1 AND kind <> 'platform'`, [broker]);
        if (!org) throw new ProblemError(422, 'TRANSFER.UNKNOWN_BROKER', 'Unknown broker', `There is no organisation ${broker}`);
      }
      const [buyerHandle] = await this.handles.confirmedHandles(actor.orgId, input.destinationRir);
      if (!buyerHandle) {
        throw new ProblemError(422, 'TRANSFER.NO_BUYER_HANDLE', 'No account at the destination RIR', `Confirm your organisation's ${input.destinationRir} handle first: the registry transfers the block to it`);
      }
      const now = await this.clock.now();
      const [row]: TransferRow[] = await em.query(
        `INSERT INTO transfers (listing_id, block_id, prefix, seller_org_id, lister_org_id, buyer_org_id, broker_org_id, broker_fee_bps, platform_fee_bps,
                                currency, price_per_ip_minor, price_minor, source_rir, destination_rir, stage, stage_entered_at, buyer_handle, created_at, updated_at,
                                due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'proposed', $15, $16, $15, $15, $17) RETURNING ${TRANSFER_COLUMNS}`,
        [listing.id, listing.block_id, listing.prefix, listing.holder_org_id, listing.lister_org_id, actor.orgId, broker, brokerFeeBps, TRANSFER_PLATFORM_FEE_BPS,
          listing.currency, input.pricePerIp.amountMinor, price, listing.rir, input.destinationRir, now, buyerHandle, new Date(now.getTime() + 7 * 86_400_000)],
      );
      await this.history.first(em, row!, actor);
      await this.audit.record(actor, { action: 'transfer.proposed', orgId: actor.orgId, subject: { type: 'transfer', id: row!.id }, details: { listingId: listing.id, price: `${listing.currency} ${price}` } });
      return row!.id;
    });
    return this.get(actor, id);
  }

  /** The seller accepts: the block is committed to the deal (409 TRANSFER.SPACE_UNAVAILABLE when leased or sold), and the worker takes it on. */
  async accept(actor: Actor, id: string): Promise<TransferDetail> {
    await this.tx.tx(async (em) => {
      const blockId = await this.blockOf(em, id);
      if (blockId) await this.commitments.lockBlock(blockId);
      const row = await this.lock(em, actor, id);
      if (this.partyOf(actor, row) !== 'seller') throw new ProblemError(403, 'TRANSFER.NOT_THE_SELLER', 'Only the seller accepts', 'The holder of the block, or the broker who listed it, accepts');
      if (row.stage !== 'proposed') throw new ProblemError(409, 'TRANSFER.ILLEGAL_TRANSITION', 'Not possible at this stage', `The transfer is ${row.stage}`, undefined, { stage: row.stage });
      const now = await this.clock.now();
      const [leased]: { n: number }[] = await em.query(
        `SELECT count(*)::int AS n FROM space_commitments WHERE block_id = $1 AND kind = 'lease' AND released_at IS NULL`, [row.block_id],
      );
      if (leased!.n > 0) throw new ProblemError(409, 'TRANSFER.BLOCK_LEASED', 'Block has active leases', `The block has ${leased!.n} lease(s) holding space in it: it cannot be sold until they end`);
      const commitment = await this.commitments.tryCommit({ blockId: row.block_id, prefix: row.prefix, kind: 'sale', reference: row.id, from: now });
      if (!commitment) throw new ProblemError(409, 'TRANSFER.SPACE_UNAVAILABLE', 'Space committed elsewhere', 'The block is committed to another deal');
      await this.listings.recountFreeUnits(row.block_id, await this.commitments.committedRanges(row.block_id, now));
      const [sellerHandle] = await this.handles.confirmedHandles(row.seller_org_id, row.source_rir);
      await this.history.move(em, row, { to: 'agreed', by: 'seller', actor, patch: { commitment_id: commitment, ...(sellerHandle ? { seller_handle: sellerHandle } : {}) } });
      await this.audit.record(actor, { action: 'transfer.agreed', orgId: row.seller_org_id, subject: { type: 'transfer', id: row.id }, details: {} });
    });
    return this.get(actor, id);
  }

  /** Either party calls the deal off before the money is in: cancelled, or refunding when part of the price was paid. */
  async cancel(actor: Actor, id: string, reason?: string): Promise<TransferDetail> {
    await this.tx.tx(async (em) => {
      const row = await this.lock(em, actor, id);
      const party = this.partyOf(actor, row);
      if (party !== 'buyer' && party !== 'seller') throw new ProblemError(403, 'TRANSFER.NOT_A_PARTY', 'Only the parties cancel', 'The buyer or the seller cancels');
      const held = await this.heldMinor(em, row.id);
      const to = callOffTarget(row.stage, 'cancel', held);
      if (!to) throw new ProblemError(409, 'TRANSFER.CANNOT_CANCEL', 'Too late to cancel', `A transfer that is ${row.stage} can no longer be cancelled; dispute it instead`, undefined, { stage: row.stage });
      if (to === 'cancelled') await this.releaseSpace(em, row);
      await this.history.move(em, row, { to, by: party, actor, evidence: reason ? { reason } : {} });
      await this.audit.record(actor, { action: `transfer.${to}`, orgId: actor.orgId, subject: { type: 'transfer', id: row.id }, details: { reason: reason ?? null } });
    });
    return this.get(actor, id);
  }

  /** Either party disputes the deal: it freezes (the escrow too) until the platform resolves it. */
  async dispute(actor: Actor, id: string, reason: string): Promise<TransferDetail> {
    await this.tx.tx(async (em) => {
      const row = await this.lock(em, actor, id);
      const party = this.partyOf(actor, row);
      if (party !== 'buyer' && party !== 'seller') throw new ProblemError(403, 'TRANSFER.NOT_A_PARTY', 'Only the parties dispute', 'The buyer or the seller disputes');
      await this.history.move(em, row, { to: 'disputed', by: party, actor, evidence: { reason }, patch: { frozen_stage: row.stage }, nextStepAt: null });
      const [escrow] = await em.query('SELECT 1 FROM escrows WHERE deal_id = $1', [row.id]);
      if (escrow) await this.escrows.freeze(row.id, `transfer dispute: ${reason}`.slice(0, 200), actor);
      await this.audit.record(actor, { action: 'transfer.disputed', orgId: actor.orgId, subject: { type: 'transfer', id: row.id }, details: { reason, frozenStage: row.stage } });
    });
    return this.get(actor, id);
  }

  /** The platform resolves a dispute: release (the seller is paid) or refund (the buyer gets its money back; cancelled when nothing was paid in). */
  async resolve(actor: Actor, id: string, outcome: 'release' | 'refund', note?: string): Promise<TransferDetail> {
    if (!actor.isPlatform) throw new ProblemError(403, 'TRANSFER.PLATFORM_ONLY', 'Platform only', 'Disputes are resolved by the platform');
    await this.tx.tx(async (em) => {
      const row = await this.lock(em, actor, id);
      if (row.stage !== 'disputed') throw new ProblemError(409, 'TRANSFER.NOT_DISPUTED', 'Not disputed', `The transfer is ${row.stage}`);
      const held = await this.heldMinor(em, row.id);
      const to: Stage | null = outcome === 'release' ? 'released' : callOffTarget('disputed', 'resolve_refund', held);
      if (!to) throw new ProblemError(409, 'TRANSFER.ILLEGAL_TRANSITION', 'Not possible', 'Nothing to refund');
      const [escrow] = await em.query('SELECT 1 FROM escrows WHERE deal_id = $1', [row.id]);
      if (escrow) await this.escrows.unfreeze(row.id, actor, { resolution: outcome });
      if (to === 'released') await this.escrows.release(row.id, actor);
      if (to === 'cancelled') await this.releaseSpace(em, row);
      await this.history.move(em, row, { to, by: 'platform', actor, evidence: { resolution: outcome, note: note ?? null }, patch: { frozen_stage: null } });
    });
    return this.get(actor, id);
  }

  /** The buyer attaches a needs justification or pre-approval; a transfer waiting for documents is checked again at once. */
  async attachDocument(actor: Actor, id: string, d: DocumentInput): Promise<TransferDetail> {
    await this.tx.tx(async (em) => {
      const row = await this.lock(em, actor, id);
      if (this.partyOf(actor, row) !== 'buyer') throw new ProblemError(403, 'TRANSFER.NOT_THE_BUYER', 'Only the buyer', 'The buyer attaches its documents');
      if (isTerminal(row.stage)) throw new ProblemError(409, 'TRANSFER.ENDED', 'Transfer ended', `The transfer is ${row.stage}`);
      const now = await this.clock.now();
      await em.query(
        `INSERT INTO transfer_documents (transfer_id, kind, rir, approved_size, issued_at, expires_at, reference, attached_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [row.id, d.kind, d.rir, d.approvedSize, d.issuedAt, d.expiresAt ?? null, d.reference ?? null, actor.orgId, now],
      );
      if (row.stage === 'agreed') {
        const [[again]]: [TransferRow[], number] = await em.query(`UPDATE transfers SET next_step_at = $2, step_round = step_round + 1 WHERE id = $1 RETURNING ${TRANSFER_COLUMNS}`, [row.id, now]);
        await this.history.enqueue(em, again!);
      }
    });
    return this.get(actor, id);
  }

  /**
   * A party answers the RIR's request for information: the answer goes to the registry, and
   * the worker polls again at once.
   */
  async answerRegistry(actor: Actor, id: string, note: string): Promise<TransferDetail> {
    await this.tx.tx(async (em) => {
      const row = await this.lock(em, actor, id);
      const party = this.partyOf(actor, row);
      if (party !== 'buyer' && party !== 'seller' && party !== 'platform') throw new ProblemError(403, 'TRANSFER.NOT_A_PARTY', 'Only the parties', 'The buyer, the seller or the platform answers the registry');
      if (row.stage !== 'registry_submitted' || row.waiting_for === null || row.registry_ticket === null) {
        throw new ProblemError(409, 'TRANSFER.REGISTRY_NOT_ASKING', 'The registry asks nothing', `The transfer is ${row.stage} and the registry is not waiting for information`);
      }
      const status = await this.gateways.gatewayFor(row.source_rir).provideTransferInformation(row.registry_ticket, note);
      const now = await this.clock.now();
      const [[again]]: [TransferRow[], number] = await em.query(
        `UPDATE transfers SET waiting_for = NULL, next_step_at = $2, step_round = step_round + 1, updated_at = $2 WHERE id = $1 RETURNING ${TRANSFER_COLUMNS}`,
        [row.id, now],
      );
      await this.history.enqueue(em, again!);
      await this.audit.record(actor, { action: 'transfer.registry-answered', orgId: actor.orgId, subject: { type: 'transfer', id: row.id }, details: { note, registryStatus: status.status } });
    });
    return this.get(actor, id);
  }

  /**
   * Platform finance confirms a wire for the deal (the manual provider): it is posted to the
   * escrow once per reference, and a transfer awaiting funds whose escrow now holds the price
   * moves to funded at once.
   */
  async confirmFunding(actor: Actor, id: string, amount: Money, reference: string): Promise<TransferDetail> {
    if (!actor.isPlatform) throw new ProblemError(403, 'TRANSFER.PLATFORM_ONLY', 'Platform finance only', 'Platform finance confirms fundings');
    await this.tx.tx(async (em) => {
      const row = await this.lock(em, actor, id);
      const [escrow] = await em.query('SELECT 1 FROM escrows WHERE deal_id = $1', [row.id]);
      if (!escrow) throw new ProblemError(409, 'TRANSFER.NOT_AWAITING_FUNDS', 'No escrow yet', `The transfer is ${row.stage}: its escrow is not open yet`);
      const funding = await this.escrows.recordFunding({ dealId: row.id, amount, source: 'manual', externalId: reference }, actor);
      if (row.stage === 'awaiting_funds' && funding.escrow.status === 'funded') {
        await this.history.move(em, row, { to: 'funded', by: 'platform', actor, evidence: { reference, amount: `${amount.currency} ${amount.amountMinor}` } });
      }
    });
    return this.get(actor, id);
  }

  /** Transfers the organisation is a party to (the platform: all), newest first. */
  async list(actor: Actor, o: { stage?: Stage; limit: number; cursor?: string }): Promise<{ data: TransferView[]; nextCursor: string | null }> {
    const after = o.cursor ? decodeCursor(o.cursor, timeIdCursor) : null;
    const rows: TransferRow[] = await this.tx.manager().query(
      `SELECT ${TRANSFER_COLUMNS} FROM transfers
        WHERE ($1::uuid IS NULL OR buyer_org_id = $1 OR seller_org_id = $1 OR lister_org_id = $1 OR broker_org_id = $1)
          AND ($2::text IS NULL OR stage = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [actor.isPlatform ? null : actor.orgId, o.stage ?? null, after?.[0] ?? null, after?.[1] ?? null, o.limit + 1],
    );
    return toPage(rows, o.limit, (r) => [r.created_at.toISOString(), r.id], toTransferView);
  }

  /** Open exposure per party and risk over the latest placement of every live transfer the organisation is a party to (the platform: all). */
  async exposure(actor: Actor): Promise<ExposureLine[]> {
    const rows: { risks: RiskSnapshot }[] = await this.tx.manager().query(
      `SELECT e.risks FROM transfers t
         JOIN transfer_events e ON e.transfer_id = t.id AND e.seq = t.event_count
        WHERE t.stage NOT IN ('completed', 'policy_failed', 'refunded', 'cancelled')
          AND ($1::uuid IS NULL OR t.buyer_org_id = $1 OR t.seller_org_id = $1 OR t.lister_org_id = $1 OR t.broker_org_id = $1)`,
      [actor.isPlatform ? null : actor.orgId],
    );
    return exposureByParty(rows.map((r) => r.risks));
  }

  async get(actor: Actor, id: string): Promise<TransferDetail> {
    const em = this.tx.manager();
    const row = UUID.test(id) ? ((await em.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = $1`, [id])) as TransferRow[])[0] : undefined;
    if (!row || (!actor.isPlatform && this.partyOf(actor, row) === null)) throw notFound(id);
    const events: TransferEventRow[] = await em.query('SELECT * FROM transfer_events WHERE transfer_id = $1 ORDER BY seq', [id]);
    const views = events.map(toEventView);
    const last = views[views.length - 1]!;
    const escrow = await this.escrows.get(id).catch((err: unknown) => {
      if (err instanceof ProblemError && err.code === 'ESCROW.NOT_FOUND') return null;
      throw err;
    });
    return { ...toTransferView(row), escrow, events: views, risks: last.risks, matrixVersion: last.matrixVersion };
  }

  /** Which side of the deal the actor is on. */
  partyOf(actor: Actor, row: Pick<TransferRow, 'buyer_org_id' | 'seller_org_id' | 'lister_org_id' | 'broker_org_id'>): StageActor | 'broker' | null {
    if (actor.orgId === row.buyer_org_id) return 'buyer';
    if (actor.orgId === row.seller_org_id || actor.orgId === row.lister_org_id) return 'seller';
    if (row.broker_org_id !== null && actor.orgId === row.broker_org_id) return 'broker';
    return actor.isPlatform ? 'platform' : null;
  }

  private async lock(em: EntityManager, actor: Actor, id: string): Promise<TransferRow> {
    const [row]: TransferRow[] = UUID.test(id) ? await em.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = $1 FOR UPDATE`, [id]) : [];
    if (!row || (!actor.isPlatform && this.partyOf(actor, row) === null)) throw notFound(id);
    return row;
  }

  private async blockOf(em: EntityManager, id: string): Promise<string | null> {
    const [row]: { block_id: string }[] = UUID.test(id) ? await em.query('SELECT block_id FROM transfers WHERE id = $1', [id]) : [];
    return row?.block_id ?? null;
  }

  private async heldMinor(em: EntityManager, id: string): Promise<bigint> {
    const [e]: { funded_minor: bigint; outcome: string | null }[] = await em.query('SELECT funded_minor, outcome FROM escrows WHERE deal_id = $1', [id]);
    return e && e.outcome === null ? e.funded_minor : 0n;
  }

  /** Ends the deal's hold on the block (the listing's free units follow); an open, empty escrow is settled with it. */
  async releaseSpace(em: EntityManager, row: TransferRow): Promise<void> {
    const now = await this.clock.now();
    await this.commitments.lockBlock(row.block_id);
    if (row.commitment_id) await this.commitments.release(row.commitment_id, now, `transfer ${row.stage}`);
    await this.listings.recountFreeUnits(row.block_id, await this.commitments.committedRanges(row.block_id, now));
    const [escrow]: { outcome: string | null; funded_minor: bigint }[] = await em.query('SELECT outcome, funded_minor FROM escrows WHERE deal_id = $1', [row.id]);
    if (escrow && escrow.outcome === null && escrow.funded_minor === 0n) await this.escrows.refund(row.id);
  }
}

const parsePrefixLength = (prefix: string): number => parsePrefixOrThrow(prefix).length;
