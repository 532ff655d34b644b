import { contains, parsePrefix, type Prefix } from '@app/ipam';
// Type-only, so erased at run time: this module loads nothing from registry (whose index
// pulls in Nest), as libs/inventory/src/domain/block.ts already does.
import type { Rir } from '@app/registry';

/**
 * The RIR transfer policy engine (DOMAIN.md "RIR transfer rules"): pure data (the table) and a
 * pure function of one transfer's facts. Market transfers only: the M&A exemptions of ARIN
 * NRPM 8.2 and LACNIC 2.3.2.17 are not modelled. The RIR still decides; this check refuses
 * early what it would refuse, and asks for what it would ask.
 */

export type DocumentKind = 'needs_justification' | 'pre_approval';

/** A needs justification or pre-approval the buyer holds from an RIR. */
export interface PolicyDocument {
  readonly kind: DocumentKind;
  /** The RIR that issued it: only the destination RIR's counts. */
  readonly rir: Rir;
  /** The largest block it covers, as a prefix length: 22 covers a /22, /23 or /24. */
  readonly approvedSize: number;
  readonly issuedAt: Date;
  /** When absent, the needs rule's `validityMonths` from `issuedAt` applies. */
  readonly expiresAt?: Date | null;
}

export interface PolicyInput {
  /** The block, canonical CIDR ('198.51.100.0/24'), and its prefix length. */
  readonly prefix: string;
  readonly prefixLength: number;
  readonly sourceRir: Rir;
  readonly destinationRir: Rir;
  /** When the seller received this block (RDAP: last transfer event, else registration). */
  readonly blockReceivedAt: Date | null;
  /** When the seller last received any IPv4 space at the source RIR, when known. */
  readonly sellerLastReceivedAt?: Date | null;
  /** The block's original delegation by the RIR (RDAP registration event): APNIC 103/8. */
  readonly delegatedAt?: Date | null;
  /** The (sandbox) clock's now. */
  readonly now: Date;
  /** The buyer's documents on file. */
  readonly documents: readonly PolicyDocument[];
}

interface RuleBase {
  /** Stable: stored with each failure. A changed meaning gets a new id and a new version. */
  readonly id: string;
  readonly rirs: readonly Rir[];
  /** The policy text the rule implements (also in a comment beside each row). */
  readonly source: string;
}

/** Fails when the block is longer than `longestPrefixLength` and either side is in `rirs`. */
export interface MinimumSizeRule extends RuleBase {
  readonly kind: 'minimum_size';
  readonly longestPrefixLength: number;
}

/**
 * Fails while the source RIR (in `rirs`) forbids the transfer: `months` after the date named
 * by `from` (this block's receipt, the seller's latest receipt of any space, or the block's
 * original delegation), for blocks inside `within` when given.
 */
export interface HoldingPeriodRule extends RuleBase {
  readonly kind: 'holding_period';
  readonly months: number;
  readonly from: 'block_receipt' | 'any_receipt' | 'delegation';
  readonly within?: string;
}

/** Inter-RIR transfers run only between two RIRs that are both in `rirs`. */
export interface InterRirRule extends RuleBase {
  readonly kind: 'inter_rir';
}

/**
 * The destination RIR (in `rirs`) wants the recipient's need justified: only for blocks
 * shorter than `shorterThan` when given, only from `fromSources` (inter-RIR) when given.
 */
export interface NeedsRule extends RuleBase {
  readonly kind: 'needs_based_recipient';
  readonly document: DocumentKind;
  /** How long a document without an expiry counts, from its issue. */
  readonly validityMonths: number;
  readonly shorterThan?: number;
  readonly fromSources?: readonly Rir[];
}

export type PolicyRule = MinimumSizeRule | HoldingPeriodRule | InterRirRule | NeedsRule;

export interface PolicyTable {
  readonly version: string;
  readonly rules: readonly PolicyRule[];
}

// A Record so that the compiler refuses a list that misses or invents an RIR.
const RIR_NAMES: Readonly<Record<Rir, string>> = { ARIN: 'ARIN', RIPE: 'RIPE NCC', APNIC: 'APNIC', LACNIC: 'LACNIC', AFRINIC: 'AFRINIC' };
const ALL_RIRS = Object.keys(RIR_NAMES) as Rir[];

