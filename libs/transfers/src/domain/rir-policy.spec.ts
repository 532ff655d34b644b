import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatPrefix, networkOf } from '@app/ipam';
import type { Rir } from '@app/registry';
import {
  evaluatePolicy, monthsAfterDayUtc, POLICY_DOCUMENT_CODES, POLICY_FAILURE_CODES, RIR_POLICY_TABLE,
  type PolicyDocument, type PolicyInput, type PolicyOutcome, type PolicyTable,
} from './rir-policy.js';

const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();
const DAY = 86_400_000;

// A Record, so the compiler refuses this list if @app/registry's Rir gains or loses a code.
const RIR_SET: Record<Rir, true> = { ARIN: true, RIPE: true, APNIC: true, LACNIC: true, AFRINIC: true };
const RIRS = Object.keys(RIR_SET) as Rir[];

const NOW = at('2026-11-15T12:00:00.000Z');
const LONG_AGO = at('2015-01-01T00:00:00.000Z');

/** A transfer that passes: intra-RIPE /24 received long ago. */
function anInput(overrides: Partial<PolicyInput> = {}): PolicyInput {
  const prefix = overrides.prefix ?? '198.51.100.0/24';
  return {
    prefix,
    prefixLength: Number(prefix.split('/')[1]),
    sourceRir: 'RIPE',
    destinationRir: 'RIPE',
    blockReceivedAt: LONG_AGO,
    sellerLastReceivedAt: null,
    delegatedAt: LONG_AGO,
    now: NOW,
    documents: [],
    ...overrides,
  };
}

function aDocument(overrides: Partial<PolicyDocument> = {}): PolicyDocument {
  return { kind: 'pre_approval', rir: 'APNIC', approvedSize: 22, issuedAt: at('2026-06-01T00:00:00.000Z'), ...overrides };
}

function codes(outcome: PolicyOutcome): string[] {
  if (outcome.result === 'fail') return outcome.failures.map((f) => f.code);
  if (outcome.result === 'documents_required') return outcome.required.map((r) => r.code);
  return [];
}

/** A valid document for the destination RIR, so that needs rules do not mask what a test looks at. */
const covering = (rir: Rir): PolicyDocument[] => [aDocument({ rir, approvedSize: 8 })];

describe('monthsAfterDayUtc', () => {
  it.each([
    ['2025-03-15T10:20:30.000Z', 12, '2026-03-15T00:00:00.000Z'],
    ['2025-03-15T23:59:59.999Z', 24, '2027-03-15T00:00:00.000Z'],
    ['2024-02-29T12:00:00.000Z', 12, '2025-03-01T00:00:00.000Z'], // no Feb 29 in 2025: never shorter than 12 months
    ['2024-02-29T12:00:00.000Z', 24, '2026-03-01T00:00:00.000Z'],
    ['2024-02-29T12:00:00.000Z', 48, '2028-02-29T00:00:00.000Z'], // leap year to leap year
    ['2023-02-28T00:00:00.000Z', 12, '2024-02-28T00:00:00.000Z'],
    ['2025-01-31T00:00:00.000Z', 1, '2025-03-01T00:00:00.000Z'],
    ['2024-01-31T00:00:00.000Z', 1, '2024-03-01T00:00:00.000Z'],
    ['2025-08-31T00:00:00.000Z', 60, '2030-08-31T00:00:00.000Z'],
    ['2025-12-31T00:00:00.000Z', 2, '2026-03-01T00:00:00.000Z'],
    ['2025-11-15T00:00:00.000Z', 2, '2026-01-15T00:00:00.000Z'],
    ['2025-11-15T00:00:00.000Z', 0, '2025-11-15T00:00:00.000Z'],
    ['2099-02-28T00:00:00.000Z', 12, '2100-02-28T00:00:00.000Z'], // 2100 is not a leap year
    ['0050-03-10T00:00:00.000Z', 1, '0050-04-10T00:00:00.000Z'], // not read as 1950
  ])('%s + %d months starts on %s', (from, months, to) => {
    expect(iso(monthsAfterDayUtc(at(from), months))).toBe(to);
  });

  it('refuses bad input', () => {
    expect(() => monthsAfterDayUtc(new Date(Number.NaN), 1)).toThrow(RangeError);
    expect(() => monthsAfterDayUtc(NOW, 1.5)).toThrow(RangeError);
    expect(() => monthsAfterDayUtc(NOW, -1)).toThrow(RangeError);
  });

  const anyDate = fc.date({ min: at('1970-01-01T00:00:00Z'), max: at('2300-01-01T00:00:00Z'), noInvalidDate: true });

  it('is a UTC midnight, at least the whole months later, and at most 3 days past the clamped date', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: 0, max: 1200 }), (from, months) => {
        const end = monthsAfterDayUtc(from, months);
        expect(end.getTime() % DAY).toBe(0);
        const monthsApart = (end.getUTCFullYear() * 12 + end.getUTCMonth()) - (from.getUTCFullYear() * 12 + from.getUTCMonth());
        if (end.getUTCDate() === from.getUTCDate()) expect(monthsApart).toBe(months);
        else {
          // Rolled over: the target month lacks the day, the 1st of the month after it.
          expect(end.getUTCDate()).toBe(1);
          expect(monthsApart).toBe(months + 1);
        }
      }),
    );
  });

  it('is monotonic in months and in the start day', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: 0, max: 600 }), (from, months) => {
        expect(monthsAfterDayUtc(from, months + 1).getTime()).toBeGreaterThan(monthsAfterDayUtc(from, months).getTime());
        expect(monthsAfterDayUtc(new Date(from.getTime() + DAY), months).getTime()).toBeGreaterThanOrEqual(monthsAfterDayUtc(from, months).getTime());
      }),
    );
  });
});

