import { MAX_AMOUNT_MINOR } from '@app/money';
import type { RiskPlacement, RiskSnapshot, RiskStatus } from '@app/risk';
import { addMonthsUtc } from './lease-terms.js';
import { isTerminal, type LeaseStatus } from './lifecycle.js';

/**
 * The lease risk matrix. Bump the version whenever a placement's bearer, exposure or status
 * rule changes: stored snapshots keep the version that produced them.
 */
export const LEASE_RISK_MATRIX_VERSION = 'lease-risks/2';

export interface LeaseRiskInput {
  readonly status: LeaseStatus;
  readonly autoRenew: boolean;
  readonly noticeGiven: boolean;
  /** What the unit costs a month, in minor units of `currency`. */
  readonly monthlyMinor: bigint;
  readonly currency: string;
  readonly now: Date;
  /** The end of the current term, and the last moment notice may be given for it. */
  readonly endsAt: Date;
  readonly noticeDeadline: Date;
  /** What is in place at the RIR and IRR for the lessee's ASN. */
  readonly registry: { readonly roa: boolean; readonly route: boolean; readonly assignment: boolean };
  /** The holder's standing with its RIR, as last checked (RDAP, fee status). */
  readonly lessorStanding: 'verified' | 'unverified' | 'lapsed';
  /** Until when the holder's RIR fees for the block are paid, when known (lease-risks/2). */
  readonly rirPaidUntil?: Date | null;
}

/**
 * Whole months from `now` to `endsAt`, rounded up: the smallest n with now + n months >= endsAt
 * (calendar months, as terms are counted). 0 once the end has passed.
 */
export function monthsRemaining(now: Date, endsAt: Date): number {
  if (endsAt.getTime() <= now.getTime()) return 0;
  let n = Math.max(0, (endsAt.getUTCFullYear() - now.getUTCFullYear()) * 12 + endsAt.getUTCMonth() - now.getUTCMonth());
  // The estimate is off by at most one either way; addMonthsUtc increases strictly with n.
  while (addMonthsUtc(now, n).getTime() < endsAt.getTime()) n++;
  while (n > 1 && addMonthsUtc(now, n - 1).getTime() >= endsAt.getTime()) n--;
  return n;
}

/**
 * Exposures are stored as JSON numbers. A month's price is at most MAX_AMOUNT_MINOR (10^15),
 * but 120 months of it (1.2 * 10^17) would pass Number.MAX_SAFE_INTEGER (~9 * 10^15) and
 * lose precision, so amounts are computed in bigint and clamped to MAX_AMOUNT_MINOR, the
 * largest amount the platform accepts anywhere. No real lease comes near it.
 */
function exposureAmount(minor: bigint): number {
  return Number(minor > MAX_AMOUNT_MINOR ? MAX_AMOUNT_MINOR : minor);
}

const when = (d: Date) => d.toISOString();

