import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ. `maxRetriesPerRequest: null` is what BullMQ workers need
 * (they block on Redis); `enableOfflineQueue: false` is for callers that must fail fast
 * while Redis is away (health checks, enqueueing from HTTP requests).
 */
export function createRedis(url: string, o: { failFast?: boolean; name?: string } = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: o.failFast ? 1 : null,
    enableOfflineQueue: !o.failFast,
    connectionName: o.name,
    lazyConnect: false,
    // Back off up to 2 s between reconnects; never give up (Redis may come back).
    retryStrategy: (times) => Math.min(times * 100, 2000),
  };
  const redis = new Redis(url, options);
  // Without a listener ioredis prints every failed reconnect; the health check reports it.
  redis.on('error', () => undefined);
  return redis;
}