describe('RIR_POLICY_TABLE', () => {
  it('is versioned, and every rule has a unique id, RIRs and a source', () => {
    expect(RIR_POLICY_TABLE.version).toBe('rir-policy/2026-11');
    const ids = RIR_POLICY_TABLE.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RIR_POLICY_TABLE.rules) {
      expect(rule.source.trim().length).toBeGreaterThan(5);
      expect(rule.rirs.length).toBeGreaterThan(0);
      for (const r of rule.rirs) expect(RIRS).toContain(r);
    }
  });

  it('is plain data (survives a JSON round trip unchanged)', () => {
    expect(JSON.parse(JSON.stringify(RIR_POLICY_TABLE))).toEqual(RIR_POLICY_TABLE);
  });
});

describe('minimum size', () => {
  it.each([
    ['198.51.100.0/24', []],
    ['198.51.100.0/25', ['POLICY.PREFIX_TOO_SMALL']],
    ['198.51.100.128/26', ['POLICY.PREFIX_TOO_SMALL']],
    ['198.51.100.7/32', ['POLICY.PREFIX_TOO_SMALL']],
    ['198.51.0.0/16', []],
    ['10.0.0.0/8', []],
  ])('%s intra-RIPE -> %j', (prefix, expected) => {
    expect(codes(evaluatePolicy(anInput({ prefix })))).toEqual(expected);
  });

  it.each(RIRS)('applies to %s as source and as destination, once per transfer', (rir) => {
    const intra = evaluatePolicy(anInput({ prefix: '198.51.100.0/25', sourceRir: rir, destinationRir: rir, documents: covering(rir) }));
    expect(codes(intra)).toEqual(['POLICY.PREFIX_TOO_SMALL']);
    const failure = intra.result === 'fail' ? intra.failures[0]! : null;
    expect(failure?.rule).toBe('minimum-size-24');
    expect(failure?.reason).toContain('198.51.100.0/25');
  });
});

