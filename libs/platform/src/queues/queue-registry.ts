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
    await this.queue(JOBS[job]).upsertJobScheduler(schedulerId, { every: everyMs }, { name: job, data: {} });
  }

  all(): Queue[] {
    return Object.values(QUEUES).map((n) => this.queue(n));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
