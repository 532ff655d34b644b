import { describe, expect, it } from '@jest/globals';
import {
  allowedActions, isLeaseStatus, isLive, isTerminal, LEASE_ACTIONS, LEASE_STATUSES, LEASE_TRANSITIONS, type LeaseAction,
  type LeaseStatus, leaseTransition, LIVE_LEASE_STATUSES, TERMINAL_LEASE_STATUSES,
} from './lifecycle.js';

// The whole table, written out from the issue: every (status, action) pair and what it gives.
const EXPECTED: Record<LeaseStatus, Record<LeaseAction, LeaseStatus | null>> = {
  provisioning: {
    provisioned: 'active', provisioning_failed: 'failed', notice: null, lapse: null, renew: null,
    suspend: null, resume: null, expire: null, terminate: 'deprovisioning', deprovisioned: null,
  },
  active: {
    provisioned: null, provisioning_failed: null, notice: 'ending', lapse: 'ending', renew: 'active',
    suspend: 'suspended', resume: null, expire: 'deprovisioning', terminate: 'deprovisioning', deprovisioned: null,
  },
  suspended: {
    provisioned: null, provisioning_failed: null, notice: 'ending', lapse: 'ending', renew: null,
    suspend: null, resume: 'active', expire: 'deprovisioning', terminate: 'deprovisioning', deprovisioned: null,
  },
  ending: {
    provisioned: null, provisioning_failed: null, notice: null, lapse: null, renew: null,
    suspend: null, resume: null, expire: 'deprovisioning', terminate: 'deprovisioning', deprovisioned: null,
  },
  deprovisioning: {
    provisioned: null, provisioning_failed: null, notice: null, lapse: null, renew: null,
    suspend: null, resume: null, expire: null, terminate: null, deprovisioned: 'ended',
  },
  ended: {
    provisioned: null, provisioning_failed: null, notice: null, lapse: null, renew: null,
    suspend: null, resume: null, expire: null, terminate: null, deprovisioned: null,
  },
  failed: {
    provisioned: null, provisioning_failed: null, notice: null, lapse: null, renew: null,
    suspend: null, resume: null, expire: null, terminate: null, deprovisioned: null,
  },
};

const PAIRS = LEASE_STATUSES.flatMap((from) => LEASE_ACTIONS.map((action) => [from, action, EXPECTED[from][action]] as const));

describe('lease transitions', () => {
  it('covers every status and action (7 x 10 pairs)', () => {
    expect(PAIRS).toHaveLength(70);
  });

  it.each(PAIRS)('%s + %s -> %s', (from, action, to) => {
    const result = leaseTransition(from, action);
    if (to === null) {
      expect(result).toMatchObject({ ok: false, code: 'LEASE.INVALID_TRANSITION' });
      if (!result.ok) expect(result.message).toMatch(new RegExp(`^a lease that is ${from} cannot ${action}[;:] `));
    } else {
      expect(result).toEqual({ ok: true, to });
    }
  });

  it('the exported table holds nothing beyond the expected pairs', () => {
    for (const from of LEASE_STATUSES) {
      for (const [action, to] of Object.entries(LEASE_TRANSITIONS[from])) {
        expect(EXPECTED[from][action as LeaseAction]).toBe(to);
      }
    }
  });

  it('says what a status allows', () => {
    expect(leaseTransition('ending', 'renew')).toEqual({
      ok: false,
      code: 'LEASE.INVALID_TRANSITION',
      message: 'a lease that is ending cannot renew; ending allows only expire, terminate',
    });
    expect(leaseTransition('ended', 'terminate')).toEqual({
      ok: false,
      code: 'LEASE.INVALID_TRANSITION',
      message: 'a lease that is ended cannot terminate: ended is final, nothing more can happen to it',
    });
  });

  it('allowedActions lists the table row in action order', () => {
    expect(allowedActions('active')).toEqual(['notice', 'lapse', 'renew', 'suspend', 'expire', 'terminate']);
    expect(allowedActions('failed')).toEqual([]);
  });

  it('renew is the only transition from a status to itself', () => {
    for (const [from, action] of PAIRS) {
      const r = leaseTransition(from, action);
      if (r.ok && r.to === from) expect([from, action]).toEqual(['active', 'renew']);
    }
  });

  it('early termination is possible from every live status before deprovisioning', () => {
    for (const from of ['provisioning', 'active', 'suspended', 'ending'] as const) {
      expect(leaseTransition(from, 'terminate')).toEqual({ ok: true, to: 'deprovisioning' });
    }
  });
});

describe('the lifecycle graph', () => {
  const reachable = (from: LeaseStatus): Set<LeaseStatus> => {
    const seen = new Set<LeaseStatus>([from]);
    const queue = [from];
    while (queue.length > 0) {
      const s = queue.shift()!;
      for (const to of Object.values(LEASE_TRANSITIONS[s])) {
        if (to && !seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    return seen;
  };

  it('has no way out of ended or failed', () => {
    for (const from of ['ended', 'failed'] as const) {
      expect(reachable(from)).toEqual(new Set([from]));
      for (const action of LEASE_ACTIONS) expect(leaseTransition(from, action).ok).toBe(false);
    }
  });

  it.each(LIVE_LEASE_STATUSES)('%s can reach ended or failed', (from) => {
    const r = reachable(from);
    expect(r.has('ended') || r.has('failed')).toBe(true);
  });

  it('every live status can reach ended (a lease never gets stuck holding its unit)', () => {
    for (const from of LIVE_LEASE_STATUSES) expect(reachable(from).has('ended')).toBe(true);
  });

  it('every status is reachable from provisioning', () => {
    expect(reachable('provisioning')).toEqual(new Set(LEASE_STATUSES));
  });

  it('failed is reached only from provisioning', () => {
    for (const [from, action] of PAIRS) {
      const r = leaseTransition(from, action);
      if (r.ok && r.to === 'failed') expect(from).toBe('provisioning');
    }
  });

  it('the unit is released only by deprovisioned (or a failed provisioning)', () => {
    for (const [from, action] of PAIRS) {
      const r = leaseTransition(from, action);
      if (r.ok && isTerminal(r.to)) expect([['deprovisioning', 'deprovisioned'], ['provisioning', 'provisioning_failed']]).toContainEqual([from, action]);
    }
  });
});

describe('status sets', () => {
  it('live and terminal statuses partition the statuses', () => {
    expect([...LIVE_LEASE_STATUSES, ...TERMINAL_LEASE_STATUSES].sort()).toEqual([...LEASE_STATUSES].sort());
    expect(LIVE_LEASE_STATUSES).toEqual(['provisioning', 'active', 'suspended', 'ending', 'deprovisioning']);
  });

  it.each(LEASE_STATUSES)('isTerminal and isLive agree for %s', (s) => {
    expect(isTerminal(s)).toBe(s === 'ended' || s === 'failed');
    expect(isLive(s)).toBe(!isTerminal(s));
  });

  it('isLeaseStatus', () => {
    for (const s of LEASE_STATUSES) expect(isLeaseStatus(s)).toBe(true);
    for (const v of ['Active', 'cancelled', '', null, 1, undefined]) expect(isLeaseStatus(v)).toBe(false);
  });
});
