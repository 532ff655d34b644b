/**
 * Where the tests run: a fresh database and a Redis key prefix per run, named by the run id
 * that global-setup puts in the environment. The tests refuse a database whose name lacks
 * "test", so that a mistyped DATABASE_URL can never touch real data.
 */
export const ADMIN_TOKEN = 'test-platform-admin-token-0123456789abcdef';

export interface TestEnv {
  readonly runId: string;
  readonly databaseUrl: string;
  readonly adminUrl: string;
  readonly redisUrl: string;
  readonly redisPrefix: string;
}

export function testEnv(): TestEnv {
  const runId = process.env.IPV4M_TEST_RUN_ID;
  if (!runId) throw new Error('IPV4M_TEST_RUN_ID is not set: run the tests through jest (global-setup sets it)');
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = new URL(base);
  url.pathname = `/ipv4market_test_${runId}`;
  const databaseUrl = url.toString();
  assertTestDatabase(databaseUrl);
  url.pathname = '/postgres';
  return {
    runId,
    databaseUrl,
    adminUrl: url.toString(),
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: `ipv4m-test-${runId}`,
  };
}

export function assertTestDatabase(databaseUrl: string): void {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  if (!name.includes('test')) throw new Error(`refusing to run tests against database "${name}": its name must contain "test"`);
}

/** The environment a test process of the system gets (before per-test overrides). */
export function baseEnv(): Record<string, string> {
  const env = testEnv();
  return {
    NODE_ENV: 'test',
    DATABASE_URL: env.databaseUrl,
    DATABASE_POOL_SIZE: '10',
    REDIS_URL: env.redisUrl,
    REDIS_KEY_PREFIX: env.redisPrefix,
    PLATFORM_ADMIN_TOKEN: ADMIN_TOKEN,
    SANDBOX_TIME_TRAVEL: 'true',
    LOG_LEVEL: 'silent',
    OUTBOX_POLL_MS: '50',
  };
}