describe('holding periods (source RIR), to the day', () => {
  // Each: source RIR, which date field starts it, the start, the first day it passes.
  const cases: [Rir, keyof PolicyInput, string, string, string][] = [
    ['ARIN', 'sellerLastReceivedAt', '2025-11-20T15:00:00.000Z', '2026-11-20', 'arin-source-12-months'],
    ['ARIN', 'blockReceivedAt', '2025-11-20T15:00:00.000Z', '2026-11-20', 'arin-source-12-months'],
    ['RIPE', 'blockReceivedAt', '2024-11-20T00:00:00.000Z', '2026-11-20', 'ripe-holding-24-months'],
    ['LACNIC', 'blockReceivedAt', '2025-11-20T23:59:59.000Z', '2026-11-20', 'lacnic-holding-1-year'],
    ['AFRINIC', 'sellerLastReceivedAt', '2025-11-20T08:00:00.000Z', '2026-11-20', 'afrinic-source-12-months'],
    ['AFRINIC', 'blockReceivedAt', '2025-11-20T08:00:00.000Z', '2026-11-20', 'afrinic-source-12-months'],
    ['APNIC', 'delegatedAt', '2021-11-20T03:00:00.000Z', '2026-11-20', 'apnic-103-5-years'],
  ];

  describe.each(cases)('%s from %s = %s', (rir, field, start, endsOn, ruleId) => {
    const prefix = rir === 'APNIC' ? '103.20.30.0/24' : '198.51.100.0/24';
    const input = (now: Date) => anInput({ prefix, sourceRir: rir, destinationRir: rir, documents: covering(rir), ...({ [field]: at(start) } as Partial<PolicyInput>), now });

    it('fails the day before it ends, with the end date in the reason and as data', () => {
      const outcome = evaluatePolicy(input(new Date(at(`${endsOn}T00:00:00.000Z`).getTime() - 1)));
      expect(outcome.result).toBe('fail');
      if (outcome.result !== 'fail') return;
      expect(outcome.failures).toHaveLength(1);
      const [failure] = outcome.failures;
      expect(failure).toMatchObject({ code: 'POLICY.HOLDING_PERIOD', rule: ruleId });
      expect(iso(failure!.endsAt!)).toBe(`${endsOn}T00:00:00.000Z`);
      expect(failure!.reason).toContain(endsOn);
      expect(failure!.reason).toContain(start.slice(0, 10));
      expect(failure!.source.length).toBeGreaterThan(0);
    });

    it('passes from the first moment of the day it ends', () => {
      expect(evaluatePolicy(input(at(`${endsOn}T00:00:00.000Z`))).result).toBe('pass');
      expect(evaluatePolicy(input(at(`${endsOn}T23:59:59.999Z`))).result).toBe('pass');
    });
  });

  it('counts Feb 29 + 12 months as ending on Mar 1 (ARIN)', () => {
    const input = (now: string) => anInput({ sourceRir: 'ARIN', destinationRir: 'ARIN', blockReceivedAt: at('2024-02-29T10:00:00Z'), now: at(now) });
    const before = evaluatePolicy(input('2025-02-28T23:59:59.999Z'));
    expect(codes(before)).toEqual(['POLICY.HOLDING_PERIOD']);
    expect(before.result === 'fail' && iso(before.failures[0]!.endsAt!)).toBe('2025-03-01T00:00:00.000Z');
    expect(evaluatePolicy(input('2025-03-01T00:00:00.000Z')).result).toBe('pass');
  });

  it('counts Feb 29 + 24 months as ending on Mar 1 (RIPE NCC)', () => {
    const input = (now: string) => anInput({ blockReceivedAt: at('2024-02-29T10:00:00Z'), now: at(now) });
    expect(codes(evaluatePolicy(input('2026-02-28T12:00:00Z')))).toEqual(['POLICY.HOLDING_PERIOD']);
    expect(evaluatePolicy(input('2026-03-01T00:00:00Z')).result).toBe('pass');
  });

  it('ARIN and AFRINIC use the most recent receipt of any space, not only of this block', () => {
    for (const rir of ['ARIN', 'AFRINIC'] as const) {
      const input = anInput({ sourceRir: rir, destinationRir: rir, documents: covering(rir), blockReceivedAt: LONG_AGO, sellerLastReceivedAt: at('2026-06-01T00:00:00Z') });
      const outcome = evaluatePolicy(input);
      expect(codes(outcome)).toEqual(['POLICY.HOLDING_PERIOD']);
      expect(outcome.result === 'fail' && iso(outcome.failures[0]!.endsAt!)).toBe('2027-06-01T00:00:00.000Z');
      // A stale "last received" older than this block's own receipt does not hide the block's.
      const stale = evaluatePolicy({ ...input, blockReceivedAt: at('2026-06-01T00:00:00Z'), sellerLastReceivedAt: LONG_AGO });
      expect(codes(stale)).toEqual(['POLICY.HOLDING_PERIOD']);
    }
  });

  it('RIPE NCC and LACNIC look at this block, not at other receipts', () => {
    for (const rir of ['RIPE', 'LACNIC'] as const) {
      const input = anInput({ sourceRir: rir, destinationRir: rir, documents: covering(rir), blockReceivedAt: LONG_AGO, sellerLastReceivedAt: at('2026-06-01T00:00:00Z') });
      expect(evaluatePolicy(input).result).toBe('pass');
    }
  });

  it('APNIC: only 103/8 is held, for 5 years from delegation, whatever the last receipt', () => {
    const recent = at('2026-06-01T00:00:00Z');
    const base = { sourceRir: 'APNIC', destinationRir: 'APNIC', documents: covering('APNIC'), blockReceivedAt: recent, sellerLastReceivedAt: recent } as const;
    expect(evaluatePolicy(anInput({ ...base, prefix: '1.2.3.0/24', delegatedAt: recent })).result).toBe('pass');
    expect(evaluatePolicy(anInput({ ...base, prefix: '102.255.255.0/24', delegatedAt: recent })).result).toBe('pass');
    expect(evaluatePolicy(anInput({ ...base, prefix: '104.0.0.0/24', delegatedAt: recent })).result).toBe('pass');
    expect(codes(evaluatePolicy(anInput({ ...base, prefix: '103.255.255.0/24', delegatedAt: recent })))).toEqual(['POLICY.HOLDING_PERIOD']);
    expect(evaluatePolicy(anInput({ ...base, prefix: '103.0.0.0/24', delegatedAt: at('2021-11-15T00:00:00Z') })).result).toBe('pass');
    // The 103/8 rule is APNIC's: a 103/8 block now held at RIPE NCC is under RIPE's rules.
    expect(evaluatePolicy(anInput({ prefix: '103.0.0.0/24', delegatedAt: recent })).result).toBe('pass');
  });

  it('applies the source RIR\'s holding period to inter-RIR transfers too', () => {
    const outcome = evaluatePolicy(anInput({ sourceRir: 'RIPE', destinationRir: 'ARIN', blockReceivedAt: at('2026-01-01T00:00:00Z') }));
    expect(codes(outcome)).toEqual(['POLICY.HOLDING_PERIOD']);
    expect(outcome.result === 'fail' && outcome.failures[0]!.rule).toBe('ripe-holding-24-months');
  });
});

