import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Rir } from '@app/registry';
import {
  type Actor, callOffTarget, canCancel, canDispute, dueHours, FAILURE_STAGES, isStage, isTerminal, nextWorkerStep, rulesFrom, type Stage,
  STAGE_DUES, STAGES, TERMINAL_STAGES, transition, TRANSFER_TRANSITIONS, type TransitionRule, WAIT_STAGE, WORKER_CHECKS,
} from './stages.js';

const ACTORS: readonly Actor[] = ['buyer', 'seller', 'platform', 'worker'];
const PARTIES: readonly Actor[] = ['buyer', 'seller'];

// Written out from the issue, independently of the table: [from, to, who may].
const DISPUTABLE: Stage[] = ['agreed', 'policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'registry_approved', 'registry_completed', 'verified', 'registry_rejected'];
const EXPECTED: [Stage, Stage, readonly Actor[]][] = [
  ['proposed', 'agreed', ['seller']],
  ['proposed', 'cancelled', PARTIES],
  ['agreed', 'policy_checked', ['worker']],
  ['agreed', 'agreed', ['worker']],
  ['agreed', 'policy_failed', ['worker']],
  ['agreed', 'cancelled', PARTIES],
  ['policy_checked', 'awaiting_funds', ['worker']],
  ['policy_checked', 'cancelled', PARTIES],
  ['awaiting_funds', 'funded', ['platform']],
  ['awaiting_funds', 'cancelled', PARTIES],
  ['awaiting_funds', 'refunding', PARTIES],
  ['funded', 'registry_submitted', ['worker']],
  ['registry_submitted', 'registry_approved', ['worker']],
  ['registry_submitted', 'registry_rejected', ['worker']],
  ['registry_submitted', 'registry_submitted', ['worker']],
  ['registry_approved', 'registry_completed', ['worker']],
  ['registry_completed', 'verified', ['worker']],
  ['verified', 'released', ['worker']],
  ['released', 'completed', ['worker']],
  ['registry_rejected', 'refunding', ['worker']],
  ['refunding', 'refunded', ['worker']],
  ['disputed', 'released', ['platform']],
  ['disputed', 'refunding', ['platform']],
  ['disputed', 'cancelled', ['platform']],
  ...DISPUTABLE.map((from): [Stage, Stage, readonly Actor[]] => [from, 'disputed', PARTIES]),
];
const allowedBy = (from: Stage, to: Stage): readonly Actor[] => EXPECTED.find(([f, t]) => f === from && t === to)?.[2] ?? [];

const TRIPLES = STAGES.flatMap((from) => STAGES.flatMap((to) => ACTORS.map((by) => [from, to, by] as const)));

describe('transition: the whole table', () => {
  it('covers every pair of stages and every actor (17 x 17 x 4)', () => {
    expect(STAGES).toHaveLength(17);
    expect(TRIPLES).toHaveLength(17 * 17 * 4);
  });

  it('allows exactly the expected transitions, to exactly the expected actors; refuses the rest', () => {
    for (const [from, to, by] of TRIPLES) {
      const result = transition(from, to, by);
      const expected = allowedBy(from, to).includes(by);
      if (expected) {
        expect(result).toMatchObject({ ok: true, rule: { from, to } });
      } else {
        expect(result).toMatchObject({ ok: false, code: 'TRANSFER.ILLEGAL_TRANSITION' });
      }
    }
  });

  it('the exported table holds nothing beyond the expected rules, and no (from, to, actor) twice', () => {
    for (const r of TRANSFER_TRANSITIONS) {
      const actors = r.by === 'either' ? PARTIES : [r.by];
      for (const a of actors) expect(allowedBy(r.from, r.to)).toContain(a);
    }
    for (const [from, to] of EXPECTED) expect(TRANSFER_TRANSITIONS.some((r) => r.from === from && r.to === to)).toBe(true);
    for (const [from, to, by] of TRIPLES) {
      const matching = TRANSFER_TRANSITIONS.filter((r) => r.from === from && r.to === to && (r.by === by || (r.by === 'either' && PARTIES.includes(by))));
      expect(matching.length).toBeLessThanOrEqual(1);
    }
  });

  it('says why a transition is refused', () => {
    expect(transition('proposed', 'funded', 'buyer')).toEqual({
      ok: false,
      code: 'TRANSFER.ILLEGAL_TRANSITION',
      message: 'a transfer that is proposed cannot move to funded; from proposed it moves only to agreed, cancelled',
    });
    expect(transition('proposed', 'agreed', 'buyer')).toEqual({
      ok: false,
      code: 'TRANSFER.ILLEGAL_TRANSITION',
      message: 'the buyer cannot move a transfer from proposed to agreed: only the seller may',
    });
    expect(transition('funded', 'disputed', 'worker')).toMatchObject({ message: 'the worker cannot move a transfer from funded to disputed: only the buyer or the seller may' });
    expect(transition('completed', 'disputed', 'buyer')).toMatchObject({ message: 'a transfer that is completed cannot move to disputed: completed is final, nothing more can happen to it' });
  });
});

describe('transition: facts of the pipeline', () => {
  it.each<[Stage, Stage, string]>([
    ['proposed', 'agreed', 'commit_space'],
    ['proposed', 'cancelled', 'none'],
    ['agreed', 'agreed', 'request_documents'],
    ['agreed', 'policy_failed', 'release_space'],
    ['policy_checked', 'awaiting_funds', 'open_escrow'],
    ['awaiting_funds', 'cancelled', 'release_space'],
    ['awaiting_funds', 'refunding', 'refund_escrow'],
    ['funded', 'registry_submitted', 'submit_to_registry'],
    ['registry_submitted', 'registry_submitted', 'request_documents'],
    ['verified', 'released', 'release_escrow'],
    ['released', 'completed', 'record_sale'],
    ['registry_rejected', 'refunding', 'refund_escrow'],
    ['refunding', 'refunded', 'release_space'],
    ['disputed', 'released', 'release_escrow'],
    ['disputed', 'refunding', 'refund_escrow'],
    ['disputed', 'cancelled', 'release_space'],
  ])('%s -> %s runs %s', (from, to, effect) => {
    expect(TRANSFER_TRANSITIONS.find((r) => r.from === from && r.to === to)?.effect).toBe(effect);
  });

  it('every move into disputed freezes the escrow; money leaves escrow only by release_escrow into released or refund_escrow into refunding', () => {
    for (const r of TRANSFER_TRANSITIONS) {
      expect(r.to === 'disputed').toBe(r.effect === 'freeze_escrow');
      if (r.effect === 'release_escrow') expect(r.to).toBe('released');
      if (r.effect === 'refund_escrow') expect(r.to).toBe('refunding');
      if (r.to === 'refunding') expect(r.effect).toBe('refund_escrow');
      if (r.to === 'released') expect(r.effect).toBe('release_escrow');
    }
  });

  it('the block is committed only on acceptance and released only into cancelled, policy_failed or refunded', () => {
    for (const r of TRANSFER_TRANSITIONS) {
      if (r.effect === 'commit_space') expect([r.from, r.to]).toEqual(['proposed', 'agreed']);
      if (r.effect === 'release_space') expect(['cancelled', 'policy_failed', 'refunded']).toContain(r.to);
    }
    // Every way to end without a sale, once the block is committed, releases it.
    for (const r of TRANSFER_TRANSITIONS) {
      if (isTerminal(r.to) && r.to !== 'completed' && r.from !== 'proposed') expect(r.effect).toBe('release_space');
    }
  });

  it('the only self-transitions are the two waits', () => {
    const selfs = TRANSFER_TRANSITIONS.filter((r) => r.from === r.to).map((r) => r.from);
    expect(selfs.sort()).toEqual(Object.values(WAIT_STAGE).sort());
  });

  it('funding is confirmed by the platform only; the seller alone accepts', () => {
    expect(rulesFrom('awaiting_funds').filter((r) => r.to === 'funded')).toEqual([expect.objectContaining({ by: 'platform', trigger: 'funding_confirmed' })]);
    for (const by of ACTORS) expect(transition('proposed', 'agreed', by).ok).toBe(by === 'seller');
  });

  it('cancel: only before funding, by either party', () => {
    for (const s of STAGES) expect(canCancel(s)).toBe(['proposed', 'agreed', 'policy_checked', 'awaiting_funds'].includes(s));
    for (const r of TRANSFER_TRANSITIONS.filter((x) => x.trigger === 'cancel')) expect(r.by).toBe('either');
  });

  it('dispute: from agreed on while the escrow is unsettled, by either party; disputed is not terminal and only the platform resolves it', () => {
    for (const s of STAGES) expect(canDispute(s)).toBe(DISPUTABLE.includes(s));
    expect(isTerminal('disputed')).toBe(false);
    expect(rulesFrom('disputed').map((r) => [r.to, r.by, r.trigger])).toEqual([
      ['released', 'platform', 'resolve_release'],
      ['refunding', 'platform', 'resolve_refund'],
      ['cancelled', 'platform', 'resolve_refund'],
    ]);
    expect(nextWorkerStep('disputed')).toBeNull();
  });

  it.each<[Stage, 'cancel' | 'resolve_refund', bigint, 'cancelled' | 'refunding' | null]>([
    ['proposed', 'cancel', 0n, 'cancelled'],
    ['agreed', 'cancel', 0n, 'cancelled'],
    ['policy_checked', 'cancel', 0n, 'cancelled'],
    ['awaiting_funds', 'cancel', 0n, 'cancelled'],
    ['awaiting_funds', 'cancel', 1n, 'refunding'],
    ['agreed', 'cancel', 5n, null], // money cannot be held before the escrow opens; never dropped
    ['funded', 'cancel', 100n, null],
    ['disputed', 'resolve_refund', 0n, 'cancelled'],
    ['disputed', 'resolve_refund', 100n, 'refunding'],
    ['disputed', 'cancel', 0n, null],
    ['completed', 'cancel', 0n, null],
  ])('callOffTarget(%s, %s, %s) is %s', (stage, trigger, held, target) => {
    expect(callOffTarget(stage, trigger, held)).toBe(target);
  });

  it('callOffTarget refuses a negative amount', () => {
    expect(() => callOffTarget('awaiting_funds', 'cancel', -1n)).toThrow(RangeError);
  });
});

describe('the stage graph', () => {
  const reachable = (from: Stage): Set<Stage> => {
    const seen = new Set<Stage>([from]);
    const queue = [from];
    while (queue.length > 0) {
      for (const r of rulesFrom(queue.shift()!)) {
        if (!seen.has(r.to)) {
          seen.add(r.to);
          queue.push(r.to);
        }
      }
    }
    return seen;
  };

  it('every stage is reachable from proposed', () => {
    expect(reachable('proposed')).toEqual(new Set(STAGES));
  });

  it('terminal stages have no way out; failures and terminals are the documented sets', () => {
    expect(TERMINAL_STAGES).toEqual(['completed', 'policy_failed', 'refunded', 'cancelled']);
    expect(FAILURE_STAGES).toEqual(['policy_failed', 'registry_rejected', 'refunding', 'refunded', 'cancelled', 'disputed']);
    for (const s of STAGES) expect(rulesFrom(s).length === 0).toBe(isTerminal(s));
  });

  it.each(STAGES.filter((s) => !isTerminal(s)))('%s reaches a terminal stage', (from) => {
    expect([...reachable(from)].some(isTerminal)).toBe(true);
  });

  it('has no cycle but the waits: every walk ends (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), (choices) => {
        let stage: Stage = 'proposed';
        let steps = 0;
        for (const c of choices) {
          const moves: TransitionRule[] = rulesFrom(stage).filter((r) => r.to !== stage);
          if (moves.length === 0) break;
          stage = moves[c % moves.length]!.to;
          steps++;
        }
        expect(isTerminal(stage)).toBe(true);
        expect(steps).toBeLessThanOrEqual(STAGES.length);
      }),
    );
  });

  it('isStage', () => {
    for (const s of STAGES) expect(isStage(s)).toBe(true);
    for (const v of ['Agreed', 'documents_required', '', null, 3]) expect(isStage(v)).toBe(false);
  });
});

