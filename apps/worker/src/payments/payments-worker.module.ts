import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { EscrowModule } from '@app/escrow';
import { IdentityModule } from '@app/identity';
import { APP_CONFIG, type AppConfig, QueueRegistry } from '@app/platform';
import { ExecutePayoutHandler, ReconcilePaymentsHandler } from './payment-jobs.handler.js';

/** The payments context's job handlers: Stripe payouts and their reconciler. */
@Module({
  imports: [IdentityModule, EscrowModule],
  providers: [ExecutePayoutHandler, ReconcilePaymentsHandler],
})
export class PaymentsWorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Upserted by id, so every worker process may do this; BullMQ makes one job per tick. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queues.every('payments.reconcile', this.config.paymentsReconcileIntervalMs);
  }
}
