import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, QueueRegistry } from '@app/platform';
import { WebhooksModule } from '@app/deadlines';
import { DeliverWebhookHandler, FanOutWebhookEventHandler, ReconcileWebhooksHandler } from './webhook-jobs.handler.js';

/** Outgoing webhooks' job handlers: fan-out of domain events, delivery attempts, the reconciler. */
@Module({
  imports: [WebhooksModule],
  providers: [FanOutWebhookEventHandler, DeliverWebhookHandler, ReconcileWebhooksHandler],
})
export class WebhooksWorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Upserted by id, so every worker process may do this; BullMQ makes one job per tick. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queues.every('webhooks.reconcile', this.config.webhooks.reconcileIntervalMs);
  }
}
