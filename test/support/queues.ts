import { type AppConfig, type QueueName, createRedis } from '@app/platform';
import { type Job, type JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns something other than undefined, null or false, and returns
 * that. Bounded: after `timeoutMs` it throws, naming what it waited for.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  o: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${o.timeoutMs ?? 10_000} ms waiting for ${what}`);
    await sleep(o.intervalMs ?? 25);
  }
}

/** Resolves `promise`, or rejects naming `what` when it takes longer than `ms` (the timer is cleared either way). */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A BullMQ queue of the run (same prefix as the processes under test) on its own Redis
 * connection, for looking at jobs from outside the worker. `close()` ends the connection.
 */
export class QueueProbe {
  readonly queue: Queue;
  readonly redis: Redis;

  constructor(config: AppConfig, name: QueueName) {
    this.redis = createRedis(config.redisUrl, { name: 'ipv4m-test-probe' });
    this.queue = new Queue(name, { connection: this.redis, prefix: config.redisKeyPrefix });
  }

  async job(id: string): Promise<Job | undefined> {
    return (await this.queue.getJob(id)) ?? undefined;
  }

  async state(id: string): Promise<JobState | 'unknown'> {
    return this.queue.getJobState(id);
  }

  /** Waits until job `id` exists and is in one of `states`; returns it as stored then. */
  async waitForState(id: string, states: readonly (JobState | 'unknown')[], timeoutMs = 10_000): Promise<Job> {
    return waitFor(
      `job ${id} to be ${states.join(' or ')}`,
      async () => {
        const state = await this.state(id);
        return states.includes(state) ? this.job(id) : undefined;
      },
      { timeoutMs },
    );
  }

  /** Every job of the queue, in any state, whose data carries `marker` (test payloads are tagged so). */
  async jobsMarked(marker: string): Promise<Job[]> {
    const jobs = await this.queue.getJobs(
      ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children'],
      0,
      -1,
    );
    return jobs.filter((j): j is Job => (j?.data as { marker?: unknown } | undefined)?.marker === marker);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}

/**
 * Empties the run's Redis keys (every queue, job and scheduler under its prefix), as losing
 * Redis would. Crash tests call it after killing worker processes: a job a killed worker held
 * (a scheduler's tick among them) would otherwise stay active until some live worker's
 * stalled-job check, up to 30 s later, and delay the next test file's scheduled work.
 */
export async function emptyRunRedis(redisUrl: string, prefix: string): Promise<number> {
  const redis = createRedis(redisUrl, { name: 'test-empty-run-redis' });
  try {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) removed += await redis.del(...keys);
    } while (cursor !== '0');
    return removed;
  } finally {
    redis.disconnect();
  }
}