/**
 * Bump the version whenever a row's meaning changes: a transfer's stored outcome keeps the
 * version that produced it. Sections as of 2026; ripe-807 (Oct 2023) supersedes ripe-733.
 */
export const RIR_POLICY_TABLE: PolicyTable = {
  version: 'rir-policy/2026-11',
  rules: [
    // ARIN NRPM 8.3 / 8.4, APNIC-127 11.0, LACNIC Policy Manual 2.3.2.18, AFRINIC CPM 5.7:
    // nothing smaller than a /24. ripe-807 states no minimum; issue 6 applies the /24 to all.
    {
      id: 'minimum-size-24',
      kind: 'minimum_size',
      rirs: ALL_RIRS,
      longestPrefixLength: 24,
      source: 'ARIN NRPM 8.3 / 8.4; APNIC-127 11.0; LACNIC Policy Manual 2.3.2.18; AFRINIC CPM 5.7; RIPE NCC: none stated in ripe-807, /24 per issue 6',
    },
    // ARIN NRPM 8.3 / 8.4: the source must not have received IPv4 from ARIN in the 12 months
    // before approval.
    { id: 'arin-source-12-months', kind: 'holding_period', rirs: ['ARIN'], months: 12, from: 'any_receipt', source: 'ARIN NRPM 8.3 / 8.4' },
    // ripe-807 2.2: received resources may not be transferred for 24 months (M&A included).
    { id: 'ripe-holding-24-months', kind: 'holding_period', rirs: ['RIPE'], months: 24, from: 'block_receipt', source: 'ripe-807 (RIPE Resource Transfer Policies) 2.2' },
    // APNIC-127 11.0 (prop-116): space from 103/8 not transferable for 5 years after delegation.
    {
      id: 'apnic-103-5-years',
      kind: 'holding_period',
      rirs: ['APNIC'],
      months: 60,
      from: 'delegation',
      within: '103.0.0.0/8',
      source: 'APNIC-127 (transfer policy) 11.0, prop-116',
    },
    // LACNIC Policy Manual 2.3.2.18 (LAC-2018-2): not again for one year after a transfer,
    // nor for one year after an allocation or assignment from LACNIC.
    { id: 'lacnic-holding-1-year', kind: 'holding_period', rirs: ['LACNIC'], months: 12, from: 'block_receipt', source: 'LACNIC Policy Manual 2.3.2.18' },
    // AFRINIC CPM 5.7: the source must not have received IPv4 in the prior 12 months.
    { id: 'afrinic-source-12-months', kind: 'holding_period', rirs: ['AFRINIC'], months: 12, from: 'any_receipt', source: 'AFRINIC CPM 5.7' },
    // ARIN NRPM 8.4, ripe-807 3.0, APNIC-127 11.0, LACNIC 2.3.2.18 accept one another.
    // AFRINIC CPM 5.7 covers its own region only; its inter-RIR policy was never ratified.
    {
      id: 'inter-rir-pairs',
      kind: 'inter_rir',
      rirs: ['ARIN', 'RIPE', 'APNIC', 'LACNIC'],
      source: 'ARIN NRPM 8.4; ripe-807 3.0; APNIC-127 11.0; LACNIC Policy Manual 2.3.2.18; AFRINIC CPM 5.7 (intra-region only)',
    },
    // ARIN NRPM 8.5.4 / 8.5.5: a /24 needs no justification, more needs a 24-month projection.
    // Pre-approvals count for 24 months (ARIN "Transfer Pre-approval": no re-verification
    // for a transfer within 24 months of approval).
    {
      id: 'arin-needs-above-24',
      kind: 'needs_based_recipient',
      rirs: ['ARIN'],
      document: 'pre_approval',
      validityMonths: 24,
      shorterThan: 24,
      source: 'ARIN NRPM 8.5.4 / 8.5.5; ARIN transfer pre-approval valid 24 months',
    },
    // APNIC-127 11.0: the recipient demonstrates need; APNIC IPv4 Transfer Guide and DOMAIN.md:
    // pre-approvals are valid for 24 months.
    {
      id: 'apnic-needs',
      kind: 'needs_based_recipient',
      rirs: ['APNIC'],
      document: 'pre_approval',
      validityMonths: 24,
      source: 'APNIC-127 (transfer policy) 11.0; APNIC pre-approval valid 24 months',
    },
    // LACNIC Policy Manual 2.3.2.18: the recipient justifies its need. LACNIC states no
    // validity: 24 months is the platform's default, as for ARIN and APNIC.
    { id: 'lacnic-needs', kind: 'needs_based_recipient', rirs: ['LACNIC'], document: 'needs_justification', validityMonths: 24, source: 'LACNIC Policy Manual 2.3.2.18' },
    // ripe-807 3.2: transfers in from an RIR with needs-based policies need a plan to use 50 %
    // within five years. Validity: platform default.
    {
      id: 'ripe-needs-from-needs-based',
      kind: 'needs_based_recipient',
      rirs: ['RIPE'],
      document: 'needs_justification',
      validityMonths: 24,
      fromSources: ['ARIN', 'APNIC', 'LACNIC'],
      source: 'ripe-807 (RIPE Resource Transfer Policies) 3.2',
    },
    // AFRINIC CPM 5.7 (DOMAIN.md: needs test yes): the recipient justifies its need.
    { id: 'afrinic-needs', kind: 'needs_based_recipient', rirs: ['AFRINIC'], document: 'needs_justification', validityMonths: 24, source: 'AFRINIC CPM 5.7' },
  ],
};

