import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock } from '@app/platform';
import { DataSource } from 'typeorm';
import { RIRS, type Rir } from '../domain/rir.js';
import { SandboxTransfers } from '../sandbox/sandbox-transfers.js';
import { LiveRegistryGateway } from './live-gateway.js';
import type { RegistryGateway } from './registry-gateway.js';
import { SandboxRegistryGateway } from './sandbox-gateway.js';

/** The gateway of each RIR: the sandbox registry's with REGISTRY_MODE=sandbox, else the live one. */
@Injectable()
export class RegistryGateways {
  private readonly gateways: ReadonlyMap<Rir, RegistryGateway>;

  constructor(@Inject(APP_CONFIG) config: AppConfig, db: DataSource, clock: Clock, transfers: SandboxTransfers) {
    this.gateways = new Map(
      RIRS.map((rir) => [rir, config.registryMode === 'sandbox' ? new SandboxRegistryGateway(rir, db, clock, transfers) : new LiveRegistryGateway(rir)]),
    );
  }

  gatewayFor(rir: Rir): RegistryGateway {
    const gateway = this.gateways.get(rir);
    if (!gateway) throw new TypeError(`${String(rir)} is not an RIR`);
    return gateway;
  }
}
