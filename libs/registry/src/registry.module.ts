import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { RegistryGateways } from './gateway/registry-gateways.js';
import { RegistryObserver } from './gateway/registry-observer.js';
import { RegistryHandles } from './handles/registry-handles.js';
import { Mailer } from './mail/mailer.js';
import { RdapClient } from './rdap/rdap-client.js';
import { VrpClient } from './rpki/vrp-client.js';
import { SandboxRegistry } from './sandbox/sandbox-registry.js';
import { SandboxTransfers } from './sandbox/sandbox-transfers.js';

/** The registry context: RDAP, RPKI, the RIRs' gateways, the sandbox registry, outgoing mail and RIR handles. */
@Module({
  imports: [IdentityModule],
  providers: [RdapClient, VrpClient, Mailer, SandboxRegistry, SandboxTransfers, RegistryHandles, RegistryGateways, RegistryObserver],
  exports: [RdapClient, VrpClient, Mailer, SandboxRegistry, SandboxTransfers, RegistryHandles, RegistryGateways, RegistryObserver],
})
export class RegistryModule {}
