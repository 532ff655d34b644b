import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

/** A fail-fast Redis connection used only to answer health checks. */
export const HEALTH_REDIS = Symbol('HEALTH_REDIS');

export interface HealthReport {
  status: 'ok' | 'error';
  checks: { database: 'up' | 'down'; redis: 'up' | 'down' };
}

/** Database and Redis, each with a short timeout so a hung dependency answers "down", not never. */
@Injectable()
export class HealthCheck {
  constructor(
    private readonly db: DataSource,
    @Inject(HEALTH_REDIS) private readonly redis: Redis,
  ) {}

  async check(timeoutMs = 1500): Promise<HealthReport> {
    const [database, redis] = await Promise.all([
      probe(() => this.db.query('SELECT 1'), timeoutMs),
      probe(() => this.redis.ping(), timeoutMs),
    ]);
    return { status: database === 'up' && redis === 'up' ? 'ok' : 'error', checks: { database, redis } };
  }
}

async function probe(fn: () => Promise<unknown>, timeoutMs: number): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
