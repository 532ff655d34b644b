import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type Actor, AuditLog, auditActor } from '@app/identity';
import { Clock, Transactions } from '@app/platform';
import { DataSource } from 'typeorm';

/**
 * Calendar apps cannot send an Authorization header, so an organisation gets a feed token to
 * put in the feed's URL. It reads deadlines and nothing else. Like an API key it is 32 random
 * bytes behind a recognisable prefix and only its SHA-256 is stored (256 bits of entropy: a
 * fast hash is enough and allows an indexed lookup). One live token per organisation.
 */
export const FEED_TOKEN_PREFIX = 'ical_';
const FEED_TOKEN_PATTERN = /^ical_[A-Za-z0-9_-]{43}$/;
// Serialises issuing per organisation (with the organisation's id hashed into the second key):
// two concurrent issues would otherwise both revoke, then collide on the one-live-token index.
const FEED_TOKEN_LOCK = 7243016;

export interface IssuedFeedToken {
  readonly id: string;
  /** Shown once; only its hash is kept. */
  readonly token: string;
  readonly orgId: string;
  readonly createdAt: Date;
}

export function hashFeedToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function looksLikeFeedToken(token: string): boolean {
  return FEED_TOKEN_PATTERN.test(token);
}

@Injectable()
export class CalendarFeedTokens {
  constructor(
    private readonly db: DataSource,
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  /** A new token for the actor's organisation; the live one, if any, is revoked in the same transaction. */
  async issue(actor: Actor, requestId?: string): Promise<IssuedFeedToken> {
    return this.tx.tx(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [FEED_TOKEN_LOCK, actor.orgId]);
      const now = await this.clock.now();
      await this.revokeLive(actor, now, 'replaced', requestId);
      const token = FEED_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const [row]: { id: string }[] = await em.query(
        `INSERT INTO calendar_feed_tokens (org_id, token_hash, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
        [actor.orgId, hashFeedToken(token), auditActor(actor).id, now],
      );
      await this.audit.record(actor, {
        action: 'calendar_feed_token.issued',
        orgId: actor.orgId,
        subject: { type: 'calendar_feed_token', id: row!.id },
        requestId,
      });
      return { id: row!.id, token, orgId: actor.orgId, createdAt: now };
    });
  }

  /** Revokes the organisation's live token; revoking when there is none is fine (nothing is recorded). */
  async revoke(actor: Actor, requestId?: string): Promise<void> {
    await this.tx.tx(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [FEED_TOKEN_LOCK, actor.orgId]);
      await this.revokeLive(actor, await this.clock.now(), 'revoked', requestId);
    });
  }

  /** The organisation a live token belongs to, or null (malformed, unknown or revoked). */
  async orgFor(token: string): Promise<string | null> {
    if (!looksLikeFeedToken(token)) return null;
    const rows: { org_id: string }[] = await this.db.query(
      'SELECT org_id FROM calendar_feed_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
      [hashFeedToken(token)],
    );
    return rows[0]?.org_id ?? null;
  }

  private async revokeLive(actor: Actor, now: Date, reason: 'replaced' | 'revoked', requestId?: string): Promise<void> {
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected count].
    const [rows]: [{ id: string }[], number] = await this.tx.manager().query(
      'UPDATE calendar_feed_tokens SET revoked_at = $2 WHERE org_id = $1 AND revoked_at IS NULL RETURNING id',
      [actor.orgId, now],
    );
    for (const r of rows) {
      await this.audit.record(actor, {
        action: 'calendar_feed_token.revoked',
        orgId: actor.orgId,
        subject: { type: 'calendar_feed_token', id: r.id },
        details: { reason },
        requestId,
      });
    }
  }
}
