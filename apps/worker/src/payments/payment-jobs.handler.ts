import { Inject, Injectable } from '@nestjs/common';
import { type PayoutExecution, StripePayouts } from '@app/escrow';
import { APP_CONFIG, type AppConfig, HandlesJob, type JobHandler } from '@app/platform';
import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';

const payoutData = z.object({ payoutId: z.uuid() });

@Injectable()
@HandlesJob('payments.execute-payout')
export class ExecutePayoutHandler implements JobHandler<{ payoutId: string }> {
  constructor(private readonly payouts: StripePayouts) {}

  handle(job: Job<{ payoutId: string }>): Promise<PayoutExecution> {
    const parsed = payoutData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`${job.name}: bad data: ${parsed.error.message}`);
    return this.payouts.execute(parsed.data.payoutId);
  }
}

@Injectable()
@HandlesJob('payments.reconcile')
export class ReconcilePaymentsHandler implements JobHandler {
  constructor(
    private readonly payouts: StripePayouts,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(): Promise<{ requeuedPayouts: number }> {
    return { requeuedPayouts: await this.payouts.requeuePending(this.config.paymentsReconcileIntervalMs) };
  }
}
