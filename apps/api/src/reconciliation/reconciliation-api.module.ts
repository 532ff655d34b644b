import { Module } from '@nestjs/common';
import { EscrowModule } from '@app/escrow';
import { IdentityModule } from '@app/identity';
import { ReconciliationController } from './reconciliation.controller.js';

/** The HTTP face of reconciliation: bank statements in, the report of providers' records against the ledger out. */
@Module({
  imports: [IdentityModule, EscrowModule],
  controllers: [ReconciliationController],
})
export class ReconciliationApiModule {}
