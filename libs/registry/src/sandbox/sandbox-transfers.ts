import { Injectable } from '@nestjs/common';
import { formatPrefix, parsePrefix } from '@app/ipam';
import { Clock, type Page, type PageQuery, Transactions, decodeCursor, timeIdCursor, toPage } from '@app/platform';
import type { EntityManager } from 'typeorm';
import { HANDLE_PATTERN, RIR_HOME_COUNTRY, type Rir, isRir, normaliseHandle } from '../domain/rir.js';
import { type SandboxTransferState, type TransferAnswer, nextTransferStep, scriptedReason, transferScript } from '../domain/transfer-script.js';
import {
  type RegistryTransferStatus,
  type TransferRequest,
  type TransferStatus,
  type TransferSubmission,
  UnknownTransferTicketError,
} from '../gateway/registry-gateway.js';
import { networkHandle } from './rdap-render.js';
import { DEFAULT_NETWORK_TYPE } from './sandbox-types.js';

interface TransferDbRow {
  id: string;
  reference: string;
  prefix: string;
  source_rir: Rir;
  destination_rir: Rir;
  from_handle: string;
  to_handle: string;
  status: SandboxTransferState;
  answer: TransferAnswer;
  answered_by: Rir;
  reason: string | null;
  information: string | null;
  requested_at: Date;
  decide_after: Date;
  decided_at: Date | null;
  completed_at: Date | null;
  info_provided_at: Date | null;
}

const COLUMNS = `id, reference, prefix::text, source_rir, destination_rir, from_handle, to_handle, status, answer, answered_by, reason,
  information, requested_at, decide_after, decided_at, completed_at, info_provided_at`;
const OPEN = `('submitted', 'info_requested', 'approved')`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_INFORMATION = 4000;

/** A request as the registry reads it (normalised). */
interface Request {
  readonly reference: string;
  readonly text: string;
  readonly sourceRir: Rir;
  readonly destinationRir: Rir;
  readonly fromHandle: string;
  readonly toHandle: string;
}

/** A transfer request as the sandbox admin sees it (GET /v1/sandbox/registry/transfers). */
export interface SandboxTransferView {
  ticket: string;
  reference: string;
  prefix: string;
  sourceRir: Rir;
  destinationRir: Rir;
  fromHandle: string;
  toHandle: string;
  status: SandboxTransferState;
  /** What the registry answers at decideAfter, and which registry's script that is. */
  answer: TransferAnswer;
  answeredBy: Rir;
  reason: string | null;
  requestedAt: string;
  decideAfter: string;
  decidedAt: string | null;
  completedAt: string | null;
  infoProvidedAt: string | null;
}

/**
 * The stand-in RIRs' transfer desk, behind SandboxRegistryGateway's transfer methods.
 *
 * - Submission checks the request as an RIR would (the seller is the registrant of all of the
 *   space at the source RIR, the buyer has an account at the destination RIR, no other
 *   transfer of the space is open) and refuses it on receipt otherwise. An accepted request
 *   takes its answer and delay from the scripted behaviour then (transferScript: both RIRs
 *   of an inter-RIR transfer), so that a script changed later does not change it.
 * - It is decided lazily, on the first status read at or after decide_after by the sandbox
 *   clock; an approved request completes on the next status read (nextTransferStep): the
 *   space moves to the buyer's account at the destination RIR, and RDAP shows the buyer as
 *   registrant with a "transfer" event (the registration event stays the original one).
 *   RDAP reads never move anything: until someone asks for the status, the seller holds it.
 * - A transfer of a whole network moves that network. A more specific prefix of a network
 *   becomes a network of its own under the buyer, and the rest stays with the seller in the
 *   covering network: RDAP answers the most specific network, so the buyer's for the
 *   transferred space. Networks nested in the transferred space (the seller's
 *   sub-assignments) move with it.
 *
 * Unlike the lease-change writes (which commit on their own, as an external system's would),
 * everything here joins the caller's ambient transaction (Transactions.tx): the worker's step
 * records the registry's answer in the same commit as the sandbox's own state, so the two
 * never disagree. The reference still makes submission idempotent, as a live RIR's must be.
 */
