import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Clock, clockProvider } from './clock/clock.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { dataSourceFromConfig } from './database/data-source.js';
import { Transactions } from './database/transactions.js';
import { IdempotencyInterceptor } from './http/idempotency.js';
import { HEALTH_REDIS, HealthCheck } from './observability/health.js';
import { Metrics } from './observability/metrics.js';
import { Outbox } from './outbox/outbox.js';
import { DomainEvents } from './events/domain-events.js';
import { JobHandlerRegistry } from './queues/job-handler.js';
import { QueueRegistry } from './queues/queue-registry.js';
import { createRedis } from './queues/redis.js';

export interface PlatformOptions {
  readonly config: AppConfig;
  /** Names the process in pg_stat_activity and Redis CLIENT LIST. */
  readonly processName: string;
  /** Every TypeORM entity of the domain libs this process loads. */
  readonly entities: Function[];
}

/** The plumbing every process needs: config, database, transactions, queues, outbox, clock, health, metrics. */
@Global()
@Module({})
export class PlatformModule implements OnApplicationShutdown {
  constructor(
    private readonly db: DataSource,
    @Inject(HEALTH_REDIS) private readonly healthRedis: Redis,
  ) {}

  static forRoot(o: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: APP_CONFIG, useValue: o.config },
        {
          provide: DataSource,
          useFactory: async () => dataSourceFromConfig(o.config, o.processName, o.entities).initialize(),
        },
        { provide: HEALTH_REDIS, useFactory: () => createRedis(o.config.redisUrl, { failFast: true, name: `${o.processName}-health` }) },
        Transactions,
        clockProvider,
        QueueRegistry,
        Outbox,
        DomainEvents,
        HealthCheck,
        Metrics,
        IdempotencyInterceptor,
        JobHandlerRegistry,
      ],
      exports: [
        APP_CONFIG,
        DataSource,
        Transactions,
        Clock,
        QueueRegistry,
        Outbox,
        DomainEvents,
        HealthCheck,
        Metrics,
        IdempotencyInterceptor,
        JobHandlerRegistry,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.healthRedis.disconnect();
    if (this.db.isInitialized) await this.db.destroy();
  }
}
