import { Injectable } from '@nestjs/common';
import { HandlesJob, type JobHandler } from '@app/platform';
import { BlockVerification, type VerifyBlockJob, type VerifyOutcome } from '@app/inventory';
import type { Job } from 'bullmq';

@Injectable()
@HandlesJob('inventory.verify-block')
export class VerifyBlockHandler implements JobHandler<VerifyBlockJob> {
  constructor(private readonly verification: BlockVerification) {}

  handle(job: Job<VerifyBlockJob>): Promise<VerifyOutcome> {
    // attemptsMade counts the attempts before this one.
    const isLastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    return this.verification.verify(job.data, isLastAttempt);
  }
}
