// Drops this run's database and Redis keys (KEEP_TEST_DB=1 keeps them to look at).
import { Redis } from 'ioredis';
import pg from 'pg';
import { runDatabase } from './global-setup.mjs';

export default async function globalTeardown() {
  if (process.env.KEEP_TEST_DB === '1') return;
  const { name, adminUrl } = runDatabase();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `ipv4m-test-${process.env.IPV4M_TEST_RUN_ID}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
