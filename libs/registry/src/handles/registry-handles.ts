import { Injectable } from '@nestjs/common';
import { Clock, type Page, type PageQuery, ProblemError, Problems, Transactions, decodeCursor, sqlState, toPage, timeIdCursor } from '@app/platform';
import { type Actor, AuditLog, IdentityService, auditActor } from '@app/identity';
import { claimContactEmail } from '../domain/contact.js';
import {
  type ClaimStatus,
  type ConfirmRefusal,
  MAX_WRONG_CODES,
  afterWrongCode,
  attemptsLeft,
  claimStatusAt,
  codeExpiry,
  refuseBeforeCheck,
} from '../domain/handle-claim.js';
import { codeMatches, generateCode, hashCode, maskEmail, newCodeSalt } from '../domain/one-time-code.js';
import { type Rir, normaliseHandle } from '../domain/rir.js';
import { Mailer } from '../mail/mailer.js';
import { RdapInvalidError, RdapNotFoundError, RdapUnavailableError } from '../rdap/errors.js';
import { RdapClient } from '../rdap/rdap-client.js';
import { answeringRir } from '../rdap/rdap-read.js';
import type { RdapEntity } from '../rdap/rdap-types.js';
import { HandleClaimEntity } from './handle-claim.entity.js';

export interface HandleClaimView {
  id: string;
  orgId: string;
  rir: Rir;
  handle: string;
  status: ClaimStatus;
  /** The registry's contact e-mail the code went to, masked ('n***@example.net'). */
  sentTo: string;
  expiresAt: string;
  attemptsLeft: number;
  createdAt: string;
  confirmedAt: string | null;
}


const REFUSALS: Record<ConfirmRefusal, { title: string; detail: string }> = {
  'HANDLE.CODE_USED': { title: 'Code already used', detail: 'This claim is already confirmed: a code works once' },
  'HANDLE.LOCKED': { title: 'Claim locked', detail: `${MAX_WRONG_CODES} wrong codes were entered: claim the handle again for a new code` },
  'HANDLE.SUPERSEDED': { title: 'Claim superseded', detail: 'A newer claim of this handle was made: use the code of that one' },
  'HANDLE.CODE_EXPIRED': { title: 'Code expired', detail: 'The code has expired: claim the handle again for a new code' },
};

/**
 * Organisations' RIR handles (API.md "Identity"): a claim sends a one-time code to the
 * contact e-mail that the registry's RDAP entity lists; confirming with that code proves
 * the organisation controls the account. Only confirmed handles prove holdership.
 */