export type PolicyFailureCode =
  | 'POLICY.PREFIX_TOO_SMALL'
  | 'POLICY.HOLDING_PERIOD'
  | 'POLICY.INTER_RIR_NOT_ALLOWED'
  /** A fail, not a request for documents: the date comes from RDAP, not from the buyer. */
  | 'POLICY.UNKNOWN_REGISTRATION_DATE';

export type PolicyDocumentCode = 'POLICY.NEEDS_JUSTIFICATION_REQUIRED' | 'POLICY.PRE_APPROVAL_EXPIRED' | 'POLICY.PRE_APPROVAL_TOO_SMALL';

export interface PolicyFailure {
  readonly code: PolicyFailureCode;
  readonly rule: string;
  readonly source: string;
  readonly reason: string;
  /** POLICY.HOLDING_PERIOD: the first moment (UTC midnight) the period is over. */
  readonly endsAt?: Date;
}

export interface RequiredDocument {
  readonly kind: DocumentKind;
  readonly rir: Rir;
  readonly code: PolicyDocumentCode;
  readonly rule: string;
  readonly source: string;
  readonly reason: string;
}

/** Any failure makes it a fail; documents are asked for only when nothing else is wrong. */
export type PolicyOutcome =
  | { readonly result: 'pass'; readonly tableVersion: string }
  | { readonly result: 'fail'; readonly tableVersion: string; readonly failures: readonly PolicyFailure[] }
  | { readonly result: 'documents_required'; readonly tableVersion: string; readonly required: readonly RequiredDocument[] };

const isDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());
const day = (d: Date) => d.toISOString().slice(0, 10);

function daysInMonthUtc(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month + 1, 0);
  return d.getUTCDate();
}

/**
 * The UTC midnight that starts the day `months` calendar months after `from`'s UTC day. When
 * that month lacks the day (Feb 29 + 12 months, Jan 31 + 1) it is the 1st of the next month,
 * not the last day of the short one: a holding period never ends before its whole months
 * have passed (ARIN counts back "12 months prior" from the approval: space received on
 * 2024-02-29 is still within them on 2025-02-28). Counted in days, as the RIRs do.
 */
export function monthsAfterDayUtc(from: Date, months: number): Date {
  if (!isDate(from)) throw new RangeError('from must be a valid Date');
  if (!Number.isSafeInteger(months) || months < 0) throw new RangeError(`months must be a whole number >= 0, not ${String(months)}`);
  const total = from.getUTCMonth() + months;
  const year = from.getUTCFullYear() + Math.floor(total / 12);
  const month = total % 12;
  const last = daysInMonthUtc(year, month);
  const out = new Date(0);
  // Day last + 1 rolls over to the 1st of the next month; setUTCFullYear keeps years 0-99.
  out.setUTCFullYear(year, month, from.getUTCDate() > last ? last + 1 : from.getUTCDate());
  return out;
}

const names = (rirs: readonly Rir[]) => rirs.map((r) => RIR_NAMES[r]).join(', ');

