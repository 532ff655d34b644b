import { Module } from '@nestjs/common';
import { LedgerService } from './ledger.service.js';

/** The ledger context. Needs the platform's Transactions (PlatformModule is global). */
@Module({
  providers: [LedgerService],
  exports: [LedgerService],
})
export class LedgerModule {}
