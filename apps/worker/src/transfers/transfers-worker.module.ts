import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { APP_CONFIG, type AppConfig, QueueRegistry } from '@app/platform';
import { TransfersModule } from '@app/transfers';
import { AdvanceTransferHandler, ReconcileTransfersHandler } from './transfer-jobs.handler.js';

/** The transfer pipeline's job handlers: one stage step per job, and the reconciler. */
@Module({
  imports: [IdentityModule, TransfersModule],
  providers: [AdvanceTransferHandler, ReconcileTransfersHandler],
})
export class TransfersWorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Upserted by id, so every worker process may do this; BullMQ makes one job per tick. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queues.every('transfers.reconcile', this.config.transfersReconcileIntervalMs);
  }
}
