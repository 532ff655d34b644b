import { describe, expect, it } from '@jest/globals';
import { judgeHoldership } from './holdership.js';

const block = { first: 1000, last: 1255 };
const covering = { first: 0, last: 4095, registrants: ['ORG-EX1-RIPE'] };

describe('holdership', () => {
  it('holds when a confirmed handle is the registrant of a network covering the block', () => {
    expect(judgeHoldership({ block, network: covering, confirmedHandles: ['OTHER', 'org-ex1-ripe'] })).toEqual({
      ok: true,
      matchedHandle: 'ORG-EX1-RIPE',
    });
  });

  it.each([
    ['starts inside', { ...covering, first: 1001 }],
    ['ends inside', { ...covering, last: 1254 }],
    ['lies elsewhere', { ...covering, first: 5000, last: 6000 }],
  ])('refuses a network that %s', (_what, network) => {
    expect(judgeHoldership({ block, network, confirmedHandles: ['ORG-EX1-RIPE'] })).toMatchObject({ ok: false, code: 'NETWORK_DOES_NOT_COVER_BLOCK' });
  });

  it('accepts a network exactly the block', () => {
    expect(judgeHoldership({ block, network: { ...block, registrants: ['H'] }, confirmedHandles: ['H'] }).ok).toBe(true);
  });

  it('refuses without confirmed handles, and with another registrant', () => {
    expect(judgeHoldership({ block, network: covering, confirmedHandles: [] })).toMatchObject({ ok: false, code: 'NO_CONFIRMED_HANDLE' });
    const other = judgeHoldership({ block, network: covering, confirmedHandles: ['ORG-XX9-RIPE'] });
    expect(other).toMatchObject({ ok: false, code: 'REGISTRANT_MISMATCH' });
    expect(!other.ok && other.reason).toContain('ORG-EX1-RIPE');
    expect(judgeHoldership({ block, network: { ...covering, registrants: [] }, confirmedHandles: ['A'] })).toMatchObject({ code: 'REGISTRANT_MISMATCH' });
  });
});
