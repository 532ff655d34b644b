import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { LedgerModule } from '@app/ledger';
import { PaymentsModule } from '@app/payments';
import { ConnectedAccounts } from './connected-accounts.js';
import { StripePayouts } from './stripe-payouts.js';
import { BankStatementImport } from './bank-statement-import.service.js';
import { EscrowAccounts } from './escrow-accounts.js';
import { EscrowService } from './escrow.service.js';
import { PayoutService } from './payout.service.js';

/** The escrow context, on top of the ledger. Needs the platform's Transactions and Clock (PlatformModule is global). */
@Module({
  imports: [IdentityModule, LedgerModule, PaymentsModule],
  providers: [EscrowAccounts, EscrowService, PayoutService, BankStatementImport, StripePayouts, ConnectedAccounts],
  exports: [EscrowService, PayoutService, BankStatementImport, StripePayouts, ConnectedAccounts, EscrowAccounts, LedgerModule, PaymentsModule],
})
export class EscrowModule {}
