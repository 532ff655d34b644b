import { Injectable, Logger } from '@nestjs/common';
import { IdentityService } from '@app/identity';
import { ListingsService } from '@app/listings';
import { Clock, Outbox, type OutboxMessage, Transactions } from '@app/platform';
import {
  REGISTRY_CHANGE_KINDS,
  type RegistryChangeKind,
  type RegistryChangeSpec,
  RegistryGateways,
  RegistryObserver,
  RegistryUnavailableError,
  type RegistryWriteOutcome,
} from '@app/registry';
import { LeaseHistory } from './lease-history.js';
import { CHANGE_COLUMNS, LEASE_COLUMNS, type LeaseRow, type RegistryChangeRow, leaseColumns } from './lease-row.js';
import { SpaceCommitments } from './space-commitments.js';

export type ChangePhase = 'provision' | 'deprovision';

export interface RegistryChangeJob {
  readonly changeId: string;
  readonly round: number;
}

export interface RegistryCheckJob {
  readonly leaseId: string;
  readonly phase: ChangePhase;
}

/** Thrown to have the queue try a check again later (with backoff). */
export class NotYetError extends Error {
  override readonly name = 'NotYetError';
}

const changeMessage = (changeId: string, round: number): OutboxMessage => ({
  job: 'leases.registry-change',
  data: { changeId, round } satisfies RegistryChangeJob,
  jobId: `regchange:${changeId}:${round}`,
});

/** The customer handle a lessee gets on sub-assignments: stable per organisation. */
export function customerHandle(lesseeOrgId: string): string {
  return `C-${lesseeOrgId.replace(/-/g, '').slice(0, 16).toUpperCase()}`;
}

/**
 * The registry side of a lease: the changes it makes at its RIR when it starts (ROA,
 * route object, sub-assignment) and undoes when it ends, each one a job keyed by the
 * change row, and the check, read as the outside world sees it (RDAP, published VRPs,
 * the IRR), that the changes are really there before the lease is active, and really
 * gone before the unit is free again.
 *
 * Idempotence: a change job acts only while its row is pending in the job's round; it
 * asks the registry whether the change is already in place before writing, so a job run
 * again after a crash between the registry's write and ours does not write twice.
 */
