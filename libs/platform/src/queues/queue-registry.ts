import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { JOBS, type JobName, QUEUES, type QueueName } from './queue-names.js';
import { createRedis } from './redis.js';

/** The BullMQ queues of this process (producers only), created once and closed at shutdown. */
@Injectable()
export class QueueRegistry implements OnApplicationShutdown {
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();
  /** The job schedulers this process keeps: scheduler id -> job and interval. */
  private readonly schedules = new Map<string, { job: JobName; everyMs: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.connection = createRedis(config.redisUrl, { name: 'ipv4m-producer' });
  }

  get prefix(): string {
    return this.config.redisKeyPrefix;
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: this.connection,
        prefix: this.config.redisKeyPrefix,
        defaultJobOptions: {
          attempts: 8,
          backoff: { type: 'exponential', delay: 1000 },
          // Keep finished jobs a while so that a re-relayed outbox row with the same job id
          // collapses instead of running again.
          removeOnComplete: { age: 24 * 3600, count: 10000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      });
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Runs `job` every `everyMs` on its queue: a BullMQ job scheduler, upserted by id, so every
   * worker process may call this at start-up and BullMQ still makes one job per tick. The id
   * (default '<job>.every') is stored in Redis: keep it when changing the interval.
   */
  async every(job: JobName, everyMs: number, schedulerId = `${job}.every`): Promise<void> {
    this.schedules.set(schedulerId, { job, everyMs });
    await this.upsertSchedule(schedulerId, job, everyMs);
  }

  /**
   * Upserts again every scheduler this process keeps that Redis no longer has (Redis was
   * emptied or replaced): without it, scheduled scans would stop until a worker restarts.
   * Answers the ids restored.
   */
  async restoreSchedules(): Promise<string[]> {
    const restored: string[] = [];
    for (const [id, { job, everyMs }] of this.schedules) {
      if (await this.queue(JOBS[job]).getJobScheduler(id)) continue;
      await this.upsertSchedule(id, job, everyMs);
      restored.push(id);
    }
    return restored;
  }

  private async upsertSchedule(id: string, job: JobName, everyMs: number): Promise<void> {
    await this.queue(JOBS[job]).upsertJobScheduler(id, { every: everyMs }, { name: job, data: {} });
  }

  all(): Queue[] {
    return Object.values(QUEUES).map((n) => this.queue(n));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