describe('nextWorkerStep', () => {
  it('is the worker rules of the stage, under its check', () => {
    expect(nextWorkerStep('agreed')).toEqual({
      stage: 'agreed',
      check: 'policy_check',
      rules: [expect.objectContaining({ to: 'policy_checked' }), expect.objectContaining({ to: 'agreed' }), expect.objectContaining({ to: 'policy_failed' })],
    });
    expect(nextWorkerStep('registry_submitted')?.rules.map((r) => r.to)).toEqual(['registry_approved', 'registry_rejected', 'registry_submitted']);
    expect(nextWorkerStep('registry_completed')).toMatchObject({ check: 'verify_rdap', rules: [{ to: 'verified' }] });
    expect(nextWorkerStep('verified')).toMatchObject({ check: null, rules: [{ to: 'released', effect: 'release_escrow' }] });
  });

  it('exists exactly where the worker has rules; a step without a check has exactly one', () => {
    for (const s of STAGES) {
      const step = nextWorkerStep(s);
      const workerRules = rulesFrom(s).filter((r) => r.by === 'worker');
      expect(step === null).toBe(workerRules.length === 0);
      if (step) {
        expect(step.rules).toEqual(workerRules);
        if (step.check === null) expect(step.rules).toHaveLength(1);
      }
    }
    expect(Object.keys(WORKER_CHECKS).sort()).toEqual(STAGES.filter((s) => nextWorkerStep(s) !== null).sort());
  });

  it.each<Stage>(['proposed', 'awaiting_funds', 'disputed', ...TERMINAL_STAGES])('%s waits on someone else, or is final', (s) => {
    expect(nextWorkerStep(s)).toBeNull();
  });
});

