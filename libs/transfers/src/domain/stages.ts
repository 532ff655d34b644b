// Type-only, so erased at run time (as in rir-policy.ts): registry's index pulls in Nest.
import type { Rir } from '@app/registry';

/**
 * Where a transfer (a sale of a block) is, API.md "Transfers":
 *
 *   proposed -> agreed -> policy_checked -> awaiting_funds -> funded -> registry_submitted
 *     -> registry_approved -> registry_completed -> verified -> released -> completed
 *   agreed -> policy_failed                      registry_submitted -> registry_rejected -> refunding -> refunded
 *   before funding -> cancelled (partly funded: -> refunding)
 *   agreed .. verified, registry_rejected -> disputed -> released | refunding | cancelled
 *
 * - proposed: the buyer's offer; nothing is committed until the seller accepts.
 * - agreed: the block is committed to this buyer; the worker checks the RIR policy
 *   (rir-policy.ts). When the check asks for documents the transfer stays in agreed (see
 *   `documents_required` below) and the check runs again when the buyer attaches one.
 * - policy_checked .. released: see the table. registry_* follow the RIR's answers.
 * - disputed: frozen. The worker does nothing; the platform admin resolves it by releasing
 *   the escrow to the seller or refunding the buyer. Not terminal. A dispute ends the
 *   pipeline either way: it does not resume where it stopped.
 * - completed, policy_failed, refunded, cancelled: terminal.
 */
export const STAGES = [
  'proposed', 'agreed', 'policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'registry_approved', 'registry_completed',
  'verified', 'released', 'completed',
  'policy_failed', 'registry_rejected', 'refunding', 'refunded', 'cancelled', 'disputed',
] as const;
export type Stage = (typeof STAGES)[number];

export const FAILURE_STAGES = ['policy_failed', 'registry_rejected', 'refunding', 'refunded', 'cancelled', 'disputed'] as const satisfies readonly Stage[];
export const TERMINAL_STAGES = ['completed', 'policy_failed', 'refunded', 'cancelled'] as const satisfies readonly Stage[];
export type TerminalStage = (typeof TERMINAL_STAGES)[number];
export type LiveStage = Exclude<Stage, TerminalStage>;

/**
 * What moves a transfer: a party's request (accept, cancel, dispute), finance or a payment
 * provider (funding_confirmed), the platform admin (resolve_*), or a worker step.
 */
export type Trigger = 'accept' | 'cancel' | 'dispute' | 'funding_confirmed' | 'worker' | 'resolve_release' | 'resolve_refund';

/** Who asks for a transition. 'platform' is finance or the admin; 'worker' the pipeline. */
export type Actor = 'buyer' | 'seller' | 'platform' | 'worker';

/**
 * The side effect committed with a transition, done idempotently (keyed by transfer and the
 * stage it enters):
 * - commit_space: the block is committed to this transfer; nobody else may buy or lease it.
 * - request_documents: the parties are told what is missing (the policy check's required
 *   documents, or the RIR's question).
 * - open_escrow: the escrow account is opened and the buyer gets payment instructions.
 * - submit_to_registry: the transfer request goes to the source RIR.
 * - release_escrow: the price goes to the seller's payable, the broker's commission and the
 *   platform's fee (an admin's release first lifts the freeze).
 * - refund_escrow: what the escrow holds is owed back to the buyer and a refund payout made.
 * - freeze_escrow: the escrow, if any, is frozen: nothing is paid out until resolution.
 * - release_space: the block's commitment ends, so it can be sold again. An escrow still open
 *   and empty is settled with it, so that money arriving later is owed back to the buyer.
 * - record_sale: the block leaves the seller's inventory; the listing is closed as sold.
 */
export type Effect =
  | 'none' | 'commit_space' | 'request_documents' | 'open_escrow' | 'submit_to_registry' | 'release_escrow' | 'refund_escrow'
  | 'freeze_escrow' | 'release_space' | 'record_sale';

export interface TransitionRule {
  readonly from: Stage;
  readonly to: Stage;
  readonly trigger: Trigger;
  /** 'either' is the buyer or the seller. */
  readonly by: Actor | 'either';
  readonly effect: Effect;
  /** When the rule is the one to take, in words. */
  readonly when: string;
}

