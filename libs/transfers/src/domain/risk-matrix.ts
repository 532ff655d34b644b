import { allocate, isCurrency, MAX_AMOUNT_MINOR, type Money } from '@app/money';
import { isExposed, type Party, type RiskKind, type RiskPlacement, type RiskSnapshot, type RiskStatus } from '@app/risk';
import { type Stage, STAGES } from './stages.js';

/**
 * The transfer risk matrix (DOMAIN.md "A sale, stage by stage, and who carries what"). Bump
 * the version whenever a placement's bearer, exposure or status rule changes: stored
 * snapshots keep the version that produced them.
 */
export const TRANSFER_RISK_MATRIX_VERSION = 'transfer-risks/1';

export interface TransferRiskTerms {
  /** The whole deal's price. */
  readonly price: Money;
  readonly brokerFeeBps: number;
  readonly platformFeeBps: number;
  readonly hasBroker: boolean;
  readonly interRir: boolean;
  readonly provider: 'manual' | 'stripe';
  /** What the buyer has paid in so far; the escrow holds at most the price of it. */
  readonly fundedMinor: bigint;
}

/**
 * What a placement exposes: nothing (time only), the price, what the escrow holds (the funded
 * part of the price), the seller's proceeds or the broker's commission (the release split).
 */
export type Basis = 'nil' | 'price' | 'held' | 'proceeds' | 'commission';

export interface Cell {
  readonly status: RiskStatus;
  readonly basis: Basis;
  readonly mitigation: string;
}

type Cells = Readonly<Record<Stage, Cell>>;

export interface MatrixLine {
  readonly risk: RiskKind;
  readonly bearer: Party;
  /** Only in deals with a broker. */
  readonly brokerOnly?: true;
  readonly cells: Cells;
  /** Replaces `cells` when the buyer pays by wire (provider 'manual'). */
  readonly manualCells?: Cells;
  /** Added to open and monitored placements of inter-RIR transfers. */
  readonly interRirNote?: string;
}

const cell = (status: RiskStatus, basis: Basis, mitigation: string): Cell => ({ status, basis, mitigation });

type Part = readonly [Stage | readonly Stage[], Cell];

/** A line's cells from (stages, cell) parts: every stage exactly once, or the module fails to load. */
function byStage(...parts: readonly Part[]): Cells {
  const cells: Partial<Record<Stage, Cell>> = {};
  for (const [stages, c] of parts) {
    for (const s of typeof stages === 'string' ? [stages] : stages) {
      if (cells[s]) throw new Error(`risk matrix: ${s} is given twice`);
      cells[s] = c;
    }
  }
  const missing = STAGES.filter((s) => !cells[s]);
  if (missing.length) throw new Error(`risk matrix: no cell for ${missing.join(', ')}`);
  return cells as Cells;
}

