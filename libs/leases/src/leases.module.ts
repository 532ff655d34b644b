import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { InventoryModule } from '@app/inventory';
import { ListingsModule } from '@app/listings';
import { RegistryModule } from '@app/registry';
import { DueLeases } from './due-leases.js';
import { LeaseHistory } from './lease-history.js';
import { LeaseRegistry } from './lease-registry.js';
import { LeasesService } from './leases.service.js';
import { SpaceCommitments } from './space-commitments.js';

@Module({
  imports: [IdentityModule, InventoryModule, ListingsModule, RegistryModule],
  providers: [SpaceCommitments, LeaseHistory, LeaseRegistry, LeasesService, DueLeases],
  exports: [SpaceCommitments, LeasesService, LeaseRegistry, DueLeases],
})
export class LeasesModule {}
