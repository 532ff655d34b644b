import { Module, type OnApplicationBootstrap } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { InventoryModule } from '@app/inventory';
import { QueueRegistry } from '@app/platform';
import { EndExpiredMandatesHandler } from './end-expired-mandates.handler.js';
import { VerifyBlockHandler } from './verify-block.handler.js';

/** The inventory context's job handlers. */
@Module({
  imports: [IdentityModule, InventoryModule],
  providers: [VerifyBlockHandler, EndExpiredMandatesHandler],
})
export class InventoryWorkerModule implements OnApplicationBootstrap {
  constructor(private readonly queues: QueueRegistry) {}

  /** Every minute; upserted by id, so every worker process may do this. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queues.every('inventory.end-expired-mandates', 60_000, 'inventory.end-expired-mandates.minutely');
  }
}
