import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { LedgerModule } from '@app/ledger';
import { PaymentsModule } from '@app/payments';
import { BankStatementImport } from './bank-statement-import.service.js';
import { ConnectedAccounts } from './connected-accounts.js';
import { EscrowAccounts } from './escrow-accounts.js';
import { EscrowService } from './escrow.service.js';
import { ManualPaymentProvider, PaymentProviders, StripePaymentProvider } from './payment-provider.js';
import { PayoutService } from './payout.service.js';
import { ReconciliationReport } from './reconciliation-report.js';
import { StripeEvents } from './stripe-events.js';
import { StripeFunding } from './stripe-funding.js';
import { StripePayouts } from './stripe-payouts.js';

const SERVICES = [
  EscrowService,
  PayoutService,
  BankStatementImport,
  ConnectedAccounts,
  StripeFunding,
  StripePayouts,
  StripeEvents,
  ReconciliationReport,
  PaymentProviders,
  EscrowAccounts,
];

/** The escrow context (escrow, payouts, payment providers, reconciliation), on top of the ledger. Needs the platform's Transactions, Clock and Outbox (PlatformModule is global). */
@Module({
  imports: [IdentityModule, LedgerModule, PaymentsModule],
  providers: [...SERVICES, ManualPaymentProvider, StripePaymentProvider],
  exports: [...SERVICES, LedgerModule, PaymentsModule],
})
export class EscrowModule {}