function checkInput(input: PolicyInput): Prefix {
  if (!isDate(input.now)) throw new RangeError('now must be a valid Date');
  for (const side of ['sourceRir', 'destinationRir'] as const) {
    if (!ALL_RIRS.includes(input[side])) throw new RangeError(`${side} must be one of ${ALL_RIRS.join(', ')}, not ${String(input[side])}`);
  }
  const parsed = parsePrefix(input.prefix);
  if (!parsed.ok) throw new RangeError(`prefix: ${parsed.error.message}`);
  if (parsed.value.length !== input.prefixLength) {
    throw new RangeError(`prefixLength ${String(input.prefixLength)} does not match ${input.prefix}`);
  }
  return parsed.value;
}

function holdingFailure(rule: HoldingPeriodRule, input: PolicyInput, block: Prefix): PolicyFailure | null {
  if (!rule.rirs.includes(input.sourceRir)) return null;
  if (rule.within !== undefined) {
    const within = parsePrefix(rule.within);
    if (!within.ok) throw new RangeError(`rule ${rule.id}: within: ${within.error.message}`);
    if (!contains(within.value, block)) return null;
  }
  const src = RIR_NAMES[input.sourceRir];
  let start: Date | null;
  let what: string;
  if (rule.from === 'any_receipt') {
    // The seller's latest receipt of any space is at least as recent as this block's.
    const known = [input.sellerLastReceivedAt, input.blockReceivedAt].filter(isDate);
    start = known.length ? new Date(Math.max(...known.map((d) => d.getTime()))) : null;
    what = `the seller last received IPv4 space at ${src}`;
  } else if (rule.from === 'block_receipt') {
    start = isDate(input.blockReceivedAt) ? input.blockReceivedAt : null;
    what = `the seller received ${input.prefix}`;
  } else {
    start = isDate(input.delegatedAt) ? input.delegatedAt : null;
    what = `${src} delegated ${input.prefix}${rule.within ? ` (in ${rule.within})` : ''}`;
  }
  const base = { rule: rule.id, source: rule.source };
  if (!start) {
    // Never a silent pass: without the date the period cannot be shown to be over.
    return {
      ...base,
      code: 'POLICY.UNKNOWN_REGISTRATION_DATE',
      reason: `the date ${what} is unknown (no RDAP registration or transfer event), so the ${rule.months}-month holding period of ${src} cannot be checked (${rule.source})`,
    };
  }
  const endsAt = monthsAfterDayUtc(start, rule.months);
  if (input.now.getTime() >= endsAt.getTime()) return null;
  return {
    ...base,
    code: 'POLICY.HOLDING_PERIOD',
    endsAt,
    reason: `${what} on ${day(start)}; ${src} allows no transfer for ${rule.months} months after that, until ${day(endsAt)} (${rule.source})`,
  };
}

function needsApplies(rule: NeedsRule, input: PolicyInput): boolean {
  if (!rule.rirs.includes(input.destinationRir)) return false;
  if (rule.shorterThan !== undefined && input.prefixLength >= rule.shorterThan) return false;
  if (rule.fromSources !== undefined && (input.sourceRir === input.destinationRir || !rule.fromSources.includes(input.sourceRir))) return false;
  return true;
}

/** A document's end: its own expiry, else the rule's validity from its issue day. */
function documentExpiry(doc: PolicyDocument, rule: NeedsRule): Date | null {
  if (doc.expiresAt !== undefined && doc.expiresAt !== null) return isDate(doc.expiresAt) ? doc.expiresAt : null;
  return isDate(doc.issuedAt) ? monthsAfterDayUtc(doc.issuedAt, rule.validityMonths) : null;
}

