import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplicationContext } from '@nestjs/common';
import { type AppConfig, loadConfig, runMigrations } from '@app/platform';
import supertest from 'supertest';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { createWorker } from '../../apps/worker/src/bootstrap.js';
import { ADMIN_TOKEN, baseEnv } from './test-env.js';

let migrated: Promise<unknown> | undefined;
/** Applies the migrations to this run's database once per test file (a no-op when up to date). */
export function migrate(): Promise<unknown> {
  migrated ??= runMigrations(baseEnv().DATABASE_URL!);
  return migrated;
}

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly http: supertest.Agent;
  readonly adminToken: string;
  close(): Promise<void>;
}

/** The real API (Fastify, real PostgreSQL and Redis) on an ephemeral port. */
export async function startApi(overrides: Record<string, string> = {}): Promise<TestApp> {
  await migrate();
  const config = loadConfig({ ...baseEnv(), ...overrides });
  const app = await createApiApp(config);
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    http: supertest.agent(app.getHttpServer()),
    adminToken: ADMIN_TOKEN,
    close: () => app.close(),
  };
}

/** A real worker process's module (BullMQ workers and the outbox relay) inside the test process. */
export async function startWorker(overrides: Record<string, string> = {}): Promise<{ worker: INestApplicationContext; config: AppConfig }> {
  await migrate();
  const config = loadConfig({ ...baseEnv(), ...overrides });
  return { worker: await createWorker(config), config };
}