describe('unknown registration dates never pass', () => {
  it.each([
    ['ARIN', { blockReceivedAt: null, sellerLastReceivedAt: null }, '198.51.100.0/24'],
    ['RIPE', { blockReceivedAt: null }, '198.51.100.0/24'],
    ['RIPE', { blockReceivedAt: new Date(Number.NaN) }, '198.51.100.0/24'],
    ['LACNIC', { blockReceivedAt: null, sellerLastReceivedAt: LONG_AGO }, '198.51.100.0/24'],
    ['AFRINIC', { blockReceivedAt: null, sellerLastReceivedAt: undefined }, '198.51.100.0/24'],
    ['APNIC', { delegatedAt: null }, '103.1.2.0/24'],
    ['APNIC', { delegatedAt: undefined }, '103.1.2.0/24'],
  ] as [Rir, Partial<PolicyInput>, string][])('%s %j on %s is a fail with POLICY.UNKNOWN_REGISTRATION_DATE', (rir, dates, prefix) => {
    const outcome = evaluatePolicy(anInput({ prefix, sourceRir: rir, destinationRir: rir, documents: covering(rir), ...dates }));
    expect(codes(outcome)).toEqual(['POLICY.UNKNOWN_REGISTRATION_DATE']);
    expect(outcome.result === 'fail' && outcome.failures[0]!.reason).toMatch(/unknown/);
  });

  it('the seller\'s last receipt alone is enough where any receipt counts (ARIN, AFRINIC)', () => {
    for (const rir of ['ARIN', 'AFRINIC'] as const) {
      expect(evaluatePolicy(anInput({ sourceRir: rir, destinationRir: rir, documents: covering(rir), blockReceivedAt: null, sellerLastReceivedAt: LONG_AGO })).result).toBe('pass');
    }
  });

  it('no delegation date is needed for APNIC space outside 103/8', () => {
    expect(evaluatePolicy(anInput({ prefix: '1.2.3.0/24', sourceRir: 'APNIC', destinationRir: 'APNIC', documents: covering('APNIC'), delegatedAt: null })).result).toBe('pass');
  });
});

