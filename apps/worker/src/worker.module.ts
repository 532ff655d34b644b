import { type DynamicModule, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { type AppConfig, JOBS, JobHandlerRegistry, OutboxRelay, PlatformModule, QUEUES, QueueRegistry, createRedis } from '@app/platform';
import { IDENTITY_ENTITIES, IdentityModule } from '@app/identity';
import { VerifyAuditChainHandler } from './audit/verify-chain.handler.js';
import { MaintenanceProcessor } from './maintenance.processor.js';

const ENTITIES = [...IDENTITY_ENTITIES];

@Module({})
export class WorkerModule implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly queues: QueueRegistry,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot({ config, processName: 'ipv4m-worker', entities: ENTITIES }),
        BullModule.forRoot({ connection: createRedis(config.redisUrl, { name: 'ipv4m-worker' }), prefix: config.redisKeyPrefix }),
        ...Object.values(QUEUES).map((name) => BullModule.registerQueue({ name })),
        IdentityModule,
      ],
      providers: [OutboxRelay, MaintenanceProcessor, VerifyAuditChainHandler],
    };
  }

  /** Refuses to start when a job name has no handler, or two (queue-names.ts is the list). */
  onModuleInit(): void {
    this.handlers.resolve();
  }

  /** Periodic jobs. Job schedulers are upserted by id, so every worker process may do this. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queues
      .queue(JOBS['audit.verify-chain'])
      .upsertJobScheduler('audit.verify-chain.hourly', { every: 3600_000 }, { name: 'audit.verify-chain', data: {} });
  }
}
