import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock, Outbox, type Page, type PageQuery, Transactions, decodeCursor, toPage, timeIdCursor } from '@app/platform';
import { OutgoingMailEntity } from './outgoing-mail.entity.js';

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

/** Payload of the job mail.deliver. */
export interface MailDeliverJob {
  readonly mailId: string;
}

export interface MailboxItem {
  id: string;
  to: string;
  subject: string;
  body: string;
  sentAt: string;
}

export type DeliveryOutcome = 'kept' | 'failed' | 'already-delivered' | 'missing';

/** Why live-mode delivery fails today: there is no transport yet. */
export const NO_TRANSPORT_REASON = 'no SMTP transport is configured: live mode cannot deliver e-mail yet';


/**
 * E-mail through the outbox: `send` writes the mail and its delivery job in the caller's
 * transaction, so a mail exists if and only if the change that caused it committed; the
 * worker's mail.deliver job then delivers it, at least once, idempotently.
 */
@Injectable()
export class Mailer {
  constructor(
    private readonly tx: Transactions,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Queues a mail; must run inside the caller's transaction. Returns its id. */
  async send(mail: OutgoingMail): Promise<string> {
    const em = this.tx.manager();
    if (!em.queryRunner?.isTransactionActive) throw new Error('Mailer.send must run inside a transaction');
    const row = em.getRepository(OutgoingMailEntity).create({
      ...mail,
      status: 'pending',
      createdAt: await this.clock.now(),
      sentAt: null,
      failedReason: null,
    });
    await em.getRepository(OutgoingMailEntity).insert(row);
    const data: MailDeliverJob = { mailId: row.id };
    await this.outbox.add({ job: 'mail.deliver', data, jobId: `mail:${row.id}:deliver` });
    return row.id;
  }

  /**
   * Delivers one mail (the worker's mail.deliver). Idempotent: a mail no longer pending is
   * left as it is, and the row lock makes a concurrent duplicate wait, then see that.
   */
  async deliver(mailId: string): Promise<DeliveryOutcome> {
    return this.tx.tx(async (em) => {
      const repo = em.getRepository(OutgoingMailEntity);
      const mail = await repo.findOne({ where: { id: mailId }, lock: { mode: 'pessimistic_write' } });
      if (!mail) return 'missing';
      if (mail.status !== 'pending') return 'already-delivered';
      if (this.config.registryMode === 'sandbox') {
        // The sandbox keeps mail instead of handing it to an SMTP server (API.md "Sandbox registry").
        await repo.update({ id: mailId }, { status: 'kept', sentAt: await this.clock.now() });
        return 'kept';
      }
      // Live mode has no SMTP transport yet: the mail is marked failed with the reason
      // rather than retried forever or dropped silently; a transport plugs in here.
      await repo.update({ id: mailId }, { status: 'failed', failedReason: NO_TRANSPORT_REASON });
      return 'failed';
    });
  }

  /** Mail the sandbox kept, newest first, optionally only that sent to `to` (any case). */
  async mailbox(page: PageQuery, to?: string): Promise<Page<MailboxItem>> {
    const before = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const rows: { id: string; to_address: string; subject: string; body: string; sent_at: Date }[] = await this.tx.manager().query(
      `SELECT id, to_address, subject, body, sent_at FROM outgoing_mail
        WHERE status = 'kept'
          AND ($1::text IS NULL OR lower(to_address) = lower($1))
          AND ($2::timestamptz IS NULL OR (sent_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY sent_at DESC, id DESC LIMIT $4`,
      [to ?? null, before?.[0] ?? null, before?.[1] ?? null, page.limit + 1],
    );
    return toPage(
      rows,
      page.limit,
      (r) => [r.sent_at.toISOString(), r.id],
      (r) => ({ id: r.id, to: r.to_address, subject: r.subject, body: r.body, sentAt: r.sent_at.toISOString() }),
    );
  }
}
