import { Injectable, Logger } from '@nestjs/common';
import { AuditLog } from '@app/identity';
import { formatAddress, formatPrefix, lastAddress, parsePrefix } from '@app/ipam';
import { Clock, Transactions } from '@app/platform';
import {
  RdapClient,
  RdapNotFoundError,
  RdapUnavailableError,
  RegistryHandles,
  networkRange,
  registrantHandles,
  registrationDate,
} from '@app/registry';
import { BLOCK_COLUMNS, type BlockRow } from './block-row.js';
import { judgeHoldership } from './domain/holdership.js';

export interface VerifyBlockJob {
  readonly blockId: string;
  /** The verification round the job was made for; a newer request makes it stale. */
  readonly round: number;
}

export type VerifyOutcome = 'verified' | 'verification_failed' | 'stale';

/**
 * Checks a block against the registry's RDAP record (run by the worker). Idempotent: it
 * acts only while the block is still 'verifying' in the job's round, under a row lock.
 * An RDAP service that is down is retried by the queue with backoff; after the last
 * attempt the block fails with the reason.
 */
@Injectable()
export class BlockVerification {
  private readonly log = new Logger('inventory');

  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly rdap: RdapClient,
    private readonly handles: RegistryHandles,
    private readonly audit: AuditLog,
  ) {}

  async verify(job: VerifyBlockJob, isLastAttempt: boolean): Promise<VerifyOutcome> {
    const block = await this.current(job);
    if (!block) return 'stale';
    const parsed = parsePrefix(block.prefix);
    if (!parsed.ok) throw new Error(`stored prefix ${block.prefix} does not parse`); // the column's CHECK forbids this
    const confirmed = await this.handles.confirmedHandles(block.holder_org_id, block.rir);
    let network;
    try {
      // The network holding the block's first address: if it does not cover the whole block,
      // the block spans registrations and nobody holds all of it as one registrant.
      network = await this.rdap.ipNetwork(formatAddress(parsed.value.first));
    } catch (err) {
      if (err instanceof RdapUnavailableError && !isLastAttempt) throw err; // the queue retries with backoff
      const reason =
        err instanceof RdapNotFoundError
          ? 'the registry has no network record for this block'
          : err instanceof RdapUnavailableError
            ? `the registry's RDAP service stayed unavailable: ${err.message}`
            : `the registry's RDAP answer could not be used: ${err instanceof Error ? err.message : String(err)}`;
      return this.finish(job, { ok: false, reason, evidence: { error: reason } });
    }
    let range = networkRange(network);
    if (range.first > parsed.value.first || range.last < lastAddress(parsed.value)) {
      // The first address may sit in a sub-assignment the holder made (a lease of part of the
      // block): ask for the network covering the whole block, and judge that one if there is.
      const whole = await this.coveringNetwork(formatPrefix(parsed.value), isLastAttempt);
      if (whole) {
        network = whole;
        range = networkRange(whole);
      }
    }
    const registrants = registrantHandles(network);
    const verdict = judgeHoldership({
      block: { first: parsed.value.first, last: lastAddress(parsed.value) },
      network: { ...range, registrants },
      confirmedHandles: confirmed,
    });
    const evidence = {
      checkedAt: (await this.clock.now()).toISOString(),
      network: { handle: network.handle, startAddress: network.startAddress, endAddress: network.endAddress, name: network.name ?? null },
      registrants,
      confirmedHandles: confirmed,
      ...(verdict.ok ? { matchedHandle: verdict.matchedHandle } : { failure: verdict.code }),
      rdap: network,
    };
    if (!verdict.ok) return this.finish(job, { ok: false, reason: verdict.reason, evidence });
    return this.finish(job, {
      ok: true,
      evidence,
      country: typeof network.country === 'string' && /^[A-Z]{2}$/.test(network.country) ? network.country : null,
      registeredAt: registrationDate(network),
    });
  }

  /** The network covering the whole prefix, or null when the registry has none. */
  private async coveringNetwork(prefix: string, isLastAttempt: boolean): Promise<Awaited<ReturnType<RdapClient['ipNetwork']>> | null> {
    try {
      return await this.rdap.ipNetwork(prefix);
    } catch (err) {
      if (err instanceof RdapNotFoundError) return null;
      // On the last attempt, judge what the first answer showed rather than leave the block verifying.
      if (err instanceof RdapUnavailableError && isLastAttempt) return null;
      throw err;
    }
  }

  private async current(job: VerifyBlockJob): Promise<BlockRow | null> {
    const [row]: BlockRow[] = await this.tx.manager().query(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE id = $1`, [job.blockId]);
    return row && row.status === 'verifying' && row.verify_round === job.round ? row : null;
  }

  private async finish(
    job: VerifyBlockJob,
    r: { ok: true; evidence: object; country: string | null; registeredAt: Date | null } | { ok: false; reason: string; evidence: object },
  ): Promise<VerifyOutcome> {
    return this.tx.tx(async (em) => {
      // Re-checked under the lock: another attempt or a newer round may have finished first.
      const [row]: BlockRow[] = await em.query(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE id = $1 FOR UPDATE`, [job.blockId]);
      if (!row || row.status !== 'verifying' || row.verify_round !== job.round) return 'stale';
      const now = await this.clock.now();
      if (r.ok) {
        await em.query(
          `UPDATE blocks SET status = 'verified', verified_at = $2, country = $3, registered_at = $4, evidence = $5, failure_reason = NULL WHERE id = $1`,
          [job.blockId, now, r.country, r.registeredAt, JSON.stringify(r.evidence)],
        );
      } else {
        await em.query(`UPDATE blocks SET status = 'verification_failed', evidence = $2, failure_reason = $3 WHERE id = $1`, [
          job.blockId,
          JSON.stringify(r.evidence),
          r.reason,
        ]);
        this.log.log({ msg: 'block verification failed', blockId: job.blockId, reason: r.reason });
      }
      await this.audit.record('system', {
        action: r.ok ? 'block.verified' : 'block.verification_failed',
        orgId: row.holder_org_id,
        subject: { type: 'block', id: job.blockId },
        details: r.ok ? { prefix: row.prefix } : { prefix: row.prefix, reason: r.reason },
      });
      return r.ok ? 'verified' : 'verification_failed';
    });
  }
}
