import { Inject, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { APP_CONFIG, type AppConfig, JobHandlerRegistry, QUEUES, isJobName } from '@app/platform';
import type { Job } from 'bullmq';

/**
 * Runs the jobs of one queue, dispatching on job.name to the one handler registered for it.
 * One class per queue; the rules live in the handlers' services.
 */
@Processor(QUEUES.maintenance, { autorun: false })
export class MaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.workerConcurrency;
    void this.worker.run();
  }

  async process(job: Job): Promise<unknown> {
    if (!isJobName(job.name)) throw new Error(`unknown job ${job.name}`);
    const handler = this.handlers.resolve().get(job.name);
    if (!handler) throw new Error(`no handler for ${job.name}`);
    return handler.handle(job);
  }

  /** SIGTERM: stop taking jobs and let the active ones finish before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }
}