describe('due times', () => {
  const route = (sourceRir: Rir, destinationRir: Rir = sourceRir) => ({ sourceRir, destinationRir });
  const DAY = 24;
  const WEEK = 7 * DAY;

  it('every live stage has one, terminal stages none', () => {
    for (const s of STAGES) {
      const h = dueHours(s, route('ARIN'));
      if (isTerminal(s)) expect(h).toBeNull();
      else expect(h).toBeGreaterThan(0);
    }
    expect(Object.keys(STAGE_DUES).sort()).toEqual(STAGES.filter((s) => !isTerminal(s)).sort());
  });

  it.each<[string, Stage, Rir, Rir, number]>([
    ['a week to answer an offer', 'proposed', 'ARIN', 'ARIN', WEEK],
    ['a week to fund', 'awaiting_funds', 'ARIN', 'ARIN', WEEK],
    ['a worker step within a day', 'funded', 'ARIN', 'ARIN', DAY],
    ['RIPE NCC review: 2 weeks', 'registry_submitted', 'RIPE', 'RIPE', 2 * WEEK],
    ['ARIN review: 4 weeks', 'registry_submitted', 'ARIN', 'ARIN', 4 * WEEK],
    ['APNIC review: 3 weeks', 'registry_submitted', 'APNIC', 'APNIC', 3 * WEEK],
    ['LACNIC review: 5 weeks', 'registry_submitted', 'LACNIC', 'LACNIC', 5 * WEEK],
    ['AFRINIC review: as the slowest stated', 'registry_submitted', 'AFRINIC', 'AFRINIC', 5 * WEEK],
    ['inter-RIR review: 6 weeks', 'registry_submitted', 'ARIN', 'RIPE', 6 * WEEK],
    ['inter-RIR with LACNIC: 10 months', 'registry_submitted', 'ARIN', 'LACNIC', 300 * DAY],
    ['inter-RIR from LACNIC: 10 months', 'registry_submitted', 'LACNIC', 'APNIC', 300 * DAY],
    ['registry update, intra-RIR', 'registry_approved', 'RIPE', 'RIPE', WEEK],
    ['registry update, inter-RIR', 'registry_approved', 'RIPE', 'ARIN', 2 * WEEK],
    ['RDAP lags: 3 days', 'registry_completed', 'RIPE', 'ARIN', 3 * DAY],
    ['an admin resolves a dispute in 2 weeks', 'disputed', 'ARIN', 'ARIN', 2 * WEEK],
  ])('%s', (_what, stage, src, dst, hours) => {
    expect(dueHours(stage, route(src, dst))).toBe(hours);
  });

  it('waits have their own due times, and belong to their stage', () => {
    expect(dueHours('agreed', route('APNIC'), 'documents_required')).toBe(30 * DAY);
    expect(dueHours('registry_submitted', route('APNIC'), 'registry_info_requested')).toBe(2 * WEEK);
    expect(() => dueHours('funded', route('APNIC'), 'documents_required')).toThrow(/documents_required is a wait of agreed, not of funded/);
  });
});
