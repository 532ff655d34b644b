import { Injectable } from '@nestjs/common';
import { HandlesJob, type JobHandler } from '@app/platform';
import { type DeliveryOutcome, type MailDeliverJob, Mailer } from '@app/registry';
import type { Job } from 'bullmq';

/** Delivers one queued e-mail (sandbox: keeps it in the mailbox). Idempotent: a delivered mail is left alone. */
@Injectable()
@HandlesJob('mail.deliver')
export class MailDeliverHandler implements JobHandler<MailDeliverJob> {
  constructor(private readonly mailer: Mailer) {}

  async handle(job: Job<MailDeliverJob>): Promise<{ outcome: DeliveryOutcome }> {
    return { outcome: await this.mailer.deliver(job.data.mailId) };
  }
}
