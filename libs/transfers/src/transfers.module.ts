import { Module } from '@nestjs/common';
import { EscrowModule } from '@app/escrow';
import { IdentityModule } from '@app/identity';
import { LeasesModule } from '@app/leases';
import { ListingsModule } from '@app/listings';
import { RegistryModule } from '@app/registry';
import { TransferHistory } from './transfer-history.js';
import { TransferSteps } from './transfer-steps.js';
import { TransfersService } from './transfers.service.js';

/** The transfer pipeline: deals, their stages and risk placement, on escrow, space commitments and the registries. */
@Module({
  imports: [IdentityModule, EscrowModule, LeasesModule, ListingsModule, RegistryModule],
  providers: [TransferHistory, TransfersService, TransferSteps],
  exports: [TransfersService, TransferSteps],
})
export class TransfersModule {}