@Injectable()
export class RegistryHandles {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly identity: IdentityService,
    private readonly rdap: RdapClient,
    private readonly mailer: Mailer,
  ) {}

  /** The organisation's confirmed handles at `rir` (upper-case), for holdership checks. */
  async confirmedHandles(orgId: string, rir: Rir): Promise<string[]> {
    const rows: { handle: string }[] = await this.tx
      .manager()
      .query(`SELECT handle FROM registry_handle_claims WHERE org_id = $1 AND rir = $2 AND status = 'confirmed' ORDER BY handle`, [orgId, rir]);
    return rows.map((r) => r.handle);
  }

  /**
   * Looks the handle up over RDAP (outside any transaction: no row is locked while a
   * registry is slow), then records a pending claim and queues the code's e-mail together.
   */
  async claim(actor: Actor, input: { rir: Rir; handle: string }, requestId?: string): Promise<HandleClaimView> {
    const rir = input.rir;
    const handle = normaliseHandle(input.handle);
    await this.refuseIfConfirmed(actor.orgId, rir, handle);
    const entity = await this.lookUp(rir, handle);
    const to = claimContactEmail(entity);
    if (!to) {
      throw new ProblemError(422, 'HANDLE.NO_CONTACT_EMAIL', 'No contact e-mail', `${rir} lists no e-mail for ${handle}, so no code can be sent: update the contact at ${rir}`);
    }
    const code = generateCode();
    const salt = newCodeSalt();
    const codeHash = await hashCode(code, salt);
    const orgName = (await this.identity.getOrganisation(actor, actor.orgId)).name;

    return this.tx.tx(async (em) => {
      await this.lockHandle(rir, handle);
      await this.refuseIfConfirmed(actor.orgId, rir, handle);
      const now = await this.clock.now();
      // Only the newest code of an organisation's claim works.
      await em.query(
        `UPDATE registry_handle_claims SET status = 'superseded' WHERE org_id = $1 AND rir = $2 AND handle = $3 AND status = 'pending'`,
        [actor.orgId, rir, handle],
      );
      const repo = em.getRepository(HandleClaimEntity);
      const claim = repo.create({
        orgId: actor.orgId,
        rir,
        handle,
        status: 'pending',
        sentTo: to,
        codeHash,
        codeSalt: salt,
        codeExpiresAt: codeExpiry(now),
        failedAttempts: 0,
        createdBy: auditActor(actor).id,
        createdAt: now,
        confirmedAt: null,
      });
      await repo.insert(claim);
      await this.mailer.send({
        to,
        subject: `Your code to confirm ${handle} at ${rir}`,
        body: [
          `${orgName} asked the IPv4 marketplace to confirm that it controls the ${rir} account ${handle}.`,
          '',
          `The one-time code is: ${code}`,
          '',
          `It works once and expires at ${claim.codeExpiresAt.toISOString()}.`,
          'If you did not expect this, ignore this e-mail: without the code nothing happens.',
        ].join('\n'),
      });
      await this.audit.record(actor, {
        action: 'registry_handle.claimed',
        orgId: actor.orgId,
        subject: { type: 'registry_handle_claim', id: claim.id },
        details: { rir, handle, sentTo: maskEmail(to) },
        requestId,
      });
      return toView(claim, now);
    });
  }

  /**
   * Checks a code. A wrong one is counted (and may lock the claim) in a transaction of its
   * own that commits before the refusal is answered: were it rolled back with the error,
   * guesses would be free.
   */
  async confirm(actor: Actor, id: string, code: string, requestId?: string): Promise<HandleClaimView> {
    if (this.tx.inTransaction) throw new Error('RegistryHandles.confirm must commit its own transaction (wrong codes must count)');
    const outcome = await this.tx.tx(async (em): Promise<{ view: HandleClaimView } | { problem: ProblemError }> => {
      const repo = em.getRepository(HandleClaimEntity);
      const claim = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!claim || claim.orgId !== actor.orgId) return { problem: Problems.notFound('The handle claim', 'HANDLE.CLAIM_NOT_FOUND') };
      const now = await this.clock.now();
      const refusal = refuseBeforeCheck(claim, now);
      if (refusal) return { problem: new ProblemError(422, refusal, REFUSALS[refusal].title, REFUSALS[refusal].detail) };

      if (!(await codeMatches(code, claim.codeSalt, claim.codeHash!))) {
        const next = afterWrongCode(claim);
        await repo.update({ id }, { failedAttempts: next.failedAttempts, ...(next.locked ? { status: 'locked' as const } : {}) });
        await this.audit.record(actor, {
          action: next.locked ? 'registry_handle.locked' : 'registry_handle.wrong_code',
          orgId: claim.orgId,
          subject: { type: 'registry_handle_claim', id },
          details: { rir: claim.rir, handle: claim.handle, attemptsLeft: next.attemptsLeft },
          requestId,
        });
        if (next.locked) return { problem: new ProblemError(422, 'HANDLE.LOCKED', REFUSALS['HANDLE.LOCKED'].title, REFUSALS['HANDLE.LOCKED'].detail, undefined, { attemptsLeft: 0 }) };
        return {
          problem: new ProblemError(422, 'HANDLE.WRONG_CODE', 'Wrong code', `That is not the code that was sent; ${next.attemptsLeft} attempts left`, undefined, {
            attemptsLeft: next.attemptsLeft,
          }),
        };
      }

      await this.lockHandle(claim.rir, claim.handle);
      const holder = await this.confirmedHolder(claim.rir, claim.handle);
      if (holder && holder !== claim.orgId) return { problem: claimedProblem(claim.rir, claim.handle) };
      await repo.update({ id }, { status: 'confirmed', confirmedAt: now, codeHash: null });
      await this.audit.record(actor, {
        action: 'registry_handle.confirmed',
        orgId: claim.orgId,
        subject: { type: 'registry_handle_claim', id },
        details: { rir: claim.rir, handle: claim.handle },
        requestId,
      });
      return { view: toView({ ...claim, status: 'confirmed', confirmedAt: now, codeHash: null }, now) };
    }).catch((err: unknown) => {
      // The advisory lock makes this unreachable between our own writers; the unique index is the backstop.
      if (sqlState(err) === '23505') return { problem: new ProblemError(409, 'HANDLE.CLAIMED', 'Handle already claimed', 'Another organisation has confirmed this handle') };
      throw err;
    });
    if ('problem' in outcome) throw outcome.problem;
    return outcome.view;
  }

  async get(actor: Actor, id: string): Promise<HandleClaimView> {
    const claim = await this.tx.manager().getRepository(HandleClaimEntity).findOneBy({ id });
    if (!claim || claim.orgId !== actor.orgId) throw Problems.notFound('The handle claim', 'HANDLE.CLAIM_NOT_FOUND');
    return toView(claim, await this.clock.now());
  }

  /** The caller's organisation's claims, newest first. */
  async list(actor: Actor, page: PageQuery): Promise<Page<HandleClaimView>> {
    const before = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const rows = await this.tx
      .manager()
      .getRepository(HandleClaimEntity)
      .createQueryBuilder('c')
      .where('c.org_id = :orgId', { orgId: actor.orgId })
      .andWhere(before ? '(c.created_at, c.id) < (:at::timestamptz, :id::uuid)' : 'true', before ? { at: before[0], id: before[1] } : {})
      .orderBy('c.created_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(page.limit + 1)
      .getMany();
    const now = await this.clock.now();
    return toPage(rows, page.limit, (c) => [c.createdAt.toISOString(), c.id], (c) => toView(c, now));
  }

  private async lookUp(rir: Rir, handle: string): Promise<RdapEntity> {
    let entity: RdapEntity;
    try {
      entity = await this.rdap.entity(handle, rir);
    } catch (err) {
      if (err instanceof RdapNotFoundError) {
        throw new ProblemError(422, 'HANDLE.NOT_FOUND_AT_REGISTRY', 'Handle not found at the registry', `${rir} has no entity ${handle} in RDAP`);
      }
      if (err instanceof RdapUnavailableError) {
        throw new ProblemError(503, 'REGISTRY.UNAVAILABLE', 'Registry unavailable', `${rir}'s RDAP service did not answer (${err.message}); try again later`);
      }
      if (err instanceof RdapInvalidError) {
        throw new ProblemError(502, 'REGISTRY.INVALID_ANSWER', 'Registry gave an invalid answer', `${rir}'s RDAP answer could not be used: ${err.message}`);
      }
      throw err;
    }
    const at = answeringRir(entity);
    // Live lookups go to the RIR's own server, which names itself in port43; the sandbox
    // answers for all five and says which one in the same way.
    if (at !== null && at !== rir) {
      throw new ProblemError(422, 'HANDLE.NOT_AT_RIR', 'Handle belongs to another RIR', `${handle} is an account at ${at}, not at ${rir}`);
    }
    if (entity.handle !== undefined && normaliseHandle(entity.handle) !== handle) {
      throw new ProblemError(502, 'REGISTRY.INVALID_ANSWER', 'Registry gave an invalid answer', `asked for ${handle}, ${rir} answered with ${entity.handle}`);
    }
    return entity;
  }

  private async refuseIfConfirmed(orgId: string, rir: Rir, handle: string): Promise<void> {
    const holder = await this.confirmedHolder(rir, handle);
    if (holder === orgId) {
      throw new ProblemError(409, 'HANDLE.ALREADY_CONFIRMED', 'Handle already confirmed', `Your organisation has already confirmed ${handle} at ${rir}`);
    }
    if (holder) throw claimedProblem(rir, handle);
  }

  private async confirmedHolder(rir: Rir, handle: string): Promise<string | null> {
    const rows: { org_id: string }[] = await this.tx
      .manager()
      .query(`SELECT org_id FROM registry_handle_claims WHERE rir = $1 AND handle = $2 AND status = 'confirmed'`, [rir, handle]);
    return rows[0]?.org_id ?? null;
  }

  /** Serialises claims and confirmations of one handle, to the end of the transaction. */
  private async lockHandle(rir: Rir, handle: string): Promise<void> {
    await this.tx.manager().query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7243003))', [`registry-handle:${rir}:${handle}`]);
  }
}

function claimedProblem(rir: Rir, handle: string): ProblemError {
  return new ProblemError(409, 'HANDLE.CLAIMED', 'Handle already claimed', `Another organisation has confirmed ${handle} at ${rir}`);
}

function toView(c: HandleClaimEntity, now: Date): HandleClaimView {
  return {
    id: c.id,
    orgId: c.orgId,
    rir: c.rir,
    handle: c.handle,
    status: claimStatusAt(c, now),
    sentTo: maskEmail(c.sentTo),
    expiresAt: c.codeExpiresAt.toISOString(),
    attemptsLeft: attemptsLeft(c),
    createdAt: c.createdAt.toISOString(),
    confirmedAt: c.confirmedAt?.toISOString() ?? null,
  };
}
