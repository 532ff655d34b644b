import { Injectable } from '@nestjs/common';
import { type Actor, AuditLog, canSeeOrg, orgScope } from '@app/identity';
import { Clock, type Page, ProblemError, Transactions, decodeCursor, toPage, timeIdCursor } from '@app/platform';
import type { DeadlineKind, ThresholdName } from './domain/deadline.js';
import { NOTIFICATION_COLUMNS, type NotificationRow } from './notification-scan.js';

export interface NotificationView {
  id: string;
  deadlineId: string;
  kind: DeadlineKind;
  threshold: ThresholdName;
  dueAt: string;
  subject: { type: string; id: string };
  title: string;
  notifiedAt: string;
  /** E-mails sent to the ops contacts of the organisations concerned. */
  emails: number;
}

export interface NotificationSettings {
  orgId: string;
  opsEmails: string[];
  updatedAt: string | null;
}

const EMAIL = /^[^\s@<>()",;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** What was notified (GET /v1/notifications), and who gets the e-mail (the ops contacts). */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  /** Newest first; an organisation sees the notifications that concern it, the platform all. */
  async list(actor: Actor, q: { limit: number; cursor?: string; kind?: DeadlineKind; deadlineId?: string }): Promise<Page<NotificationView>> {
    const after = q.cursor ? decodeCursor(q.cursor, timeIdCursor) : null;
    const rows: NotificationRow[] = await this.tx.manager().query(
      `SELECT ${NOTIFICATION_COLUMNS} FROM notifications
        WHERE ($1::uuid IS NULL OR org_ids @> ARRAY[$1::uuid])
          AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR deadline_id = $3)
          AND ($4::timestamptz IS NULL OR (notified_at, id) < ($4::timestamptz, $5::uuid))
        ORDER BY notified_at DESC, id DESC LIMIT $6`,
      [orgScope(actor), q.kind ?? null, q.deadlineId ?? null, after?.[0] ?? null, after?.[1] ?? null, q.limit + 1],
    );
    return toPage(rows, q.limit, (r) => [r.notified_at.toISOString(), r.id], toView);
  }

  async settings(actor: Actor, orgId: string): Promise<NotificationSettings> {
    this.mayRead(actor, orgId);
    const [row]: { ops_emails: string[]; updated_at: Date }[] = await this.tx
      .manager()
      .query('SELECT ops_emails, updated_at FROM notification_settings WHERE org_id = $1', [orgId]);
    return { orgId, opsEmails: row?.ops_emails ?? [], updatedAt: row?.updated_at.toISOString() ?? null };
  }

  /** Replaces the organisation's ops contacts (1 to 20 e-mail addresses, or none). */
  async setSettings(actor: Actor, orgId: string, opsEmails: readonly string[]): Promise<NotificationSettings> {
    this.mayRead(actor, orgId);
    const bad = opsEmails.map((e, i) => [e, i] as const).filter(([e]) => e.length > 254 || !EMAIL.test(e));
    if (bad.length > 0) {
      throw new ProblemError(
        422,
        'NOTIFICATIONS.INVALID_EMAIL',
        'Invalid e-mail address',
        `Not an e-mail address: ${bad.map(([e]) => JSON.stringify(e.slice(0, 60))).join(', ')}`,
        bad.map(([, i]) => ({ field: `body.opsEmails[${i}]`, code: 'NOTIFICATIONS.INVALID_EMAIL', message: 'must be an e-mail address' })),
      );
    }
    const emails = [...new Set(opsEmails.map((e) => e.toLowerCase()))];
    return this.tx.tx(async (em) => {
      const now = await this.clock.now();
      await em.query(
        `INSERT INTO notification_settings (org_id, ops_emails, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (org_id) DO UPDATE SET ops_emails = EXCLUDED.ops_emails, updated_at = EXCLUDED.updated_at`,
        [orgId, emails, now],
      );
      await this.audit.record(actor, { action: 'notifications.settings_set', orgId, subject: { type: 'organisation', id: orgId }, details: { opsEmails: emails } });
      return { orgId, opsEmails: emails, updatedAt: now.toISOString() };
    });
  }

  private mayRead(actor: Actor, orgId: string): void {
    if (!canSeeOrg(actor, orgId)) throw new ProblemError(404, 'ORG.NOT_FOUND', 'Not found', 'The organisation was not found');
  }
}

function toView(r: NotificationRow): NotificationView {
  return {
    id: r.id,
    deadlineId: r.deadline_id,
    kind: r.kind,
    threshold: r.threshold,
    dueAt: r.due_at.toISOString(),
    subject: { type: r.subject_type, id: r.subject_id },
    title: r.title,
    notifiedAt: r.notified_at.toISOString(),
    emails: r.emails,
  };
}