const rule = (from: Stage, to: Stage, trigger: Trigger, by: Actor | 'either', effect: Effect, when: string): TransitionRule => ({
  from, to, trigger, by, effect, when,
});

/** Until funded either side may walk away (DOMAIN.md "A sale", step 1). */
const cancel = (from: Stage, to: Stage = 'cancelled', effect: Effect = 'release_space', when = 'nothing has been paid in') =>
  rule(from, to, 'cancel', 'either', effect, when);

/** From agreed on, while the escrow is not settled (released and refunded escrows are final). */
const dispute = (from: Stage) => rule(from, 'disputed', 'dispute', 'either', 'freeze_escrow', 'a party disputes the deal');

/** The transfer state machine. A transition that is not in this table is refused. */
export const TRANSFER_TRANSITIONS: readonly TransitionRule[] = [
  rule('proposed', 'agreed', 'accept', 'seller', 'commit_space', 'the seller accepts the offer'),
  cancel('proposed', 'cancelled', 'none', 'the buyer withdraws the offer or the seller declines it'),

  rule('agreed', 'policy_checked', 'worker', 'worker', 'none', 'the policy check passes'),
  rule('agreed', 'agreed', 'worker', 'worker', 'request_documents', 'the policy check asks for documents (documents_required)'),
  rule('agreed', 'policy_failed', 'worker', 'worker', 'release_space', 'the policy check fails, or the documents wait is past due with no document that cures it'),
  cancel('agreed'),
  dispute('agreed'),

  rule('policy_checked', 'awaiting_funds', 'worker', 'worker', 'open_escrow', 'always'),
  cancel('policy_checked'),
  dispute('policy_checked'),

  rule('awaiting_funds', 'funded', 'funding_confirmed', 'platform', 'none', 'the escrow holds the whole price (finance, a matched bank line or Stripe)'),
  cancel('awaiting_funds'),
  cancel('awaiting_funds', 'refunding', 'refund_escrow', 'part of the price has been paid in: it goes back'),
  dispute('awaiting_funds'),

  rule('funded', 'registry_submitted', 'worker', 'worker', 'submit_to_registry', 'always'),
  dispute('funded'),

  rule('registry_submitted', 'registry_approved', 'worker', 'worker', 'none', 'the RIR approved the transfer'),
  rule('registry_submitted', 'registry_rejected', 'worker', 'worker', 'none', 'the RIR rejected the transfer'),
  rule('registry_submitted', 'registry_submitted', 'worker', 'worker', 'request_documents', 'the RIR asks for more information (registry_info_requested)'),
  dispute('registry_submitted'),

  rule('registry_approved', 'registry_completed', 'worker', 'worker', 'none', "the RIR recorded the buyer as the block's holder"),
  dispute('registry_approved'),

  rule('registry_completed', 'verified', 'worker', 'worker', 'none', 'RDAP names the buyer as registrant (DOMAIN.md step 5: finality)'),
  dispute('registry_completed'),

  rule('verified', 'released', 'worker', 'worker', 'release_escrow', 'always'),
  dispute('verified'),

  rule('released', 'completed', 'worker', 'worker', 'record_sale', 'the payouts to the seller, the broker and the platform are paid'),

  rule('registry_rejected', 'refunding', 'worker', 'worker', 'refund_escrow', 'always: no sale, the money goes back'),
  dispute('registry_rejected'),

  rule('refunding', 'refunded', 'worker', 'worker', 'release_space', 'the refund payout is paid'),

  rule('disputed', 'released', 'resolve_release', 'platform', 'release_escrow', 'the admin resolves for the seller (only a funded escrow is released)'),
  rule('disputed', 'refunding', 'resolve_refund', 'platform', 'refund_escrow', 'the admin resolves for the buyer and the escrow holds money'),
  rule('disputed', 'cancelled', 'resolve_refund', 'platform', 'release_space', 'the admin resolves for the buyer and nothing was paid in'),
];

/**
 * The two waits, each a transition from a stage to itself that records an event: the worker
 * does not move on until what is awaited arrives.
 * - documents_required (agreed): the buyer attaches the documents the policy check names; each
 *   attachment runs the check again (rir-policy.ts leaves how long to wait to the pipeline).
 * - registry_info_requested (registry_submitted): the RIR asked a question; polling goes on.
 * A registry poll that finds nothing new is no transition: nothing is recorded.
 */
