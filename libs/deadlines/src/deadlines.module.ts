import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { InventoryModule } from '@app/inventory';
import { LeasesModule } from '@app/leases';
import { RegistryModule } from '@app/registry';
import { DeadlinesService } from './deadlines.service.js';
import { NotificationScan } from './notification-scan.js';
import { NotificationsService } from './notifications.service.js';
import { RirStanding } from './rir-standing.service.js';

/** Deadlines over leases, blocks, escrows, transfers and mandates; their notifications. */
@Module({
  imports: [IdentityModule, InventoryModule, LeasesModule, RegistryModule],
  providers: [DeadlinesService, NotificationScan, NotificationsService, RirStanding],
  exports: [DeadlinesService, NotificationScan, NotificationsService, RirStanding],
})
export class DeadlinesModule {}
