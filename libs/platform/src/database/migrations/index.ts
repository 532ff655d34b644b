import { Foundation1764300000000 } from './1764300000000-foundation.js';
import { Registry1764400000000 } from './1764400000000-registry.js';
import { Inventory1764400001000 } from './1764400001000-inventory.js';
import { Listings1764400002000 } from './1764400002000-listings.js';
import { RegistryChanges1764400003000 } from './1764400003000-registry-changes.js';
import { Leases1764400004000 } from './1764400004000-leases.js';
import { AuditSealing1764400005000 } from './1764400005000-audit-sealing.js';
import { Ledger1764400006000 } from './1764400006000-ledger.js';
import { Escrow1764400007000 } from './1764400007000-escrow.js';
import { MillisecondTimes1764400008000 } from './1764400008000-millisecond-times.js';
import { LeaseBilling1764400009000 } from './1764400009000-lease-billing.js';
import { StripeEvents1764400010000 } from './1764400010000-stripe-events.js';
import { StripeProvider1764400011000 } from './1764400011000-stripe-provider.js';
import { SandboxTransfers1764400012000 } from './1764400012000-sandbox-transfers.js';
import { Transfers1764400013000 } from './1764400013000-transfers.js';
import { Deadlines1764400014000 } from './1764400014000-deadlines.js';
import { Webhooks1764400015000 } from './1764400015000-webhooks.js';
import { CalendarFeeds1764400016000 } from './1764400016000-calendar-feeds.js';

/** Every migration, oldest first. Listed by hand so that the same list serves tsc output and Jest. */
export const MIGRATIONS = [Foundation1764300000000, Registry1764400000000, Inventory1764400001000, Listings1764400002000, RegistryChanges1764400003000, Leases1764400004000, AuditSealing1764400005000, Ledger1764400006000, Escrow1764400007000, MillisecondTimes1764400008000, LeaseBilling1764400009000, StripeEvents1764400010000, StripeProvider1764400011000, SandboxTransfers1764400012000, Transfers1764400013000, Deadlines1764400014000, Webhooks1764400015000, CalendarFeeds1764400016000];