export type Wait = 'documents_required' | 'registry_info_requested';
export const WAIT_STAGE: Readonly<Record<Wait, Stage>> = { documents_required: 'agreed', registry_info_requested: 'registry_submitted' };

/** What the worker's job for a stage looks at to choose among its rules (null: it just acts). */
export type WorkerCheck = 'policy_check' | 'poll_registry' | 'verify_rdap' | 'payouts_paid' | 'refund_paid';

export const WORKER_CHECKS: Readonly<Partial<Record<Stage, WorkerCheck | null>>> = {
  agreed: 'policy_check',
  policy_checked: null,
  funded: null,
  registry_submitted: 'poll_registry',
  registry_approved: 'poll_registry',
  registry_completed: 'verify_rdap',
  verified: null,
  released: 'payouts_paid',
  registry_rejected: null,
  refunding: 'refund_paid',
};

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export function isTerminal(stage: Stage): stage is TerminalStage {
  return (TERMINAL_STAGES as readonly Stage[]).includes(stage);
}

export function rulesFrom(stage: Stage): TransitionRule[] {
  return TRANSFER_TRANSITIONS.filter((r) => r.from === stage);
}

const mayAct = (rule: TransitionRule, actor: Actor) => rule.by === actor || (rule.by === 'either' && (actor === 'buyer' || actor === 'seller'));
const who = (by: TransitionRule['by']) => (by === 'either' ? 'the buyer or the seller' : `the ${by}`);

export type TransitionResult =
  | { readonly ok: true; readonly rule: TransitionRule }
  | { readonly ok: false; readonly code: 'TRANSFER.ILLEGAL_TRANSITION'; readonly message: string };

export function transition(from: Stage, to: Stage, by: Actor): TransitionResult {
  const candidates = TRANSFER_TRANSITIONS.filter((r) => r.from === from && r.to === to);
  const allowed = candidates.find((r) => mayAct(r, by));
  if (allowed) return { ok: true, rule: allowed };
  let message: string;
  if (candidates.length > 0) {
    message = `the ${by} cannot move a transfer from ${from} to ${to}: only ${candidates.map((r) => who(r.by)).join(' or ')} may`;
  } else if (isTerminal(from)) {
    message = `a transfer that is ${from} cannot move to ${to}: ${from} is final, nothing more can happen to it`;
  } else {
    const targets = [...new Set(rulesFrom(from).map((r) => r.to))];
    message = `a transfer that is ${from} cannot move to ${to}; from ${from} it moves only to ${targets.join(', ')}`;
  }
  return { ok: false, code: 'TRANSFER.ILLEGAL_TRANSITION', message };
}

export interface WorkerStep {
  readonly stage: Stage;
  readonly check: WorkerCheck | null;
  /** The worker's rules from the stage; with no check there is exactly one. */
  readonly rules: readonly TransitionRule[];
}

/** The worker's job for a stage, or null when the stage waits on a person or is final. */
export function nextWorkerStep(stage: Stage): WorkerStep | null {
  const check = WORKER_CHECKS[stage];
  if (check === undefined) return null;
  return { stage, check, rules: rulesFrom(stage).filter((r) => r.by === 'worker') };
}

export const canCancel = (stage: Stage): boolean => rulesFrom(stage).some((r) => r.trigger === 'cancel');
export const canDispute = (stage: Stage): boolean => rulesFrom(stage).some((r) => r.trigger === 'dispute');

/**
 * Where calling a deal off leads (a party's cancel, or the admin resolving a dispute for the
 * buyer): money the escrow holds goes back through refunding; with nothing held the transfer
 * ends cancelled. Null when `trigger` is not allowed from `stage`, or when money is held and
 * the stage has no way to refund it.
 */
export function callOffTarget(stage: Stage, trigger: 'cancel' | 'resolve_refund', heldMinor: bigint): 'cancelled' | 'refunding' | null {
  if (heldMinor < 0n) throw new RangeError(`heldMinor must not be negative, not ${heldMinor}`);
  const want = heldMinor > 0n ? 'refunding' : 'cancelled';
  return rulesFrom(stage).some((r) => r.trigger === trigger && r.to === want) ? want : null;
}

