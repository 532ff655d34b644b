import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PeriodicTask } from '../util/periodic-task.js';
import { QueueRegistry } from './queue-registry.js';

/**
 * Keeps the worker's job schedulers in Redis: every WORKER_SCHEDULE_CHECK_MS it upserts again
 * any that went missing (Redis emptied, failed over to an empty replica). Redis holds only
 * work to do; losing it delays the scheduled scans by at most this interval, it never stops them.
 */
@Injectable()
export class ScheduleKeeper extends PeriodicTask {
  private readonly log = new Logger('schedules');

  constructor(
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  protected async round(): Promise<number> {
    const restored = await this.queues.restoreSchedules();
    if (restored.length > 0) this.log.warn({ msg: 'job schedulers restored', restored });
    return this.config.workerScheduleCheckMs;
  }

  protected failed(err: Error): number {
    this.log.error({ msg: 'checking job schedulers failed', error: err.message });
    return this.config.workerScheduleCheckMs;
  }
}
