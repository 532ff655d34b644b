import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { type AppConfig, IdempotencyInterceptor, PlatformModule, ProblemFilter } from '@app/platform';
import { AuthGuard, IDENTITY_ENTITIES, IdentityModule } from '@app/identity';
import { INVENTORY_ENTITIES } from '@app/inventory';
import { LEASES_ENTITIES } from '@app/leases';
import { LISTINGS_ENTITIES } from '@app/listings';
import { REGISTRY_ENTITIES } from '@app/registry';
import { InventoryApiModule } from './inventory/inventory-api.module.js';
import { LeasesApiModule } from './leases/leases-api.module.js';
import { LedgerApiModule } from './ledger/ledger-api.module.js';
import { ReconciliationApiModule } from './reconciliation/reconciliation-api.module.js';
import { PaymentsApiModule } from './payments/payments-api.module.js';
import { ListingsApiModule } from './listings/listings-api.module.js';
import { RegistryApiModule } from './registry/registry-api.module.js';
import { TransfersApiModule } from './transfers/transfers-api.module.js';
import { DeadlinesApiModule } from './deadlines/deadlines-api.module.js';
import { CalendarApiModule } from './calendar/calendar-api.module.js';
import { WebhooksApiModule } from './webhooks/webhooks-api.module.js';
import { ApiKeysController } from './identity/api-keys.controller.js';
import { OrgsController } from './identity/orgs.controller.js';
import { OpsController } from './ops/ops.controller.js';
import { SandboxClockController } from './sandbox/clock.controller.js';

/** Every entity any context maps; the data source loads them all. */
export const ENTITIES = [...IDENTITY_ENTITIES, ...REGISTRY_ENTITIES, ...INVENTORY_ENTITIES, ...LISTINGS_ENTITIES, ...LEASES_ENTITIES];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ config, processName: 'ipv4m-api', entities: ENTITIES }),
        IdentityModule,
        RegistryApiModule,
        InventoryApiModule,
        ListingsApiModule,
        LeasesApiModule,
        LedgerApiModule,
        ReconciliationApiModule,
        PaymentsApiModule,
        TransfersApiModule,
        DeadlinesApiModule,
        CalendarApiModule,
        WebhooksApiModule,
      ],
      controllers: [OpsController, OrgsController, ApiKeysController, SandboxClockController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_INTERCEPTOR, useExisting: IdempotencyInterceptor },
      ],
    };
  }
}
