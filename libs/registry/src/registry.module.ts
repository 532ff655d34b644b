import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { RegistryHandles } from './handles/registry-handles.js';
import { Mailer } from './mail/mailer.js';
import { RdapClient } from './rdap/rdap-client.js';
import { SandboxRegistry } from './sandbox/sandbox-registry.js';

/** The registry context: RDAP, the sandbox registry, outgoing mail and RIR handles. */
@Module({
  imports: [IdentityModule],
  providers: [RdapClient, Mailer, SandboxRegistry, RegistryHandles],
  exports: [RdapClient, Mailer, SandboxRegistry, RegistryHandles],
})
export class RegistryModule {}
