import { Inject, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { APP_CONFIG, type AppConfig, JobHandlerRegistry, type QueueName, isJobName } from '@app/platform';
import type { Job } from 'bullmq';

/**
 * The processor of one queue: dispatches on job.name to the one handler registered for it
 * (the rules live in the handlers' services). Made per queue by processorFor(), so adding a
 * queue to queue-names.ts is all it takes to have it worked.
 */
abstract class QueueProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('jobs');

  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.workerConcurrency;
    // Read when the worker runs: how long a dead worker's jobs stay locked before others take them.
    this.worker.opts.lockDuration = this.config.workerLockMs;
    this.worker.opts.stalledInterval = this.config.workerLockMs;
    void this.worker.run();
  }

  async process(job: Job): Promise<unknown> {
    if (!isJobName(job.name)) throw new Error(`unknown job ${job.name}`);
    const handler = this.handlers.resolve().get(job.name);
    if (!handler) throw new Error(`no handler for ${job.name}`);
    try {
      return await handler.handle(job);
    } catch (err) {
      // BullMQ retries it (or fails it for good); the log says why, where ops can see it.
      this.log.warn({ msg: 'job failed', job: job.name, id: job.id, attempt: job.attemptsMade + 1, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /** SIGTERM: stop taking jobs and let the active ones finish before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }
}

export function processorFor(queue: QueueName): Type<QueueProcessor> {
  @Processor(queue, { autorun: false })
  class Bound extends QueueProcessor {
    constructor(handlers: JobHandlerRegistry, @Inject(APP_CONFIG) config: AppConfig) {
      super(handlers, config);
    }
  }
  Object.defineProperty(Bound, 'name', { value: `${queue}Processor` });
  return Bound;
}