@Injectable()
export class SandboxTransfers {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
  ) {}

  async submit(rir: Rir, request: TransferRequest): Promise<TransferSubmission> {
    const r = parseRequest(rir, request);
    return this.tx.tx(async (em) => {
      const existing = await byReference(em, r.reference);
      if (existing) return resubmitted(rir, existing, r);
      const now = await this.clock.now();
      const refusal = await intakeProblem(em, r);
      if (refusal) return this.refuse(em, rir, r, refusal, now);

      const script = await scriptFor(em, r.sourceRir, r.destinationRir);
      const [row]: TransferDbRow[] = await em.query(
        // DO NOTHING without a target covers both the reference (a concurrent submission of the
        // same request) and the one-open-transfer exclusion, so the caller's transaction never aborts.
        `INSERT INTO sandbox_rir_transfers (reference, prefix, source_rir, destination_rir, from_handle, to_handle, status, answer, answered_by, requested_at, decide_after)
         VALUES ($1, $2::cidr, $3, $4, $5, $6, 'submitted', $7, $8, $9, $10)
         ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
        [r.reference, r.text, r.sourceRir, r.destinationRir, r.fromHandle, r.toHandle, script.answer, script.rir, now, new Date(now.getTime() + script.delayMs)],
      );
      if (row) return { kind: 'submitted', ticket: row.id, alreadySubmitted: false, evidence: evidenceOf(rir, row) };
      const raced = await byReference(em, r.reference);
      if (raced) return resubmitted(rir, raced, r);
      return this.refuse(em, rir, r, `a transfer of space overlapping ${r.text} is already in progress at the registry`, now);
    });
  }

  async status(rir: Rir, ticket: string): Promise<TransferStatus> {
    return this.tx.tx(async (em) => {
      const row = await locked(em, rir, ticket);
      const now = await this.clock.now();
      const step = nextTransferStep({ status: row.status, answer: row.answer, decideAfter: row.decide_after }, now);
      if (step.kind === 'none') return statusOf(rir, row);
      if (step.kind === 'decide') {
        const reason = step.status === 'approved' ? null : scriptedReason(row.answer === 'reject' ? 'reject' : 'request_info', row.answered_by, row.prefix);
        const [[decided]]: [TransferDbRow[], number] = await em.query(
          `UPDATE sandbox_rir_transfers SET status = $2, decided_at = greatest($3::timestamptz, requested_at), reason = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
          [row.id, step.status, now, reason],
        );
        return statusOf(rir, decided!);
      }
      const [[completed]]: [TransferDbRow[], number] = await em.query(
        `UPDATE sandbox_rir_transfers SET status = 'completed', completed_at = greatest($2::timestamptz, decided_at) WHERE id = $1 RETURNING ${COLUMNS}`,
        [row.id, now],
      );
      await moveSpace(em, completed!);
      return statusOf(rir, completed!);
    });
  }

  async provideInformation(rir: Rir, ticket: string, note: string): Promise<TransferStatus> {
    const information = note.trim();
    if (information.length === 0 || information.length > MAX_INFORMATION) {
      throw new TypeError(`the information for the registry must be 1 to ${MAX_INFORMATION} characters`);
    }
    return this.tx.tx(async (em) => {
      const row = await locked(em, rir, ticket);
      if (row.status !== 'info_requested') return statusOf(rir, row);
      const now = await this.clock.now();
      // The registry's next answer follows its script now, after its delay from now.
      const script = await scriptFor(em, row.source_rir, row.destination_rir);
      const [[pending]]: [TransferDbRow[], number] = await em.query(
        `UPDATE sandbox_rir_transfers SET status = 'submitted', answer = $2, answered_by = $3, information = $4,
                info_provided_at = greatest($5::timestamptz, requested_at), decide_after = greatest($6::timestamptz, requested_at)
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [row.id, script.answer, script.rir, information, now, new Date(now.getTime() + script.delayMs)],
      );
      return statusOf(rir, pending!);
    });
  }

  /** The requests the stand-in RIRs received, newest first (a read: nothing is decided here). */
  async list(page: PageQuery, reference?: string): Promise<Page<SandboxTransferView>> {
    const before = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const rows: TransferDbRow[] = await this.tx.manager().query(
      `SELECT ${COLUMNS} FROM sandbox_rir_transfers
        WHERE ($1::text IS NULL OR reference = $1)
          AND ($2::timestamptz IS NULL OR (requested_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY requested_at DESC, id DESC LIMIT $4`,
      [reference ?? null, before?.[0] ?? null, before?.[1] ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, (r) => [r.requested_at.toISOString(), r.id], toView);
  }

  /** Records a request refused on receipt, so that a resubmission answers the same. */
  private async refuse(em: EntityManager, rir: Rir, r: Request, reason: string, now: Date): Promise<TransferSubmission> {
    const [row]: TransferDbRow[] = await em.query(
      `INSERT INTO sandbox_rir_transfers (reference, prefix, source_rir, destination_rir, from_handle, to_handle, status, answer, answered_by, reason,
                                          requested_at, decide_after, decided_at)
       VALUES ($1, $2::cidr, $3, $4, $5, $6, 'rejected', 'reject', $7, $8, $9, $9, $9)
       ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
      [r.reference, r.text, r.sourceRir, r.destinationRir, r.fromHandle, r.toHandle, rir, reason, now],
    );
    if (row) return { kind: 'rejected', reason, evidence: evidenceOf(rir, row) };
    return resubmitted(rir, (await byReference(em, r.reference))!, r);
  }
}

/** The request as the registry reads it; one that cannot be addressed to this registry at all is a programming error. */
function parseRequest(rir: Rir, q: TransferRequest): Request {
  if (!isRir(q.sourceRir) || !isRir(q.destinationRir)) throw new TypeError(`${String(q.sourceRir)} -> ${String(q.destinationRir)}: not RIRs`);
  if (rir !== q.sourceRir && rir !== q.destinationRir) throw new TypeError(`a ${q.sourceRir} -> ${q.destinationRir} transfer was sent to the ${rir} gateway`);
  const parsed = parsePrefix(q.prefix);
  if (!parsed.ok) throw new TypeError(`${parsed.error.code}: ${parsed.error.message}`);
  for (const handle of [q.fromHandle, q.toHandle]) {
    if (!HANDLE_PATTERN.test(handle)) throw new TypeError(`${JSON.stringify(handle)} is not a registry handle`);
  }
  if (q.reference.length < 1 || q.reference.length > 200) throw new TypeError('a transfer reference has 1 to 200 characters');
  return {
    reference: q.reference,
    text: formatPrefix(parsed.value),
    sourceRir: q.sourceRir,
    destinationRir: q.destinationRir,
    fromHandle: normaliseHandle(q.fromHandle),
    toHandle: normaliseHandle(q.toHandle),
  };
}

async function byReference(em: EntityManager, reference: string): Promise<TransferDbRow | null> {
  const [row]: TransferDbRow[] = await em.query(`SELECT ${COLUMNS} FROM sandbox_rir_transfers WHERE reference = $1`, [reference]);
  return row ?? null;
}

/** A request under a reference the registry already holds: the first answer again, never a second request. */
function resubmitted(rir: Rir, row: TransferDbRow, r: Request): TransferSubmission {
  const same =
    row.prefix === r.text &&
    row.source_rir === r.sourceRir &&
    row.destination_rir === r.destinationRir &&
    row.from_handle === r.fromHandle &&
    row.to_handle === r.toHandle;
  if (!same) throw new TypeError(`the transfer reference ${r.reference} was used for another request (${row.prefix} from ${row.from_handle} to ${row.to_handle})`);
  if (row.status === 'rejected') return { kind: 'rejected', reason: row.reason!, evidence: evidenceOf(rir, row) };
  return { kind: 'submitted', ticket: row.id, alreadySubmitted: true, evidence: evidenceOf(rir, row) };
}

/** Why the registry refuses the request on receipt, or null. Locks the covering network against a concurrent move. */
async function intakeProblem(em: EntityManager, r: Request): Promise<string | null> {
  const src = r.sourceRir;
  const [base]: { prefix: string; rir: Rir; holder_handle: string }[] = await em.query(
    `SELECT prefix::text, rir, holder_handle FROM sandbox_rir_resources
      WHERE prefix >>= $1::cidr AND customer_handle IS NULL ORDER BY masklen(prefix) DESC LIMIT 1 FOR UPDATE`,
    [r.text],
  );
  if (!base) return `the ${src} registry has no record of a network covering ${r.text}`;
  if (base.rir !== src) return `${r.text} is registered at ${base.rir} (in ${base.prefix}), not at ${src}`;
  if (base.holder_handle !== r.fromHandle) return `${r.fromHandle} is not the registrant of ${r.text} at ${src}`;
  const [other]: { prefix: string }[] = await em.query(
    `SELECT prefix::text FROM sandbox_rir_resources WHERE prefix << $1::cidr AND (holder_handle <> $2 OR rir <> $3) ORDER BY prefix LIMIT 1`,
    [r.text, r.fromHandle, src],
  );
  if (other) return `part of ${r.text} (${other.prefix}) is not registered to ${r.fromHandle} at ${src}`;
  const [buyer]: { rir: Rir }[] = await em.query('SELECT rir FROM sandbox_rir_entities WHERE handle = $1', [r.toHandle]);
  if (!buyer) return `the ${r.destinationRir} registry has no account ${r.toHandle}`;
  if (buyer.rir !== r.destinationRir) return `${r.toHandle} is an account at ${buyer.rir}, not at ${r.destinationRir}`;
  if (r.toHandle === r.fromHandle) return `${r.fromHandle} already holds ${r.text}`;
  const [open]: { prefix: string }[] = await em.query(`SELECT prefix::text FROM sandbox_rir_transfers WHERE prefix && $1::cidr AND status IN ${OPEN} LIMIT 1`, [r.text]);
  if (open) return `a transfer of ${open.prefix} is already in progress at the registry`;
  return null;
}

async function scriptFor(em: EntityManager, source: Rir, destination: Rir) {
  const rows: { rir: Rir; transfer: TransferAnswer; delay_ms: number }[] = await em.query(
    'SELECT rir, transfer, delay_ms FROM sandbox_rir_behaviour WHERE rir IN ($1, $2)',
    [source, destination],
  );
  const of = (rir: Rir) => {
    const row = rows.find((b) => b.rir === rir);
    if (!row) throw new Error(`sandbox_rir_behaviour has no row for ${rir}`);
    return { rir, answer: row.transfer, delayMs: row.delay_ms };
  };
  return transferScript(of(source), of(destination));
}

async function locked(em: EntityManager, rir: Rir, ticket: string): Promise<TransferDbRow> {
  // Checked before the query: a malformed uuid would abort the caller's transaction.
  const [row]: TransferDbRow[] = UUID.test(ticket) ? await em.query(`SELECT ${COLUMNS} FROM sandbox_rir_transfers WHERE id = $1 FOR UPDATE`, [ticket]) : [];
  if (!row || (row.source_rir !== rir && row.destination_rir !== rir)) {
    throw new UnknownTransferTicketError(`the ${rir} registry has no transfer request ${JSON.stringify(ticket.slice(0, 80))}`);
  }
  return row;
}

/**
 * Completes a transfer: the space becomes the buyer's at the destination RIR, with a transfer
 * event at its completion; the registration date stays the space's first registration. An
 * inter-RIR move takes the destination's network type and country, as it re-registers there.
 */
async function moveSpace(em: EntityManager, t: TransferDbRow): Promise<void> {
  const now = t.completed_at!;
  const interRir = t.source_rir !== t.destination_rir;
  const [base]: { prefix: string; type: string; country: string; registered_at: Date }[] = await em.query(
    `SELECT prefix::text, type, country, registered_at FROM sandbox_rir_resources
      WHERE prefix >>= $1::cidr AND customer_handle IS NULL ORDER BY masklen(prefix) DESC LIMIT 1 FOR UPDATE`,
    [t.prefix],
  );
  const type = interRir || !base ? DEFAULT_NETWORK_TYPE[t.destination_rir] : base.type;
  const country = interRir || !base ? RIR_HOME_COUNTRY[t.destination_rir] : base.country;
  // Upsert by prefix: the whole network when it is exactly the prefix; otherwise a new network
  // carved out of the covering one (a sub-assignment of exactly the space stops being one).
  await em.query(
    `INSERT INTO sandbox_rir_resources (prefix, rir, holder_handle, name, type, country, registered_at, updated_at, last_transferred_at)
     VALUES ($1::cidr, $2, $3, $4, $5, $6, $7, $8, $8)
     ON CONFLICT (prefix) DO UPDATE SET rir = EXCLUDED.rir, holder_handle = EXCLUDED.holder_handle, name = EXCLUDED.name, type = EXCLUDED.type,
       country = EXCLUDED.country, updated_at = EXCLUDED.updated_at, last_transferred_at = EXCLUDED.last_transferred_at,
       customer_handle = NULL, customer_name = NULL, origin_asn = NULL`,
    [t.prefix, t.destination_rir, t.to_handle, `${t.to_handle}-NET`, type, country, base?.registered_at ?? now, now],
  );
  await em.query(
    `UPDATE sandbox_rir_resources SET rir = $2, holder_handle = $3, updated_at = $4, last_transferred_at = $4
      WHERE prefix << $1::cidr AND holder_handle = $5`,
    [t.prefix, t.destination_rir, t.to_handle, now, t.from_handle],
  );
}

const STATUS: Readonly<Record<SandboxTransferState, RegistryTransferStatus>> = {
  submitted: 'pending',
  info_requested: 'info_requested',
  approved: 'approved',
  completed: 'completed',
  rejected: 'rejected',
};

function statusOf(rir: Rir, row: TransferDbRow): TransferStatus {
  const status = STATUS[row.status];
  const reason = status === 'rejected' || status === 'info_requested' ? (row.reason ?? undefined) : undefined;
  return { status, ...(reason ? { reason } : {}), evidence: evidenceOf(rir, row) };
}

/** What the registry answered, small and JSON-able, for the transfer's event history. */
function evidenceOf(rir: Rir, row: TransferDbRow): Record<string, unknown> {
  return {
    registry: 'sandbox',
    rir,
    ticket: row.id,
    reference: row.reference,
    prefix: row.prefix,
    sourceRir: row.source_rir,
    destinationRir: row.destination_rir,
    fromHandle: row.from_handle,
    toHandle: row.to_handle,
    state: row.status,
    requestedAt: row.requested_at.toISOString(),
    ...(row.status === 'submitted' ? { decideAfter: row.decide_after.toISOString() } : {}),
    decidedAt: row.decided_at?.toISOString() ?? null,
    completedAt: row.completed_at?.toISOString() ?? null,
    ...(row.info_provided_at ? { infoProvidedAt: row.info_provided_at.toISOString() } : {}),
    ...(row.status === 'rejected' || row.status === 'info_requested' ? { reason: row.reason } : {}),
    ...(row.status === 'completed' ? { network: movedNetwork(row) } : {}),
  };
}

/** Where a completed transfer put the space: the network RDAP now answers for it. */
function movedNetwork(row: TransferDbRow): Record<string, unknown> {
  const parsed = parsePrefix(row.prefix);
  return {
    handle: parsed.ok ? networkHandle(parsed.value) : null,
    prefix: row.prefix,
    rir: row.destination_rir,
    registrant: row.to_handle,
    transferredAt: row.completed_at!.toISOString(),
  };
}

function toView(r: TransferDbRow): SandboxTransferView {
  return {
    ticket: r.id,
    reference: r.reference,
    prefix: r.prefix,
    sourceRir: r.source_rir,
    destinationRir: r.destination_rir,
    fromHandle: r.from_handle,
    toHandle: r.to_handle,
    status: r.status,
    answer: r.answer,
    answeredBy: r.answered_by,
    reason: r.reason,
    requestedAt: r.requested_at.toISOString(),
    decideAfter: r.decide_after.toISOString(),
    decidedAt: r.decided_at?.toISOString() ?? null,
    completedAt: r.completed_at?.toISOString() ?? null,
    infoProvidedAt: r.info_provided_at?.toISOString() ?? null,
  };
}
