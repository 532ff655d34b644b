import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { InventoryModule } from '@app/inventory';
import { ListingsModule } from '@app/listings';
import { LedgerModule } from '@app/ledger';
import { RegistryModule } from '@app/registry';
import { DueLeases } from './due-leases.js';
import { LeaseBilling } from './lease-billing.js';
import { LeaseHistory } from './lease-history.js';
import { LeaseRegistry } from './lease-registry.js';
import { LeasesService } from './leases.service.js';
import { SpaceCommitments } from './space-commitments.js';

@Module({
  imports: [IdentityModule, InventoryModule, ListingsModule, RegistryModule, LedgerModule],
  providers: [SpaceCommitments, LeaseHistory, LeaseRegistry, LeasesService, DueLeases, LeaseBilling],
  exports: [SpaceCommitments, LeasesService, LeaseRegistry, DueLeases, LeaseBilling, LeaseHistory],
})
export class LeasesModule {}
