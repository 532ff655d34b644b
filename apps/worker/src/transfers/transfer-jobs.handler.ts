import { Injectable } from '@nestjs/common';
import { HandlesJob, type JobHandler } from '@app/platform';
import { STAGES, TransferSteps } from '@app/transfers';
import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';

const advanceData = z.object({ transferId: z.uuid(), stage: z.enum(STAGES), round: z.number().int().min(0) });

@Injectable()
@HandlesJob('transfers.advance')
export class AdvanceTransferHandler implements JobHandler {
  constructor(private readonly steps: TransferSteps) {}

  handle(job: Job): Promise<string> {
    const parsed = advanceData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`${job.name}: bad data: ${parsed.error.message}`);
    return this.steps.advance(parsed.data);
  }
}

@Injectable()
@HandlesJob('transfers.reconcile')
export class ReconcileTransfersHandler implements JobHandler {
  constructor(private readonly steps: TransferSteps) {}

  async handle(): Promise<{ requeued: number }> {
    return { requeued: await this.steps.requeueDue() };
  }
}
