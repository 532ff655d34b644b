/**
 * Risk placement: for every deal (a lease, later a transfer), which party bears which risk,
 * how much money it exposes and what mitigates it. A deal's versioned risk matrix (pure data
 * and a pure function of its state) yields a RiskSnapshot; the service stores one with each
 * event, so that a deal's risk can be shown as it is and as it moved.
 */

/** The escrow agent is 'platform'; a lessor may be the holder or its broker. */
export const PARTIES = ['buyer', 'seller', 'broker', 'platform', 'lessee', 'lessor'] as const;
export type Party = (typeof PARTIES)[number];

/**
 * - registry_rejection: the RIR refuses the transfer.
 * - title_defect: the seller or lessor turns out not to hold the space (fraud, dispute).
 * - payment_reversal: a card or ACH payment is pulled back after funds moved.
 * - counterparty_default: the other side does not perform (pay, deliver).
 * - reputation: the space is blocklisted by how it is used.
 * - routing: routes are dropped or hijacked (missing or wrong ROA, missing IRR route object).
 * - continuity: the holder's RIR membership lapses and the space is revoked.
 * - renewal_lapse: the lease ends and the lessee must renumber.
 * - routing_conflict: after a transfer, the old holder's ROAs, IRR route objects or
 *   announcements remain, so the new holder's routes are invalid, filtered or hijacked.
 * - policy_change: an RIR's transfer policy changes while a transfer is under way.
 *
 * Kinds are only ever appended: stored snapshots name them, and 'routing' keeps its lease
 * meaning even though transfers use the narrower 'routing_conflict'.
 */
export const RISK_KINDS = [
  'registry_rejection', 'title_defect', 'payment_reversal', 'counterparty_default', 'reputation', 'routing', 'continuity', 'renewal_lapse',
  'routing_conflict', 'policy_change',
] as const;
export type RiskKind = (typeof RISK_KINDS)[number];

/**
 * - open: exposed and nothing in place reduces it.
 * - mitigated: a control in place makes it unlikely (a ROA exists, auto-renew is on).
 * - monitored: it cannot be removed, but it is watched and acted on.
 * - closed: the deal does not carry it: no longer (it ended, or the risk was settled either
 *   way) or not yet (the stage that brings it is still ahead). Its exposure is 0.
 */
export const RISK_STATUSES = ['open', 'mitigated', 'monitored', 'closed'] as const;
export type RiskStatus = (typeof RISK_STATUSES)[number];

export interface RiskPlacement {
  readonly risk: RiskKind;
  readonly bearer: Party;
  /** Minor units (a safe integer, stored in JSON) in an ISO 4217 currency. */
  readonly exposure: { readonly amountMinor: number; readonly currency: string };
  readonly mitigation: string;
  readonly status: RiskStatus;
}

export interface RiskSnapshot {
  /** Which matrix yielded the placements ('lease-risks/1'): old snapshots keep their meaning. */
  readonly matrixVersion: string;
  readonly risks: readonly RiskPlacement[];
}

/** Risks that still expose their bearer. */
export function isExposed(status: RiskStatus): boolean {
  return status === 'open' || status === 'monitored';
}

export interface ExposureLine {
  readonly party: Party;
  readonly risk: RiskKind;
  readonly currency: string;
  /** Summed as bigint: many deals' exposures together may pass Number.MAX_SAFE_INTEGER. */
  readonly amountMinor: bigint;
  /** How many placements the sum is over. */
  readonly placements: number;
}

const partyOrder = (p: Party) => PARTIES.indexOf(p);
const riskOrder = (r: RiskKind) => RISK_KINDS.indexOf(r);

/**
 * Exposure per (party, risk, currency) over the open and monitored placements of the given
 * snapshots (each deal's latest): mitigated and closed risks are left out. Currencies are
 * never added together. Lines come in PARTIES order, then RISK_KINDS order, then currency.
 */
export function exposureByParty(snapshots: readonly RiskSnapshot[]): ExposureLine[] {
  const lines = new Map<string, { party: Party; risk: RiskKind; currency: string; amountMinor: bigint; placements: number }>();
  for (const snapshot of snapshots) {
    for (const p of snapshot.risks) {
      if (!isExposed(p.status)) continue;
      const key = `${p.bearer}\u0000${p.risk}\u0000${p.exposure.currency}`;
      let line = lines.get(key);
      if (!line) {
        line = { party: p.bearer, risk: p.risk, currency: p.exposure.currency, amountMinor: 0n, placements: 0 };
        lines.set(key, line);
      }
      line.amountMinor += BigInt(p.exposure.amountMinor);
      line.placements += 1;
    }
  }
  return [...lines.values()].sort(
    (a, b) =>
      partyOrder(a.party) - partyOrder(b.party) ||
      riskOrder(a.risk) - riskOrder(b.risk) ||
      (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0),
  );
}
