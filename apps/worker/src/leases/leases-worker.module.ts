import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { LeasesModule } from '@app/leases';
import { APP_CONFIG, type AppConfig, QueueRegistry } from '@app/platform';
import { RegistryChangeHandler, RegistryCheckHandler, ScanDueLeasesHandler } from './lease-jobs.handler.js';

/** The leases context's job handlers. */
@Module({
  imports: [IdentityModule, LeasesModule],
  providers: [RegistryChangeHandler, RegistryCheckHandler, ScanDueLeasesHandler],
})
export class LeasesWorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Upserted by id, so every worker process may do this; BullMQ makes one job per tick. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queues.every('leases.scan-due', this.config.leaseScanIntervalMs);
  }
}
