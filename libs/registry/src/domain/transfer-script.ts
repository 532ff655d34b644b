import type { Rir } from './rir.js';

/**
 * How a sandbox RIR answers a transfer request (pure). Each stand-in RIR is scripted with an
 * answer and a delay (PUT /v1/sandbox/registry/behaviour); the request's own state moves
 * lazily, when someone asks for its status, by the sandbox clock.
 */

export const TRANSFER_ANSWERS = ['approve', 'reject', 'request_info'] as const;
export type TransferAnswer = (typeof TRANSFER_ANSWERS)[number];
/** The longest scripted delay of a transfer answer: a week (the sandbox clock moves past it). */
export const MAX_TRANSFER_DELAY_MS = 7 * 86_400_000;

/** The request's state as the sandbox keeps it (sandbox_rir_transfers.status). */
export type SandboxTransferState = 'submitted' | 'info_requested' | 'approved' | 'completed' | 'rejected';

export interface TransferScript {
  readonly rir: Rir;
  readonly answer: TransferAnswer;
  readonly delayMs: number;
}

const STRICTNESS: Readonly<Record<TransferAnswer, number>> = { approve: 0, request_info: 1, reject: 2 };

/**
 * The script that applies to a request. An inter-RIR transfer needs both registries (the
 * source releases the space, the destination accepts it): the stricter answer wins (a
 * rejection over a request for information over an approval, the source's on a tie), after
 * the longer delay.
 */
export function transferScript(source: TransferScript, destination: TransferScript | null): TransferScript {
  if (!destination || destination.rir === source.rir) return source;
  const decider = STRICTNESS[destination.answer] > STRICTNESS[source.answer] ? destination : source;
  return { rir: decider.rir, answer: decider.answer, delayMs: Math.max(source.delayMs, destination.delayMs) };
}

/** What a status read does to a request: nothing, apply the scripted answer, or complete it. */
export type TransferStep =
  | { readonly kind: 'none' }
  | { readonly kind: 'decide'; readonly status: 'approved' | 'rejected' | 'info_requested' }
  | { readonly kind: 'complete' };

/**
 * One step per status read: a submitted request gets its answer once `now` reaches
 * decide_after; an approved one completes on the next read after the approving one (so that a
 * poller sees 'approved' before 'completed', as RIRs approve a request before they update the
 * registry). Everything else is final or waits for the requester.
 */
export function nextTransferStep(t: { readonly status: SandboxTransferState; readonly answer: TransferAnswer; readonly decideAfter: Date }, now: Date): TransferStep {
  if (t.status === 'approved') return { kind: 'complete' };
  if (t.status !== 'submitted' || now.getTime() < t.decideAfter.getTime()) return { kind: 'none' };
  const status = t.answer === 'approve' ? 'approved' : t.answer === 'reject' ? 'rejected' : 'info_requested';
  return { kind: 'decide', status };
}

/** The registry's words for a scripted answer other than an approval. */
export function scriptedReason(answer: 'reject' | 'request_info', rir: Rir, prefix: string): string {
  return answer === 'reject'
    ? `the ${rir} registry rejected the transfer of ${prefix} (scripted)`
    : `the ${rir} registry asks for more information about the transfer of ${prefix}: the signed transfer agreement and the recipient's justification of need (scripted)`;
}
