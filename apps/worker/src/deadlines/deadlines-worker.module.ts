import { Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { DeadlinesModule, NotificationScan, type ScanOutcome } from '@app/deadlines';
import { APP_CONFIG, type AppConfig, HandlesJob, type JobHandler, QueueRegistry } from '@app/platform';

@Injectable()
@HandlesJob('deadlines.scan')
export class ScanDeadlinesHandler implements JobHandler {
  constructor(private readonly scan: NotificationScan) {}

  handle(): Promise<ScanOutcome> {
    return this.scan.run();
  }
}

/** The deadline scan: notifications once per deadline and threshold, on the (sandbox) clock. */
@Module({
  imports: [DeadlinesModule],
  providers: [ScanDeadlinesHandler],
})
export class DeadlinesWorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Upserted by id, so every worker process may do this; BullMQ makes one job per tick. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queues.every('deadlines.scan', this.config.deadlinesScanIntervalMs);
  }
}
