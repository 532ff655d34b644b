import { Module } from '@nestjs/common';
import { LedgerService } from './ledger.service.js';
import { ProviderMovements } from './provider-movements.js';

/** The ledger context. Needs the platform's Transactions (PlatformModule is global). */
@Module({
  providers: [LedgerService, ProviderMovements],
  exports: [LedgerService, ProviderMovements],
})
export class LedgerModule {}