function documentRequest(rule: NeedsRule, input: PolicyInput): RequiredDocument | null {
  const dst = RIR_NAMES[input.destinationRir];
  const now = input.now.getTime();
  const label = rule.document.replace('_', ' ');
  const mine = input.documents.filter((d) => d.rir === input.destinationRir && Number.isInteger(d.approvedSize) && d.approvedSize >= 0 && d.approvedSize <= 32);
  const withExpiry = mine.map((doc) => ({ doc, expiresAt: documentExpiry(doc, rule) })).filter((x): x is { doc: PolicyDocument; expiresAt: Date } => x.expiresAt !== null);
  // Live: issued by now (not post-dated) and not yet expired; an expiry of exactly now has passed.
  const live = withExpiry.filter(({ doc, expiresAt }) => isDate(doc.issuedAt) && doc.issuedAt.getTime() <= now && now < expiresAt.getTime());
  if (live.some(({ doc }) => doc.approvedSize <= input.prefixLength)) return null;
  const base = { kind: rule.document, rir: input.destinationRir, rule: rule.id, source: rule.source };
  const wanted = `covering at least a /${input.prefixLength}`;
  if (live.length) {
    const largest = Math.min(...live.map(({ doc }) => doc.approvedSize));
    return {
      ...base,
      code: 'POLICY.PRE_APPROVAL_TOO_SMALL',
      reason: `the ${dst} document on file covers up to a /${largest}, smaller than ${input.prefix}: attach a ${label} ${wanted} (${rule.source})`,
    };
  }
  const expired = withExpiry.filter(({ expiresAt }) => expiresAt.getTime() <= now);
  if (expired.length) {
    const last = new Date(Math.max(...expired.map(({ expiresAt }) => expiresAt.getTime())));
    return {
      ...base,
      code: 'POLICY.PRE_APPROVAL_EXPIRED',
      reason: `the ${dst} document on file expired on ${day(last)}: attach a current ${label} ${wanted} (${rule.source})`,
    };
  }
  return {
    ...base,
    code: 'POLICY.NEEDS_JUSTIFICATION_REQUIRED',
    reason: `${dst} transfers ${input.prefix} only to a recipient with a justified need: attach a ${label} from ${dst} ${wanted} (${rule.source})`,
  };
}

/**
 * Every rule of `table` against one transfer. All failures are collected, not just the first.
 * A document problem is never a fail, since attaching a document cures it: the pipeline waits
 * in documents_required and decides how long. An unknown RDAP date is a fail (see the code).
 */
export function evaluatePolicy(input: PolicyInput, table: PolicyTable = RIR_POLICY_TABLE): PolicyOutcome {
  const block = checkInput(input);
  const { sourceRir: from, destinationRir: to } = input;
  const failures: PolicyFailure[] = [];
  const required: RequiredDocument[] = [];
  for (const rule of table.rules) {
    switch (rule.kind) {
      case 'minimum_size':
        if (input.prefixLength > rule.longestPrefixLength && (rule.rirs.includes(from) || rule.rirs.includes(to))) {
          failures.push({
            code: 'POLICY.PREFIX_TOO_SMALL',
            rule: rule.id,
            source: rule.source,
            reason: `${input.prefix} is smaller than a /${rule.longestPrefixLength}, the smallest block ${names(rule.rirs.filter((r) => r === from || r === to))} transfer (${rule.source})`,
          });
        }
        break;
      case 'holding_period': {
        const failure = holdingFailure(rule, input, block);
        if (failure) failures.push(failure);
        break;
      }
      case 'inter_rir':
        if (from !== to && !(rule.rirs.includes(from) && rule.rirs.includes(to))) {
          const outside = [from, to].filter((r) => !rule.rirs.includes(r));
          failures.push({
            code: 'POLICY.INTER_RIR_NOT_ALLOWED',
            rule: rule.id,
            source: rule.source,
            reason: `no inter-RIR transfer from ${RIR_NAMES[from]} to ${RIR_NAMES[to]}: ${names(outside)} has no inter-RIR transfer policy in force; only ${names(rule.rirs)} transfer among themselves (${rule.source})`,
          });
        }
        break;
      case 'needs_based_recipient': {
        const request = needsApplies(rule, input) ? documentRequest(rule, input) : null;
        if (request) required.push(request);
        break;
      }
    }
  }
  const tableVersion = table.version;
  if (failures.length) return { result: 'fail', tableVersion, failures };
  if (required.length) return { result: 'documents_required', tableVersion, required };
  return { result: 'pass', tableVersion };
}

/** The codes that are fails and those that ask for documents, for callers that map them. */
export const POLICY_FAILURE_CODES: readonly PolicyFailureCode[] = ['POLICY.PREFIX_TOO_SMALL', 'POLICY.HOLDING_PERIOD', 'POLICY.INTER_RIR_NOT_ALLOWED', 'POLICY.UNKNOWN_REGISTRATION_DATE'];
export const POLICY_DOCUMENT_CODES: readonly PolicyDocumentCode[] = ['POLICY.NEEDS_JUSTIFICATION_REQUIRED', 'POLICY.PRE_APPROVAL_EXPIRED', 'POLICY.PRE_APPROVAL_TOO_SMALL'];
