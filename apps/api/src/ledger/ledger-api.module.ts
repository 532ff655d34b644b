import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { LedgerModule } from '@app/ledger';
import { LedgerController } from './ledger.controller.js';

/** The HTTP face of the ledger (read-only; postings come from escrow, billing and providers). */
@Module({
  imports: [IdentityModule, LedgerModule],
  controllers: [LedgerController],
})
export class LedgerApiModule {}