// Due times (for the deadlines issue). Overdue raises a deadline notice; only the documents
// wait moves the transfer on its own (to policy_failed). An unfunded transfer is not
// cancelled by the platform while a wire may be in flight: either party may cancel it.

/** Who must act for the transfer to move on. 'parties' is the buyer and the seller. */
export type WaitingOn = 'seller' | 'buyer' | 'parties' | 'worker' | 'registry' | 'platform';

export interface StageDue {
  readonly waitingOn: WaitingOn;
  /** Hours after entering the stage (or the wait); 'registry' is the RIR's time, by route. */
  readonly hours: number | 'registry_review' | 'registry_update';
}

const HOUR = 1;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

// A worker step is due within a day (three for RDAP, whose answers lag the registry by
// hours); the rest are platform choices, noted where they come from somewhere.
export const STAGE_DUES: Readonly<Record<LiveStage, StageDue>> = {
  proposed: { waitingOn: 'seller', hours: 1 * WEEK },
  agreed: { waitingOn: 'worker', hours: 1 * DAY },
  policy_checked: { waitingOn: 'worker', hours: 1 * DAY },
  // An international wire settles in 1-3 business days; a week leaves room for a weekend.
  awaiting_funds: { waitingOn: 'buyer', hours: 1 * WEEK },
  funded: { waitingOn: 'worker', hours: 1 * DAY },
  registry_submitted: { waitingOn: 'registry', hours: 'registry_review' },
  registry_approved: { waitingOn: 'registry', hours: 'registry_update' },
  registry_completed: { waitingOn: 'worker', hours: 3 * DAY },
  verified: { waitingOn: 'worker', hours: 1 * DAY },
  // Payouts by wire take days.
  released: { waitingOn: 'platform', hours: 1 * WEEK },
  registry_rejected: { waitingOn: 'worker', hours: 1 * DAY },
  refunding: { waitingOn: 'platform', hours: 1 * WEEK },
  disputed: { waitingOn: 'platform', hours: 2 * WEEK },
};

export const WAIT_DUES: Readonly<Record<Wait, StageDue>> = {
  // Long enough to obtain an RIR pre-approval or write a needs justification.
  documents_required: { waitingOn: 'buyer', hours: 30 * DAY },
  registry_info_requested: { waitingOn: 'parties', hours: 2 * WEEK },
};

/**
 * DOMAIN.md "Typical durations", upper ends: RIPE NCC 1-2 weeks, ARIN 2-4, APNIC 2-3, LACNIC
 * 3-5; none is given for AFRINIC, so it gets the slowest (LACNIC's). Inter-RIR 4-6 weeks, and
 * 2-10 months where LACNIC is involved.
 */
const INTRA_RIR_REVIEW: Readonly<Record<Rir, number>> = { RIPE: 2 * WEEK, ARIN: 4 * WEEK, APNIC: 3 * WEEK, LACNIC: 5 * WEEK, AFRINIC: 5 * WEEK };
const INTER_RIR_REVIEW = 6 * WEEK;
const WITH_LACNIC_REVIEW = 10 * 30 * DAY;
/** From approval to the registration naming the buyer: both registries update when inter-RIR. */
const REGISTRY_UPDATE = { intraRir: 1 * WEEK, interRir: 2 * WEEK };

export interface TransferRoute {
  readonly sourceRir: Rir;
  readonly destinationRir: Rir;
}

/** Hours from entering `stage` (or starting `wait` in it) to its due time; null when final. */
export function dueHours(stage: Stage, route: TransferRoute, wait?: Wait): number | null {
  if (wait !== undefined && WAIT_STAGE[wait] !== stage) throw new RangeError(`${wait} is a wait of ${WAIT_STAGE[wait]}, not of ${stage}`);
  if (isTerminal(stage)) return null;
  const { hours } = wait ? WAIT_DUES[wait] : STAGE_DUES[stage];
  const { sourceRir: src, destinationRir: dst } = route;
  if (hours === 'registry_update') return src === dst ? REGISTRY_UPDATE.intraRir : REGISTRY_UPDATE.interRir;
  if (hours === 'registry_review') {
    if (src === dst) return INTRA_RIR_REVIEW[src];
    return src === 'LACNIC' || dst === 'LACNIC' ? WITH_LACNIC_REVIEW : INTER_RIR_REVIEW;
  }
  return hours;
}