function checkInput(input: LeaseRiskInput): void {
  if (typeof input.monthlyMinor !== 'bigint' || input.monthlyMinor < 0n) {
    throw new RangeError(`monthlyMinor must be a non-negative bigint, not ${String(input.monthlyMinor)}`);
  }
  for (const name of ['now', 'endsAt', 'noticeDeadline'] as const) {
    const d = input[name];
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${name} must be a valid Date`);
  }
}

/**
 * Who bears what on a lease right now. Always exactly four placements, in this order:
 * continuity, reputation, routing, renewal_lapse. Closed risks (ended or failed leases)
 * expose nothing, so their amount is 0.
 */
export function leaseRisks(input: LeaseRiskInput): RiskSnapshot {
  checkInput(input);
  const { status, currency, monthlyMinor, registry } = input;
  const over = isTerminal(status);
  // The value of the rest of the current term: what the lessee loses if the space goes, and
  // what the lessor's block carries while the lessee uses it. At least a month while live:
  // a lease past its end still holds the unit until deprovisioned.
  const restOfTerm = over ? 0n : monthlyMinor * BigInt(Math.max(1, monthsRemaining(input.now, input.endsAt)));
  const oneMonth = over ? 0n : monthlyMinor;
  const exposure = (minor: bigint) => ({ amountMinor: exposureAmount(minor), currency });

  return {
    matrixVersion: LEASE_RISK_MATRIX_VERSION,
    risks: [
      continuity(input, over, exposure(restOfTerm)),
      reputation(input, over, exposure(restOfTerm)),
      routing(status, registry, over, exposure(oneMonth)),
      renewalLapse(input, over, exposure(oneMonth)),
    ],
  };
}

type Exposure = RiskPlacement['exposure'];

function continuity(input: LeaseRiskInput, over: boolean, exposure: Exposure): RiskPlacement {
  const watch =
    "The platform re-checks the lessor's holdership and standing at the RIR and warns the lessee when it slips: an RIR revokes space whose holder stops paying (ARIN stops services at 120 days past due and revokes at 180).";
  const paidUntil = input.rirPaidUntil ?? null;
  const unpaid = paidUntil !== null && paidUntil.getTime() <= input.now.getTime();
  const standing = unpaid
    ? `The lessor's RIR fees for the block are unpaid since ${when(paidUntil)}: the RIR stops services at ${when(addDays(paidUntil, 120))} and revokes the block at ${when(addDays(paidUntil, 180))}, taking the lessee's unit with it.`
    : {
        verified: "The lessor's RIR standing is verified.",
        unverified: "The lessor's RIR standing is not verified yet.",
        lapsed: "The lessor's RIR standing has lapsed: the space may be revoked.",
      }[input.lessorStanding];
  const fees = !unpaid && paidUntil !== null ? ` Its RIR fees are paid until ${when(paidUntil)}.` : '';
  const status: RiskStatus = over ? 'closed' : input.lessorStanding === 'verified' && !unpaid ? 'monitored' : 'open';
  return {
    risk: 'continuity',
    bearer: 'lessee',
    exposure,
    mitigation: over ? "The lease is over: the lessee no longer depends on the lessor's standing." : `${standing}${fees} ${watch}`,
    status,
  };
}

const addDays = (d: Date, days: number) => new Date(d.getTime() + days * 86_400_000);

function reputation(input: LeaseRiskInput, over: boolean, exposure: Exposure): RiskPlacement {
  const contact = input.registry.assignment
    ? 'The whois sub-assignment sends abuse reports to the lessee.'
    : 'No whois sub-assignment yet: abuse reports reach the lessor.';
  return {
    risk: 'reputation',
    bearer: 'lessor',
    exposure,
    mitigation: over
      ? 'The lease is over: the lessee no longer uses the unit.'
      : `${contact} The platform handles abuse and can suspend the lease; the unit is leased again only after its ROA and route object for the lessee's ASN are verified gone.`,
    status: over ? 'closed' : 'monitored',
  };
}

function routing(status: LeaseStatus, registry: LeaseRiskInput['registry'], over: boolean, exposure: Exposure): RiskPlacement {
  const why =
    "The lessor signs an exact-length ROA (maxLength = the unit's length, RFC 9319) for the lessee's ASN and an IRR route object names it as origin: without them, networks that validate origins (RFC 6811) or filter on the IRR drop the lessee's routes.";
  if (over) {
    return { risk: 'routing', bearer: 'lessee', exposure, mitigation: 'The lease is over: the lessee no longer routes the unit.', status: 'closed' };
  }
  const missing = [registry.roa ? null : 'the ROA', registry.route ? null : 'the IRR route object'].filter((m) => m !== null);
  const [state, placed]: [string, RiskStatus] =
    status === 'provisioning'
      ? ['Being provisioned: the lessee should not announce the unit until its ROA and route object are in place.', 'open']
      : missing.length > 0
        ? [`Missing: ${missing.join(' and ')}.`, 'open']
        : ['The ROA and the route object are in place.', 'mitigated'];
  return { risk: 'routing', bearer: 'lessee', exposure, mitigation: `${state} ${why}`, status: placed };
}

function renewalLapse(input: LeaseRiskInput, over: boolean, exposure: Exposure): RiskPlacement {
  const { status, autoRenew, noticeGiven } = input;
  const renumber = `the lessee must renumber out of the unit and withdraw its routes by ${when(input.endsAt)}, or agree a new lease.`;
  let mitigation: string;
  let placed: RiskStatus = 'open';
  if (over) {
    [mitigation, placed] = ['The lease is over.', 'closed'];
  } else if (status === 'ending' || status === 'deprovisioning') {
    mitigation = status === 'ending' ? `The lease is ending: ${renumber}` : 'The lease is being deprovisioned: its ROA and route object are being removed and the lessee must already have renumbered.';
  } else if (noticeGiven) {
    mitigation = `Notice has been given: ${renumber}`;
  } else if (!autoRenew) {
    mitigation = `Auto-renew is off, so the lease will not renew: ${renumber}`;
  } else if (status === 'suspended') {
    // A suspended lease lapses at its notice deadline instead of renewing (see lifecycle.ts).
    mitigation = `The lease is suspended and does not renew while suspended: unless resumed before ${when(input.noticeDeadline)}, ${renumber}`;
  } else {
    mitigation = `Auto-renew is on and no notice has been given: the lease renews for another term at ${when(input.noticeDeadline)}.`;
    placed = 'mitigated';
  }
  return { risk: 'renewal_lapse', bearer: 'lessee', exposure, mitigation, status: placed };
}