@Injectable()
export class LeaseRegistry {
  private readonly log = new Logger('leases');

  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly history: LeaseHistory,
    private readonly commitments: SpaceCommitments,
    private readonly listings: ListingsService,
    private readonly gateways: RegistryGateways,
    private readonly observer: RegistryObserver,
    private readonly identity: IdentityService,
  ) {}

  /**
   * In the caller's transaction: the phase's change rows (new, or re-opened in a new round
   * when they had finished) and their jobs.
   */
  async schedule(lease: LeaseRow, phase: ChangePhase, kinds: readonly RegistryChangeKind[] = REGISTRY_CHANGE_KINDS): Promise<void> {
    const now = await this.clock.now();
    const rows: { id: string; round: number }[] = await this.tx.manager().query(
      `INSERT INTO lease_registry_changes AS c (lease_id, phase, change, rir, prefix, asn, created_at, updated_at)
       SELECT $1, $2, k, $3, $4::cidr, $5, $6, $6 FROM unnest($7::text[]) AS k
       ON CONFLICT (lease_id, phase, change) DO UPDATE
         SET status = 'pending', round = c.round + 1, applied_at = NULL, last_error = NULL, updated_at = EXCLUDED.updated_at, queued_at = now()
         WHERE c.status <> 'pending'
       RETURNING id, round`,
      [lease.id, phase, lease.rir, lease.prefix, lease.lessee_asn, now, kinds],
    );
    await this.outbox.addAll(rows.map((r) => changeMessage(r.id, r.round)));
  }

  /** Runs one change job. `isLastAttempt`: the queue will not retry after this one. */
  async applyChange(job: RegistryChangeJob, isLastAttempt: boolean): Promise<string> {
    const db = this.tx.manager();
    const [change]: RegistryChangeRow[] = await db.query(`SELECT ${CHANGE_COLUMNS} FROM lease_registry_changes WHERE id = $1`, [job.changeId]);
    if (!change || change.status !== 'pending' || change.round !== job.round) return 'stale';
    const [lease]: LeaseRow[] = await db.query(`SELECT ${LEASE_COLUMNS} FROM leases WHERE id = $1`, [change.lease_id]);
    if (!lease) return 'stale';
    const spec = await this.spec(lease, change.change);
    const gateway = this.gateways.gatewayFor(change.rir);
    let outcome: RegistryWriteOutcome | 'cancelled';
    try {
      const inPlace = await gateway.isInPlace(spec);
      if (change.phase === 'provision') {
        if (inPlace) outcome = { kind: 'done', alreadyInPlace: true, evidence: {} };
        // A lease that left provisioning (failed, terminated) makes no new changes.
        else if (lease.status !== 'provisioning') outcome = 'cancelled';
        else outcome = await gateway.create(spec);
      } else {
        outcome = inPlace ? await gateway.remove(spec) : { kind: 'done', alreadyInPlace: true, evidence: {} };
      }
    } catch (err) {
      if (!(err instanceof RegistryUnavailableError)) throw err;
      await this.recordAttempt(change, err.message);
      if (!isLastAttempt) throw err; // the queue retries with backoff
      if (change.phase === 'deprovision') return 'unavailable'; // still pending: the reconciler queues it again later
      outcome = { kind: 'rejected', reason: `the registry stayed unavailable: ${err.message}`, evidence: { error: err.message } };
    }
    return this.finish(job, outcome);
  }

  /**
   * The check after a phase's changes: provisioning -> active once the outside world shows
   * all three; deprovisioning (or a failed lease) -> the unit released once it shows none.
   */
  async check(job: RegistryCheckJob): Promise<string> {
    const db = this.tx.manager();
    const [lease]: LeaseRow[] = await db.query(`SELECT ${LEASE_COLUMNS} FROM leases WHERE id = $1`, [job.leaseId]);
    if (!lease) return 'stale';
    const changes: RegistryChangeRow[] = await db.query(`SELECT ${CHANGE_COLUMNS} FROM lease_registry_changes WHERE lease_id = $1`, [lease.id]);
    if (job.phase === 'provision') {
      if (lease.status !== 'provisioning') return 'stale';
      const mine = changes.filter((c) => c.phase === 'provision');
      if (mine.length < REGISTRY_CHANGE_KINDS.length || mine.some((c) => c.status !== 'applied')) return 'stale'; // the last change's job checks again
    } else {
      if (lease.status !== 'deprovisioning' && lease.status !== 'failed') return 'stale';
      if (lease.status === 'failed' && (await this.released(lease))) return 'stale';
      const pending = changes.filter((c) => c.status === 'pending');
      if (pending.length) throw new NotYetError(`${pending.length} registry change(s) still pending`);
    }
    const observed = await this.observer.observe(await this.spec(lease, 'assignment'));
    const visible = REGISTRY_CHANGE_KINDS.filter((k) => observed[k]);
    const evidence = { observedAt: (await this.clock.now()).toISOString(), roa: observed.roa, route: observed.route, assignment: observed.assignment, ...observed.evidence };

    if (job.phase === 'provision') {
      // Registries publish with a delay (RPKI repositories especially): look again later.
      if (visible.length < REGISTRY_CHANGE_KINDS.length) throw new NotYetError(`not yet visible: ${REGISTRY_CHANGE_KINDS.filter((k) => !observed[k]).join(', ')}`);
      return this.tx.tx(async () => {
        const locked = await this.lockLease(lease.id);
        if (locked.status !== 'provisioning') return 'stale';
        // The ROA's expiry, as published, is a deadline (roa.expiry) while the lease lives.
        await this.tx.manager().query(
          `UPDATE lease_registry_changes SET expires_at = $2 WHERE lease_id = $1 AND change = 'roa' AND phase = 'provision'`,
          [lease.id, observed.roaExpiresAt],
        );
        await this.history.apply(locked, 'provisioned', 'system', { evidence: { ...evidence, roaExpiresAt: observed.roaExpiresAt?.toISOString() ?? null } });
        return 'active';
      });
    }
    return this.tx.tx(async () => {
      const locked = await this.lockLease(lease.id);
      if (visible.length) {
        // Still there (a late write, or a removal the registry did not keep): remove again.
        await this.history.note(locked, 'offboarding_incomplete', 'system', { ...evidence, stillVisible: visible });
        await this.schedule(locked, 'deprovision', visible);
        return 'rescheduled';
      }
      const now = await this.clock.now();
      if (locked.status === 'deprovisioning') {
        await this.history.apply(locked, 'deprovisioned', 'system', { evidence, patch: { ended_at: now } });
      } else if (locked.status === 'failed') {
        await this.history.note(locked, 'unit_released', 'system', evidence);
      } else {
        return 'stale';
      }
      await this.releaseUnit(locked, locked.status === 'failed' ? 'lease failed' : 'lease ended');
      return 'released';
    });
  }

  /** Fails a provisioning lease (in the caller's transaction, lease locked) and starts the clean-up. */
  async fail(lease: LeaseRow, reason: string, evidence: Record<string, unknown>): Promise<LeaseRow> {
    const now = await this.clock.now();
    const failed = await this.history.apply(lease, 'provisioning_failed', 'system', {
      event: 'failed',
      evidence: { reason, ...evidence },
      patch: { failure_reason: reason, end_reason: 'failed', ended_at: now },
    });
    await this.enqueueCheck(failed, 'deprovision');
    return failed;
  }

  /** The next check job of a phase (deterministic id per lease version: duplicates collapse). */
  async enqueueCheck(lease: LeaseRow, phase: ChangePhase, suffix = `v${lease.version}`): Promise<void> {
    await this.outbox.add({ job: 'leases.registry-check', data: { leaseId: lease.id, phase } satisfies RegistryCheckJob, jobId: `leasecheck:${lease.id}:${phase}-${suffix}` });
  }

  async enqueueChange(changeId: string, round: number): Promise<void> {
    await this.outbox.add(changeMessage(changeId, round));
  }

  /**
   * The reconciler's half: queues again what has been quiet too long — a pending change
   * whose job was lost (Redis emptied, a job that failed for good), a removal the registry
   * refused (re-tried until it is gone), and the check of a lease whose changes are all
   * settled but which never moved on. Safe to run often and from several workers.
   */
  async requeueQuiet(quietMs: number, refusedRemovalRetryMs: number): Promise<number> {
    return this.tx.tx(async (em) => {
      const [changes]: [{ id: string; round: number }[], number] = await em.query(
        `UPDATE lease_registry_changes SET round = round + 1, status = 'pending', queued_at = now()
          WHERE id IN (SELECT id FROM lease_registry_changes
                        WHERE (status = 'pending' AND queued_at < now() - make_interval(secs => $1::double precision / 1000))
                           OR (status = 'failed' AND phase = 'deprovision' AND queued_at < now() - make_interval(secs => $2::double precision / 1000))
                        ORDER BY queued_at LIMIT 200 FOR UPDATE SKIP LOCKED)
          RETURNING id, round`,
        [quietMs, refusedRemovalRetryMs],
      );
      for (const c of changes) await this.enqueueChange(c.id, c.round);
      const stuck: LeaseRow[] = await em.query(
        `SELECT ${leaseColumns('l')}
           FROM leases l JOIN space_commitments s ON s.id = l.commitment_id
          WHERE (l.status IN ('provisioning', 'deprovisioning') OR (l.status = 'failed' AND s.released_at IS NULL))
            AND NOT EXISTS (SELECT 1 FROM lease_registry_changes c WHERE c.lease_id = l.id
                             AND (c.status = 'pending' OR c.queued_at >= now() - make_interval(secs => $1::double precision / 1000)))
          LIMIT 200`,
        [quietMs],
      );
      const bucket = Math.floor(Date.now() / quietMs);
      for (const lease of stuck) await this.enqueueCheck(lease, lease.status === 'provisioning' ? 'provision' : 'deprovision', `r${bucket}`);
      return changes.length + stuck.length;
    });
  }

  /** Releases the lease's space commitment and recounts its listings' free units. */
  async releaseUnit(lease: LeaseRow, reason: string): Promise<void> {
    await this.commitments.lockBlock(lease.block_id);
    const now = await this.clock.now();
    if (!(await this.commitments.release(lease.commitment_id, now, reason))) return;
    await this.listings.recountFreeUnits(lease.block_id, await this.commitments.committedRanges(lease.block_id, now));
  }

  private async finish(job: RegistryChangeJob, outcome: RegistryWriteOutcome | 'cancelled'): Promise<string> {
    return this.tx.tx(async (em) => {
      const [found]: RegistryChangeRow[] = await em.query(`SELECT ${CHANGE_COLUMNS} FROM lease_registry_changes WHERE id = $1`, [job.changeId]);
      if (!found) return 'stale';
      // Lock order everywhere: the lease, then its changes.
      const lease = await this.lockLease(found.lease_id);
      const [change]: RegistryChangeRow[] = await em.query(`SELECT ${CHANGE_COLUMNS} FROM lease_registry_changes WHERE id = $1 FOR UPDATE`, [job.changeId]);
      if (!change || change.status !== 'pending' || change.round !== job.round) return 'stale';
      const now = await this.clock.now();
      const what = { phase: change.phase, change: change.change };
      if (outcome === 'cancelled') {
        await em.query(`UPDATE lease_registry_changes SET status = 'failed', last_error = $2, updated_at = $3 WHERE id = $1`, [
          change.id,
          `not made: the lease is ${lease.status}`,
          now,
        ]);
        return 'cancelled';
      }
      if (outcome.kind === 'done') {
        await em.query(
          `UPDATE lease_registry_changes SET status = 'applied', applied_at = $2, updated_at = $2, attempts = attempts + 1, last_error = NULL,
                  evidence = $3 WHERE id = $1`,
          [change.id, now, JSON.stringify({ alreadyInPlace: outcome.alreadyInPlace, ...outcome.evidence })],
        );
        const noted = await this.history.note(lease, change.phase === 'provision' ? 'registry_change_applied' : 'registry_change_removed', 'system', {
          ...what,
          alreadyInPlace: outcome.alreadyInPlace,
          registry: outcome.evidence,
        });
        await this.afterApplied(noted, change.phase);
        return 'applied';
      }
      await em.query(
        `UPDATE lease_registry_changes SET status = 'failed', updated_at = $2, attempts = attempts + 1, last_error = $3, evidence = $4 WHERE id = $1`,
        [change.id, now, outcome.reason, JSON.stringify(outcome.evidence)],
      );
      this.log.warn({ msg: 'registry change failed', leaseId: lease.id, ...what, reason: outcome.reason });
      if (change.phase === 'provision' && lease.status === 'provisioning') {
        await this.fail(lease, `the registry refused the ${change.change} change: ${outcome.reason}`, { ...what, registry: outcome.evidence });
      } else {
        await this.history.note(lease, 'registry_change_failed', 'system', { ...what, reason: outcome.reason, registry: outcome.evidence });
      }
      return 'rejected';
    });
  }

  /** After a change is applied: check the phase when it is complete; undo a change that landed too late. */
  private async afterApplied(lease: LeaseRow, phase: ChangePhase): Promise<void> {
    const rows: { phase: ChangePhase; change: RegistryChangeKind; status: string }[] = await this.tx
      .manager()
      .query('SELECT phase, change, status FROM lease_registry_changes WHERE lease_id = $1', [lease.id]);
    const ofPhase = rows.filter((r) => r.phase === phase);
    const complete = ofPhase.length === REGISTRY_CHANGE_KINDS.length && ofPhase.every((r) => r.status === 'applied');
    if (phase === 'provision') {
      if (lease.status === 'provisioning') {
        if (complete) await this.enqueueCheck(lease, 'provision');
      } else {
        // The lease failed or was terminated while this change was under way: take it back out.
        const kind = rows.filter((r) => r.phase === 'provision' && r.status === 'applied').map((r) => r.change);
        await this.schedule(lease, 'deprovision', kind);
      }
      return;
    }
    // A removal the registry refused stays failed until the reconciler re-opens it; checking
    // before then would only find the change still there and schedule it again at once.
    if (rows.filter((r) => r.phase === 'deprovision').every((r) => r.status === 'applied')) await this.enqueueCheck(lease, 'deprovision');
  }

  private async recordAttempt(change: RegistryChangeRow, error: string): Promise<void> {
    await this.tx.tx(async (em) => {
      await em.query(
        `UPDATE lease_registry_changes SET attempts = attempts + 1, last_error = $3, updated_at = $4, queued_at = now() WHERE id = $1 AND round = $2 AND status = 'pending'`,
        [change.id, change.round, error, await this.clock.now()],
      );
    });
  }

  private async spec(lease: LeaseRow, kind: RegistryChangeKind): Promise<RegistryChangeSpec> {
    const name = (await this.identity.organisationName(lease.lessee_org_id)) ?? 'Lessee';
    return {
      rir: lease.rir,
      kind,
      prefix: lease.prefix,
      asn: Number(lease.lessee_asn),
      customer: { handle: customerHandle(lease.lessee_org_id), name },
    };
  }

  private async lockLease(id: string): Promise<LeaseRow> {
    const [row]: LeaseRow[] = await this.tx.manager().query(`SELECT ${LEASE_COLUMNS} FROM leases WHERE id = $1 FOR UPDATE`, [id]);
    if (!row) throw new Error(`lease ${id} vanished`);
    return row;
  }

  private async released(lease: LeaseRow): Promise<boolean> {
    const [row]: { released: boolean }[] = await this.tx
      .manager()
      .query('SELECT released_at IS NOT NULL AS released FROM space_commitments WHERE id = $1', [lease.commitment_id]);
    return row?.released ?? true;
  }
}