const BEFORE_ACCEPT = ['proposed'] as const;
const UNPAID = ['agreed', 'policy_checked'] as const;
const IN_ESCROW = ['funded', 'registry_submitted', 'registry_approved'] as const;
const AT_REGISTRY = ['policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'registry_approved'] as const;
const BEFORE_APPROVAL = ['policy_checked', 'awaiting_funds', 'funded', 'registry_submitted'] as const;
const RECORDED = ['registry_completed', 'verified', 'released', 'completed'] as const;
const PAID_OUT = ['released', 'completed'] as const;
const NO_SALE = ['registry_rejected', 'refunding'] as const;
/** policy_failed, cancelled and refunded close everything: there was no sale. */
const ENDED: Part = [['policy_failed', 'cancelled', 'refunded'], cell('closed', 'nil', 'The transfer ended without a sale: nothing is at stake.')];
const FROZEN = 'Frozen by a dispute: the platform admin decides whether the escrow goes to the seller or back to the buyer.';
/**
 * A dispute may come from any stage from agreed to verified (and registry_rejected); the
 * matrix cannot tell which, so it shows only the money the dispute decides.
 */
const FROZEN_ELSEWHERE: Part = ['disputed', cell('closed', 'nil', `${FROZEN} Until then only the money in escrow is shown.`)];
const notYet = (when: string) => cell('closed', 'nil', `Not carried yet: ${when}.`);

/**
 * One line per (risk, bearer), always the same lines for a deal, in RISK_KINDS then PARTIES
 * order, so that a deal's snapshots line up event by event.
 */
export const TRANSFER_RISK_MATRIX: readonly MatrixLine[] = [
  // The seller is paid only if the RIR agrees (step 4: "rejection is the seller's problem"):
  // it risks its proceeds until approval. The buyer's cost is time; its money goes back.
  {
    risk: 'registry_rejection',
    bearer: 'seller',
    interRirNote: 'Inter-RIR: both registries must agree.',
    cells: byStage(
      [BEFORE_ACCEPT, notYet('the seller has not accepted')],
      ['agreed', cell('open', 'proceeds', "The policy check against the RIR's transfer rules comes next. If the RIR refuses, the seller is not paid and the buyer's money goes back.")],
      [BEFORE_APPROVAL, cell('open', 'proceeds', "The policy check passed, but the RIR decides (about a quarter of ARIN transfer requests fail): if it refuses, the seller is not paid and the buyer's money goes back.")],
      [['registry_approved', ...RECORDED], cell('closed', 'nil', 'The RIR approved the transfer.')],
      ['registry_rejected', cell('closed', 'nil', 'The RIR refused the transfer: there is no sale, and the buyer is refunded.')],
      ['refunding', cell('closed', 'nil', 'No sale: the buyer is being refunded.')],
      FROZEN_ELSEWHERE,
      ENDED,
    ),
  },
  // Title fraud has happened at scale (Micfo). The buyer's money is exposed to it, from the
  // first payment on; RDAP holdership is checked at the policy check and again at
  // verification, and the escrow pays the seller only after RDAP shows the buyer.
  {
    risk: 'title_defect',
    bearer: 'buyer',
    cells: byStage(
      [BEFORE_ACCEPT, notYet('the seller has not accepted')],
      ['agreed', cell('open', 'nil', "Not verified yet: the policy check compares the seller with the registrant RDAP names. Nothing has been paid.")],
      ['policy_checked', cell('mitigated', 'nil', 'RDAP names the seller as registrant. Nothing has been paid.')],
      ['awaiting_funds', cell('mitigated', 'held', 'RDAP names the seller as registrant; what the buyer pays waits in escrow.')],
      [IN_ESCROW, cell('mitigated', 'price', 'RDAP names the seller as registrant, and the escrow pays the seller only once RDAP shows the buyer.')],
      ['registry_completed', cell('mitigated', 'price', 'The RIR recorded the buyer; the escrow pays the seller only once RDAP shows the buyer.')],
      ['verified', cell('mitigated', 'price', 'RDAP names the buyer as registrant.')],
      [PAID_OUT, cell('mitigated', 'price', 'RDAP named the buyer before the price was released. Space obtained by fraud can still be revoked by the RIR later (Micfo: 757,760 addresses); that stays with the buyer.')],
      [NO_SALE, cell('closed', 'nil', "No sale: the buyer's money goes back.")],
      FROZEN_ELSEWHERE,
      ENDED,
    ),
  },
  // The platform, as escrow agent, holds money a card or ACH payment can pull back (step 3;
  // ACH up to 4 business days, card disputes later), and after release would owe what it no
  // longer has. A wire counts only once finance confirms it or a bank line matches it, and is
  // not pulled back: closed for the manual provider.
  {
    risk: 'payment_reversal',
    bearer: 'platform',
    cells: byStage(
      [[...BEFORE_ACCEPT, ...UNPAID], notYet('nothing has been paid')],
      ['awaiting_funds', cell('open', 'held', 'Card and ACH payments can be pulled back for days after they succeed (ACH up to 4 business days), card disputes later. A dispute webhook from Stripe freezes the escrow.')],
      [[...IN_ESCROW, 'registry_completed', 'verified'], cell('open', 'price', 'Card and ACH payments can be pulled back for days after they succeed (ACH up to 4 business days), card disputes later. A dispute webhook from Stripe freezes the escrow.')],
      [PAID_OUT, cell('monitored', 'price', "The price has been paid out: a card dispute now would be the platform's loss. Stripe's dispute webhooks are watched and answered.")],
      ['registry_rejected', cell('open', 'held', 'A card dispute before the refund would take the money back twice.')],
      ['refunding', cell('open', 'held', 'The refund goes back onto the original payment; a card dispute before it lands would take the money back twice.')],
      ['disputed', cell('open', 'held', `${FROZEN} A card dispute can still pull the payment back.`)],
      ENDED,
    ),
    manualCells: byStage(
      [
        ['proposed', 'agreed', 'policy_checked', 'awaiting_funds', ...IN_ESCROW, ...RECORDED, ...NO_SALE, 'disputed'],
        cell('closed', 'nil', 'Paid by wire: money counts only once finance confirms it or a bank statement line matches it, and a confirmed wire is not pulled back.'),
      ],
      ENDED,
    ),
  },
  // The seller may not perform. Before funding the buyer loses only time; from then on the
  // escrow returns its money, and the risk ends when the RIR records the buyer. While the
  // refund is under way the money is in the platform's custody, still the buyer's exposure.
  {
    risk: 'counterparty_default',
    bearer: 'buyer',
    cells: byStage(
      ['proposed', cell('open', 'nil', 'The seller may decline the offer: the buyer loses only time.')],
      [UNPAID, cell('open', 'nil', 'Either side may still walk away; nothing has been paid, so the buyer loses only time.')],
      ['awaiting_funds', cell('mitigated', 'held', 'What the buyer has paid waits in escrow and goes back if the seller does not perform.')],
      [IN_ESCROW, cell('mitigated', 'price', 'The price waits in escrow: the seller is paid only once RDAP shows the buyer, and the buyer is refunded if the transfer fails.')],
      [RECORDED, cell('closed', 'nil', 'The seller performed: the RIR recorded the buyer.')],
      ['registry_rejected', cell('mitigated', 'held', 'The escrow refunds the buyer next.')],
      ['refunding', cell('monitored', 'held', "The buyer's money is in the platform's custody on its way back; the refund payout is tracked until it is paid.")],
      ['disputed', cell('open', 'held', FROZEN)],
      ENDED,
    ),
  },
  // The buyer may not pay: until the price is in escrow the seller's block is committed and
  // off the market for nothing. Once funded, a reversal is the platform's (payment_reversal).
  {
    risk: 'counterparty_default',
    bearer: 'seller',
    cells: byStage(
      [BEFORE_ACCEPT, notYet('the seller has not accepted')],
      [[...UNPAID, 'awaiting_funds'], cell('open', 'nil', 'The block is committed to this buyer and off the market; if the buyer does not pay, the seller loses time.')],
      [[...IN_ESCROW, 'registry_completed', 'verified'], cell('closed', 'nil', 'The whole price is in escrow.')],
      [PAID_OUT, cell('closed', 'nil', "The price was released to the seller's payable.")],
      [NO_SALE, cell('closed', 'nil', 'No sale: the block is released once the buyer is refunded.')],
      ['disputed', cell('open', 'held', FROZEN)],
      ENDED,
    ),
  },
  // The broker's commission is paid only out of a released price (step 7): until release
  // any failure costs the broker its commission.
  {
    risk: 'counterparty_default',
    bearer: 'broker',
    brokerOnly: true,
    cells: byStage(
      [
        ['proposed', ...UNPAID, 'awaiting_funds', ...IN_ESCROW, 'registry_completed', 'verified'],
        cell('open', 'commission', 'The commission is paid only out of a released price: until release the deal may still fail.'),
      ],
      [PAID_OUT, cell('closed', 'nil', 'The commission was paid out of the released price.')],
      [NO_SALE, cell('closed', 'nil', 'No sale: no commission.')],
      ['disputed', cell('open', 'commission', `${FROZEN} The commission is paid only if the escrow is released.`)],
      ENDED,
    ),
  },
  // Blocklisted space is hard to use. Checked in due diligence (step 2); before release the
  // buyer can still dispute (the escrow freezes); after acceptance it is the buyer's unless a
  // holdback was agreed (step 6), and these terms have none.
  {
    risk: 'reputation',
    bearer: 'buyer',
    cells: byStage(
      [BEFORE_ACCEPT, notYet('the seller has not accepted')],
      [UNPAID, cell('open', 'nil', "The buyer checks the block's blocklist standing before paying.")],
      ['awaiting_funds', cell('open', 'held', 'A blocklisting found before release can be disputed: the escrow freezes.')],
      [[...IN_ESCROW, 'registry_completed', 'verified'], cell('open', 'price', 'A blocklisting found before release can be disputed: the escrow freezes.')],
      [PAID_OUT, cell('monitored', 'price', "The buyer accepted the block: cleaning a blocklisting is the buyer's (no holdback was agreed). The block's blocklist standing is watched.")],
      [NO_SALE, cell('closed', 'nil', 'No sale: the buyer does not take the block.')],
      FROZEN_ELSEWHERE,
      ENDED,
    ),
  },
  // Once the RIR records the buyer, the buyer holds the block and an RIR revokes space whose
  // holder stops paying (DOMAIN.md "Continuity"): the buyer's membership and fees.
  {
    risk: 'continuity',
    bearer: 'buyer',
    cells: byStage(
      [['proposed', ...AT_REGISTRY, 'agreed'], notYet("the seller holds the block, and its RIR standing is checked as the seller's title")],
      [RECORDED, cell('monitored', 'price', "The buyer holds the block: an RIR revokes space whose holder stops paying (ARIN stops services at 120 days past due, revokes at 180). The buyer's RIR standing is watched.")],
      [NO_SALE, cell('closed', 'nil', 'No sale: the seller keeps the block.')],
      FROZEN_ELSEWHERE,
      ENDED,
    ),
  },
  // Step 6: the seller's old ROAs, route objects and announcements must go once the RIR has
  // recorded the buyer; until verification sees them gone, the buyer's routes can be invalid
  // (RFC 6811) or filtered. After acceptance it sits with the buyer.
  {
    risk: 'routing_conflict',
    bearer: 'buyer',
    cells: byStage(
      [['proposed', ...AT_REGISTRY, 'agreed'], notYet('the block has not changed hands at the RIR')],
      ['registry_completed', cell('open', 'price', "The RIR recorded the buyer, but the seller's ROAs, IRR route objects or announcements may remain: the buyer's routes can be RPKI-invalid (RFC 6811) or filtered until they are gone. Verification comes next.")],
      [['verified', ...PAID_OUT], cell('mitigated', 'price', "Verified after the transfer: RDAP names the buyer and the seller's routing was withdrawn. From acceptance on, routing is the buyer's.")],
      [NO_SALE, cell('closed', 'nil', 'No sale: the block never changes hands.')],
      FROZEN_ELSEWHERE,
      ENDED,
    ),
  },
  // The RIR applies the policy in force when it decides, not the one the check read: a change
  // mid-transfer can stop it. The seller loses the sale; the buyer is refunded and loses time
  // (and may need fresh documents). Watched from the policy check until the RIR records it.
  {
    risk: 'policy_change',
    bearer: 'buyer',
    interRirNote: "Inter-RIR: both RIRs' policies apply.",
    cells: byStage(
      [['proposed', 'agreed'], notYet('the policy check ahead reads the rules in force')],
      [AT_REGISTRY, cell('monitored', 'nil', 'The check passed under the rules of its day; RIR policy changes are watched. If new rules stop the transfer, the buyer is refunded and loses time, and may need fresh documents.')],
      [RECORDED, cell('closed', 'nil', 'The RIR recorded the transfer.')],
      [NO_SALE, cell('closed', 'nil', 'No sale: the block never changes hands.')],
      FROZEN_ELSEWHERE,
      ENDED,
    ),
  },
  {
    risk: 'policy_change',
    bearer: 'seller',
    interRirNote: "Inter-RIR: both RIRs' policies apply.",
    cells: byStage(
      [['proposed', 'agreed'], notYet('the policy check ahead reads the rules in force')],
      [AT_REGISTRY, cell('monitored', 'proceeds', 'The check passed under the rules of its day; RIR policy changes are watched. If new rules stop the transfer, the seller is not paid.')],
      [RECORDED, cell('closed', 'nil', 'The RIR recorded the transfer.')],
      [NO_SALE, cell('closed', 'nil', 'No sale: the block never changes hands.')],
      FROZEN_ELSEWHERE,
      ENDED,
    ),
  },
];

const isBps = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 10_000;

function checkTerms(t: TransferRiskTerms): void {
  const { amountMinor, currency } = t.price;
  if (typeof amountMinor !== 'bigint' || amountMinor < 0n || amountMinor > MAX_AMOUNT_MINOR) {
    throw new RangeError(`price.amountMinor must be a bigint from 0 to ${MAX_AMOUNT_MINOR}, not ${String(amountMinor)}`);
  }
  if (!isCurrency(currency)) throw new RangeError(`price.currency must be a known currency, not ${String(currency)}`);
  if (typeof t.fundedMinor !== 'bigint' || t.fundedMinor < 0n) throw new RangeError(`fundedMinor must be a non-negative bigint, not ${String(t.fundedMinor)}`);
  if (!isBps(t.brokerFeeBps) || !isBps(t.platformFeeBps) || t.brokerFeeBps + t.platformFeeBps > 10_000) {
    throw new RangeError(`fees must be whole basis points summing to at most 10000, not ${String(t.brokerFeeBps)} + ${String(t.platformFeeBps)}`);
  }
  if (!t.hasBroker && t.brokerFeeBps !== 0) throw new RangeError('a broker fee needs a broker');
  if (t.provider !== 'manual' && t.provider !== 'stripe') throw new RangeError(`provider must be manual or stripe, not ${String(t.provider)}`);
}

/** Each basis in minor units, all within [0, price] and so safe integers (price <= MAX_AMOUNT_MINOR). */
function amounts(t: TransferRiskTerms): Record<Basis, number> {
  const price = t.price.amountMinor;
  // The release split, exactly as the escrow makes it (largest remainder, libs/escrow release-split).
  const [proceeds, commission] = allocate(t.price, [10_000 - t.brokerFeeBps - t.platformFeeBps, t.brokerFeeBps, t.platformFeeBps]);
  return {
    nil: 0,
    price: Number(price),
    held: Number(t.fundedMinor < price ? t.fundedMinor : price),
    proceeds: Number(proceeds!.amountMinor),
    commission: Number(commission!.amountMinor),
  };
}

/** Who bears what on a transfer at `stage` under `terms`. Closed placements expose 0. */
export function placementFor(stage: Stage, terms: TransferRiskTerms): RiskSnapshot {
  checkTerms(terms);
  const amount = amounts(terms);
  const currency = terms.price.currency;
  const risks: RiskPlacement[] = [];
  for (const line of TRANSFER_RISK_MATRIX) {
    if (line.brokerOnly && !terms.hasBroker) continue;
    const c = (terms.provider === 'manual' && line.manualCells ? line.manualCells : line.cells)[stage];
    const exposed = isExposed(c.status);
    risks.push({
      risk: line.risk,
      bearer: line.bearer,
      exposure: { amountMinor: c.status === 'closed' ? 0 : amount[c.basis], currency },
      mitigation: terms.interRir && exposed && line.interRirNote ? `${c.mitigation} ${line.interRirNote}` : c.mitigation,
      status: c.status,
    });
  }
  return { matrixVersion: TRANSFER_RISK_MATRIX_VERSION, risks };
}