describe('inter-RIR pairs (all 25)', () => {
  const participants: readonly Rir[] = ['ARIN', 'RIPE', 'APNIC', 'LACNIC'];
  const pairs = RIRS.flatMap((from) => RIRS.map((to) => [from, to, from === to || (participants.includes(from) && participants.includes(to))] as const));

  it('covers every ordered pair once', () => {
    expect(pairs).toHaveLength(25);
  });

  it.each(pairs)('%s -> %s allowed: %s', (from, to, allowed) => {
    const outcome = evaluatePolicy(anInput({ sourceRir: from, destinationRir: to, documents: covering(to) }));
    expect(codes(outcome).includes('POLICY.INTER_RIR_NOT_ALLOWED')).toBe(!allowed);
    expect(outcome.result).toBe(allowed ? 'pass' : 'fail');
    if (!allowed && outcome.result === 'fail') {
      expect(outcome.failures[0]).toMatchObject({ rule: 'inter-rir-pairs' });
      expect(outcome.failures[0]!.reason).toContain('AFRINIC');
    }
  });
});

describe('needs-based recipients', () => {
  // Destination, source, prefix length: is a document asked for?
  const matrix: [Rir, Rir, number, boolean][] = [
    ['ARIN', 'ARIN', 24, false], // a /24 into ARIN needs nothing
    ['ARIN', 'ARIN', 23, true],
    ['ARIN', 'RIPE', 24, false],
    ['ARIN', 'RIPE', 22, true],
    ['ARIN', 'APNIC', 16, true],
    ['APNIC', 'APNIC', 24, true],
    ['APNIC', 'ARIN', 24, true],
    ['APNIC', 'RIPE', 20, true],
    ['LACNIC', 'LACNIC', 24, true],
    ['LACNIC', 'RIPE', 24, true],
    ['RIPE', 'RIPE', 24, false],
    ['RIPE', 'RIPE', 16, false],
    ['RIPE', 'ARIN', 24, true],
    ['RIPE', 'APNIC', 22, true],
    ['RIPE', 'LACNIC', 24, true],
    ['AFRINIC', 'AFRINIC', 24, true],
  ];

  it.each(matrix)('into %s from %s, a /%d: documents required %s', (to, from, length, needed) => {
    const prefix = formatPrefix({ first: networkOf(0xc6336400, length), length });
    const outcome = evaluatePolicy(anInput({ prefix, sourceRir: from, destinationRir: to }));
    if (!needed) {
      expect(outcome.result).toBe('pass');
      return;
    }
    expect(outcome.result).toBe('documents_required');
    if (outcome.result !== 'documents_required') return;
    expect(outcome.required).toHaveLength(1);
    expect(outcome.required[0]).toMatchObject({ code: 'POLICY.NEEDS_JUSTIFICATION_REQUIRED', rir: to });
    expect(outcome.required[0]!.reason).toContain(`/${length}`);
    // Either kind of document from the destination RIR, covering the block, settles it.
    for (const kind of ['pre_approval', 'needs_justification'] as const) {
      const documents = [aDocument({ kind, rir: to, approvedSize: length })];
      expect(evaluatePolicy(anInput({ prefix, sourceRir: from, destinationRir: to, documents })).result).toBe('pass');
    }
  });

  it('asks ARIN and APNIC for a pre-approval, the others for a needs justification', () => {
    const kindFor = (to: Rir, from: Rir) => {
      const o = evaluatePolicy(anInput({ prefix: '198.51.96.0/22', sourceRir: from, destinationRir: to }));
      return o.result === 'documents_required' ? o.required[0]!.kind : null;
    };
    expect([kindFor('ARIN', 'ARIN'), kindFor('APNIC', 'APNIC'), kindFor('LACNIC', 'LACNIC'), kindFor('RIPE', 'ARIN'), kindFor('AFRINIC', 'AFRINIC')]).toEqual([
      'pre_approval', 'pre_approval', 'needs_justification', 'needs_justification', 'needs_justification',
    ]);
  });
});

