import { type DynamicModule, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { Redis } from 'ioredis';
import { type AppConfig, JobHandlerRegistry, OutboxRelay, PlatformModule, QUEUES, QueueRegistry, ScheduleKeeper, createRedis } from '@app/platform';
import { AuditSealer, IDENTITY_ENTITIES, IdentityModule } from '@app/identity';
import { INVENTORY_ENTITIES } from '@app/inventory';
import { LEASES_ENTITIES } from '@app/leases';
import { LISTINGS_ENTITIES } from '@app/listings';
import { REGISTRY_ENTITIES } from '@app/registry';
import { InventoryWorkerModule } from './inventory/inventory-worker.module.js';
import { LeasesWorkerModule } from './leases/leases-worker.module.js';
import { ListingsWorkerModule } from './listings/listings-worker.module.js';
import { PaymentsWorkerModule } from './payments/payments-worker.module.js';
import { TransfersWorkerModule } from './transfers/transfers-worker.module.js';
import { DeadlinesWorkerModule } from './deadlines/deadlines-worker.module.js';
import { WebhooksWorkerModule } from './webhooks/webhooks-worker.module.js';
import { RegistryWorkerModule } from './registry/registry-worker.module.js';
import { VerifyAuditChainHandler } from './audit/verify-chain.handler.js';
import { processorFor } from './queue.processor.js';

const ENTITIES = [...IDENTITY_ENTITIES, ...REGISTRY_ENTITIES, ...INVENTORY_ENTITIES, ...LISTINGS_ENTITIES, ...LEASES_ENTITIES];
const WORKER_REDIS = Symbol('WORKER_REDIS');

@Module({})
export class WorkerModule implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly queues: QueueRegistry,
    @Inject(WORKER_REDIS) private readonly redis: Redis,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    const connection = createRedis(config.redisUrl, { name: 'ipv4m-worker' });
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot({ config, processName: 'ipv4m-worker', entities: ENTITIES }),
        BullModule.forRoot({ connection, prefix: config.redisKeyPrefix }),
        ...Object.values(QUEUES).map((name) => BullModule.registerQueue({ name })),
        IdentityModule,
        RegistryWorkerModule,
        InventoryWorkerModule,
        ListingsWorkerModule,
        LeasesWorkerModule,
        PaymentsWorkerModule,
        TransfersWorkerModule,
        DeadlinesWorkerModule,
        WebhooksWorkerModule,
      ],
      providers: [{ provide: WORKER_REDIS, useValue: connection }, OutboxRelay, ScheduleKeeper, AuditSealer, ...Object.values(QUEUES).map(processorFor), VerifyAuditChainHandler],
    };
  }

  /** Refuses to start when a job name has no handler, or two (queue-names.ts is the list). */
  onModuleInit(): void {
    this.handlers.resolve();
  }

  /** Periodic jobs. Job schedulers are upserted by id, so every worker process may do this. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queues.every('audit.verify-chain', 3600_000, 'audit.verify-chain.hourly');
  }

  /**
   * BullMQ never closes a connection it was handed (it is "shared"), so the one made above
   * would keep the process alive after close(). The processor's worker closed before this
   * (beforeApplicationShutdown); the queues on it send nothing more when they close.
   */
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
