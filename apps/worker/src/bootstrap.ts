import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { type AppConfig, JsonLogger } from '@app/platform';
import { WorkerModule } from './worker.module.js';

/** The worker: BullMQ processors and the outbox relay, as a Nest application context (no HTTP). */
export async function createWorker(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new JsonLogger(config.logLevel, 'worker'),
  });
  app.enableShutdownHooks();
  return app;
}
