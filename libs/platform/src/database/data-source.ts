import pg from 'pg';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { MIGRATIONS } from './migrations/index.js';

// bigint columns (money, sequence numbers) arrive as JavaScript bigint, never as a lossy
// number or a string (STYLE.md "Money and numbers").
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => BigInt(v));

export interface DataSourceOptionsIn {
  readonly databaseUrl: string;
  readonly poolSize?: number;
  readonly applicationName?: string;
  readonly entities?: Function[];
}

export function createDataSource(o: DataSourceOptionsIn): DataSource {
  return new DataSource({
    type: 'postgres',
    url: o.databaseUrl,
    entities: o.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: o.applicationName ?? 'ipv4market',
    extra: { max: o.poolSize ?? 10, connectionTimeoutMillis: 5000 },
  });
}

export function dataSourceFromConfig(config: AppConfig, applicationName: string, entities: Function[] = []): DataSource {
  return createDataSource({ databaseUrl: config.databaseUrl, poolSize: config.databasePoolSize, applicationName, entities });
}

/** Applies pending migrations; safe to run from several processes at once (advisory lock). */
export async function runMigrations(databaseUrl: string): Promise<string[]> {
  // One connection: the session-level advisory lock, the migrations and the unlock must all
  // run on the same session.
  const ds = createDataSource({ databaseUrl, poolSize: 1, applicationName: 'ipv4market-migrate' });
  await ds.initialize();
  try {
    await ds.query('SELECT pg_advisory_lock(7243001)');
    try {
      const done = await ds.runMigrations({ transaction: 'each' });
      return done.map((m) => m.name);
    } finally {
      await ds.query('SELECT pg_advisory_unlock(7243001)');
    }
  } finally {
    await ds.destroy();
  }
}