describe('documents on file', () => {
  const apnic = (documents: PolicyDocument[], prefix = '198.51.100.0/24', now = NOW) => evaluatePolicy(anInput({ prefix, sourceRir: 'APNIC', destinationRir: 'APNIC', documents, now }));

  it('counts only documents from the destination RIR', () => {
    expect(codes(apnic([aDocument({ rir: 'ARIN' }), aDocument({ rir: 'RIPE' })]))).toEqual(['POLICY.NEEDS_JUSTIFICATION_REQUIRED']);
    expect(apnic([aDocument({ rir: 'ARIN' }), aDocument({ rir: 'APNIC' })]).result).toBe('pass');
  });

  it.each([
    [22, '198.51.96.0/22', true],
    [22, '198.51.98.0/23', true],
    [22, '198.51.100.0/24', true],
    [22, '198.51.96.0/21', false],
    [24, '198.51.98.0/23', false],
    [8, '198.0.0.0/8', true],
  ])('approvedSize /%d covers %s: %s', (approvedSize, prefix, covers) => {
    const outcome = apnic([aDocument({ approvedSize })], prefix);
    expect(codes(outcome)).toEqual(covers ? [] : ['POLICY.PRE_APPROVAL_TOO_SMALL']);
    if (!covers && outcome.result === 'documents_required') expect(outcome.required[0]!.reason).toContain(`/${approvedSize}`);
  });

  it('an explicit expiry: valid until the instant before it', () => {
    const expiresAt = at('2026-11-15T12:00:00.001Z');
    expect(apnic([aDocument({ expiresAt })]).result).toBe('pass');
    expect(codes(apnic([aDocument({ expiresAt: NOW })]))).toEqual(['POLICY.PRE_APPROVAL_EXPIRED']);
    const expired = apnic([aDocument({ expiresAt: at('2026-10-01T00:00:00Z') })]);
    expect(expired.result === 'documents_required' && expired.required[0]!.reason).toContain('2026-10-01');
  });

  it('no expiry: APNIC pre-approvals count for 24 months from the issue day', () => {
    const issuedAt = at('2024-11-16T09:00:00Z');
    expect(apnic([aDocument({ issuedAt })], undefined, at('2026-11-15T23:59:59.999Z')).result).toBe('pass');
    expect(codes(apnic([aDocument({ issuedAt })], undefined, at('2026-11-16T00:00:00Z')))).toEqual(['POLICY.PRE_APPROVAL_EXPIRED']);
  });

  it('no expiry: ARIN pre-approvals count for 24 months as well', () => {
    const arin = (now: string) =>
      evaluatePolicy(anInput({ prefix: '198.51.96.0/22', sourceRir: 'ARIN', destinationRir: 'ARIN', now: at(now), documents: [aDocument({ rir: 'ARIN', issuedAt: at('2024-11-16T09:00:00Z') })] }));
    expect(arin('2026-11-15T12:00:00Z').result).toBe('pass');
    expect(codes(arin('2026-11-16T00:00:00Z'))).toEqual(['POLICY.PRE_APPROVAL_EXPIRED']);
  });

  it('an explicit expiry wins over the default validity', () => {
    const issuedAt = at('2020-01-01T00:00:00Z');
    expect(apnic([aDocument({ issuedAt, expiresAt: at('2027-01-01T00:00:00Z') })]).result).toBe('pass');
  });

  it('a post-dated document does not count yet', () => {
    expect(codes(apnic([aDocument({ issuedAt: at('2026-12-01T00:00:00Z') })]))).toEqual(['POLICY.NEEDS_JUSTIFICATION_REQUIRED']);
  });

  it('any one live, covering document is enough; the most useful code is given otherwise', () => {
    const expired = aDocument({ approvedSize: 16, expiresAt: at('2026-01-01T00:00:00Z') });
    const tooSmall = aDocument({ approvedSize: 24 });
    const good = aDocument({ approvedSize: 20 });
    expect(apnic([expired, tooSmall, good], '198.51.96.0/22').result).toBe('pass');
    expect(codes(apnic([expired, tooSmall], '198.51.96.0/22'))).toEqual(['POLICY.PRE_APPROVAL_TOO_SMALL']);
    expect(codes(apnic([expired], '198.51.96.0/22'))).toEqual(['POLICY.PRE_APPROVAL_EXPIRED']);
    expect(codes(apnic([], '198.51.96.0/22'))).toEqual(['POLICY.NEEDS_JUSTIFICATION_REQUIRED']);
  });

  it('ignores documents with unusable data instead of counting them', () => {
    expect(apnic([aDocument({ approvedSize: 33 }), aDocument({ approvedSize: 22.5 }), aDocument({ issuedAt: new Date(Number.NaN) })]).result).toBe('documents_required');
    expect(apnic([aDocument({ expiresAt: new Date(Number.NaN) })]).result).toBe('documents_required');
  });

  it('documents_required then pass once a document is attached (the pipeline\'s wait)', () => {
    const input = anInput({ sourceRir: 'ARIN', destinationRir: 'RIPE' });
    const waiting = evaluatePolicy(input);
    expect(waiting).toMatchObject({ result: 'documents_required', required: [{ kind: 'needs_justification', rir: 'RIPE', rule: 'ripe-needs-from-needs-based' }] });
    expect(evaluatePolicy({ ...input, documents: [aDocument({ kind: 'needs_justification', rir: 'RIPE', approvedSize: 24 })] }).result).toBe('pass');
  });
});

