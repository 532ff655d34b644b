import { Injectable, Logger } from '@nestjs/common';
import { HandlesJob, type JobHandler } from '@app/platform';
import { ListingsService, type MandateEnded } from '@app/listings';
import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';

/** The payload the inventory context writes to the outbox when a mandate is revoked or expires. */
export const mandateEndedData = z.object({ mandateId: z.uuid(), blockId: z.uuid(), brokerOrgId: z.uuid() });

/** Withdraws the listings a broker made under a mandate that ended (idempotent). */
@Injectable()
@HandlesJob('listings.mandate-ended')
export class MandateEndedHandler implements JobHandler<MandateEnded> {
  private readonly log = new Logger('listings');

  constructor(private readonly listings: ListingsService) {}

  async handle(job: Job<MandateEnded>): Promise<{ withdrawn: string[] }> {
    const parsed = mandateEndedData.safeParse(job.data);
    // A payload no retry can fix: fail the job at once (it stays visible among the failed).
    if (!parsed.success) throw new UnrecoverableError(`listings.mandate-ended: bad data: ${parsed.error.message}`);
    const data = parsed.data;
    const withdrawn = await this.listings.withdrawForEndedMandate(data);
    if (withdrawn.length) this.log.log({ msg: 'withdrew listings of an ended mandate', mandateId: data.mandateId, withdrawn });
    return { withdrawn };
  }
}
