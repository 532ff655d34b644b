import { describe, expect, it } from '@jest/globals';
import { type SandboxTransferState, type TransferAnswer, nextTransferStep, scriptedReason, transferScript } from './transfer-script.js';

const at = (iso: string) => new Date(iso);

describe("a sandbox RIR's transfer script", () => {
  it('is the source registry alone within one RIR', () => {
    const source = { rir: 'RIPE' as const, answer: 'request_info' as const, delayMs: 5 };
    expect(transferScript(source, null)).toBe(source);
    expect(transferScript(source, { rir: 'RIPE', answer: 'reject', delayMs: 9 })).toBe(source);
  });

  it.each<[TransferAnswer, TransferAnswer, TransferAnswer, 'ARIN' | 'RIPE']>([
    ['approve', 'approve', 'approve', 'ARIN'],
    ['approve', 'request_info', 'request_info', 'RIPE'],
    ['approve', 'reject', 'reject', 'RIPE'],
    ['request_info', 'approve', 'request_info', 'ARIN'],
    ['request_info', 'request_info', 'request_info', 'ARIN'],
    ['request_info', 'reject', 'reject', 'RIPE'],
    ['reject', 'approve', 'reject', 'ARIN'],
    ['reject', 'request_info', 'reject', 'ARIN'],
    ['reject', 'reject', 'reject', 'ARIN'],
  ])('between RIRs: source %s, destination %s -> %s (answered by %s), after the longer delay', (source, destination, answer, rir) => {
    expect(transferScript({ rir: 'ARIN', answer: source, delayMs: 1_000 }, { rir: 'RIPE', answer: destination, delayMs: 7_000 })).toEqual({ rir, answer, delayMs: 7_000 });
    expect(transferScript({ rir: 'ARIN', answer: source, delayMs: 9_000 }, { rir: 'RIPE', answer: destination, delayMs: 0 }).delayMs).toBe(9_000);
  });
});

describe('one step of a transfer request per status read', () => {
  const decideAfter = at('2026-01-10T00:00:00Z');
  const step = (status: SandboxTransferState, answer: TransferAnswer, now: string) => nextTransferStep({ status, answer, decideAfter }, at(now));

  it('waits until decide_after, then applies the scripted answer (at decide_after exactly)', () => {
    expect(step('submitted', 'approve', '2026-01-09T23:59:59.999Z')).toEqual({ kind: 'none' });
    expect(step('submitted', 'approve', '2026-01-10T00:00:00Z')).toEqual({ kind: 'decide', status: 'approved' });
    expect(step('submitted', 'reject', '2026-02-01T00:00:00Z')).toEqual({ kind: 'decide', status: 'rejected' });
    expect(step('submitted', 'request_info', '2026-02-01T00:00:00Z')).toEqual({ kind: 'decide', status: 'info_requested' });
  });

  it('completes an approved request on the next read, whatever the time', () => {
    expect(step('approved', 'approve', '2026-01-01T00:00:00Z')).toEqual({ kind: 'complete' });
  });

  it.each<SandboxTransferState>(['info_requested', 'completed', 'rejected'])('leaves a %s request as it is (final, or waiting for the requester)', (status) => {
    expect(step(status, 'approve', '2030-01-01T00:00:00Z')).toEqual({ kind: 'none' });
  });

  it('words its refusals and questions with the RIR and the prefix', () => {
    expect(scriptedReason('reject', 'ARIN', '45.91.20.0/22')).toBe('the ARIN registry rejected the transfer of 45.91.20.0/22 (scripted)');
    expect(scriptedReason('request_info', 'RIPE', '45.91.20.0/22')).toMatch(/^the RIPE registry asks for more information about the transfer of 45\.91\.20\.0\/22/);
  });
});