describe('outcomes', () => {
  it('collects every failure, and a fail wins over documents required', () => {
    const outcome = evaluatePolicy(anInput({
      prefix: '198.51.100.0/25', sourceRir: 'AFRINIC', destinationRir: 'APNIC', blockReceivedAt: at('2026-10-01T00:00:00Z'), documents: [],
    }));
    expect(outcome.result).toBe('fail');
    expect(codes(outcome).sort()).toEqual(['POLICY.HOLDING_PERIOD', 'POLICY.INTER_RIR_NOT_ALLOWED', 'POLICY.PREFIX_TOO_SMALL']);
    expect(outcome).not.toHaveProperty('required');
  });

  it('collects an unknown date alongside other failures', () => {
    const outcome = evaluatePolicy(anInput({ prefix: '103.9.8.0/25', sourceRir: 'APNIC', destinationRir: 'AFRINIC', delegatedAt: null }));
    expect(codes(outcome).sort()).toEqual(['POLICY.INTER_RIR_NOT_ALLOWED', 'POLICY.PREFIX_TOO_SMALL', 'POLICY.UNKNOWN_REGISTRATION_DATE']);
  });

  it('carries the table version in each of the three shapes', () => {
    const version = RIR_POLICY_TABLE.version;
    expect(evaluatePolicy(anInput())).toEqual({ result: 'pass', tableVersion: version });
    expect(evaluatePolicy(anInput({ prefix: '198.51.100.0/25' }))).toMatchObject({ result: 'fail', tableVersion: version });
    expect(evaluatePolicy(anInput({ destinationRir: 'APNIC' }))).toMatchObject({ result: 'documents_required', tableVersion: version });
  });

  it('follows the table it is given (data-driven), and reports that table\'s version', () => {
    const shorter: PolicyTable = {
      version: 'test/ripe-6-months',
      rules: RIR_POLICY_TABLE.rules.map((r) => (r.id === 'ripe-holding-24-months' ? { ...r, months: 6 } : r)),
    };
    const input = anInput({ blockReceivedAt: at('2026-04-01T00:00:00Z') });
    expect(evaluatePolicy(input).result).toBe('fail');
    expect(evaluatePolicy(input, shorter)).toEqual({ result: 'pass', tableVersion: 'test/ripe-6-months' });
    expect(evaluatePolicy(anInput({ prefix: '198.51.100.0/32' }), { version: 'empty/1', rules: [] })).toEqual({ result: 'pass', tableVersion: 'empty/1' });
  });

  it('lists each code exactly once as a fail or a document code', () => {
    expect(new Set([...POLICY_FAILURE_CODES, ...POLICY_DOCUMENT_CODES]).size).toBe(7);
  });

  it('refuses malformed input (a caller bug, not a policy outcome)', () => {
    expect(() => evaluatePolicy(anInput({ prefix: '198.51.100.1/24', prefixLength: 24 }))).toThrow(RangeError);
    expect(() => evaluatePolicy(anInput({ prefix: '198.51.100.0/24', prefixLength: 23 }))).toThrow(RangeError);
    expect(() => evaluatePolicy(anInput({ prefix: 'not a prefix', prefixLength: 24 }))).toThrow(RangeError);
    expect(() => evaluatePolicy(anInput({ now: new Date(Number.NaN) }))).toThrow(RangeError);
    expect(() => evaluatePolicy(anInput({ sourceRir: 'IANA' as Rir }))).toThrow(RangeError);
  });
});

describe('properties', () => {
  const rir = fc.constantFrom(...RIRS);
  const date = fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2030-12-31T00:00:00Z'), noInvalidDate: true });
  const maybeDate = fc.option(date, { nil: null });
  const doc = fc.record({
    kind: fc.constantFrom('needs_justification' as const, 'pre_approval' as const),
    rir,
    approvedSize: fc.integer({ min: 8, max: 32 }),
    issuedAt: date,
    expiresAt: fc.option(date, { nil: undefined }),
  });
  const input: fc.Arbitrary<PolicyInput> = fc
    .record({
      address: fc.integer({ min: 0, max: 0xffffffff }),
      length: fc.integer({ min: 8, max: 32 }),
      in103: fc.boolean(),
      sourceRir: rir,
      destinationRir: rir,
      blockReceivedAt: maybeDate,
      sellerLastReceivedAt: fc.option(date, { nil: undefined }),
      delegatedAt: maybeDate,
      now: date,
      documents: fc.array(doc, { maxLength: 4 }),
    })
    .map(({ address, length, in103, ...rest }) => {
      const first = networkOf(in103 ? 103 * 2 ** 24 + (address % 2 ** 24) : address, length);
      return { ...rest, prefix: formatPrefix({ first, length }), prefixLength: length };
    });

  it('the outcome is exactly one of the three shapes, with the table version', () => {
    fc.assert(
      fc.property(input, (i) => {
        const o = evaluatePolicy(i);
        expect(o.tableVersion).toBe(RIR_POLICY_TABLE.version);
        if (o.result === 'pass') expect(Object.keys(o).sort()).toEqual(['result', 'tableVersion']);
        else if (o.result === 'fail') {
          expect(Object.keys(o).sort()).toEqual(['failures', 'result', 'tableVersion']);
          expect(o.failures.length).toBeGreaterThan(0);
          for (const f of o.failures) expect(POLICY_FAILURE_CODES).toContain(f.code);
        } else {
          expect(o.result).toBe('documents_required');
          expect(Object.keys(o).sort()).toEqual(['required', 'result', 'tableVersion']);
          expect(o.required.length).toBeGreaterThan(0);
          for (const r of o.required) expect(POLICY_DOCUMENT_CODES).toContain(r.code);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('adding a valid document never turns a pass into a fail, nor changes any failure', () => {
    fc.assert(
      fc.property(input, fc.integer({ min: 0, max: 24 }), fc.constantFrom('needs_justification' as const, 'pre_approval' as const), (i, shorterBy, kind) => {
        const before = evaluatePolicy(i);
        const valid: PolicyDocument = {
          kind,
          rir: i.destinationRir,
          approvedSize: Math.max(0, i.prefixLength - shorterBy),
          issuedAt: new Date(i.now.getTime() - DAY),
          expiresAt: new Date(i.now.getTime() + DAY),
        };
        const after = evaluatePolicy({ ...i, documents: [...i.documents, valid] });
        expect(after.result === 'fail').toBe(before.result === 'fail');
        if (before.result === 'fail') expect(after).toEqual(before);
        if (before.result === 'pass') expect(after.result).toBe('pass');
        // With no failure, a valid destination document settles every request for documents.
        if (before.result !== 'fail') expect(after.result).toBe('pass');
      }),
      { numRuns: 500 },
    );
  });

  it('a missing date never passes a rule that needs it', () => {
    fc.assert(
      fc.property(input, (i) => {
        const blind = { ...i, blockReceivedAt: null, sellerLastReceivedAt: null, delegatedAt: null };
        const o = evaluatePolicy(blind);
        const dated = RIR_POLICY_TABLE.rules.some(
          (r) => r.kind === 'holding_period' && r.rirs.includes(i.sourceRir) && (r.within === undefined || i.prefix.startsWith('103.')),
        );
        if (dated) expect(codes(o)).toContain('POLICY.UNKNOWN_REGISTRATION_DATE');
      }),
      { numRuns: 300 },
    );
  });
});
