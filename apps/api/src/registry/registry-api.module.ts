import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { RegistryModule } from '@app/registry';
import { RegistryHandlesController } from './registry-handles.controller.js';
import { SandboxRdapController } from './sandbox-rdap.controller.js';
import { SandboxRegistryController } from './sandbox-registry.controller.js';
import { SandboxRpkiController } from './sandbox-rpki.controller.js';

/** The HTTP face of the registry context: its controllers. */
@Module({
  imports: [IdentityModule, RegistryModule],
  controllers: [RegistryHandlesController, SandboxRegistryController, SandboxRdapController, SandboxRpkiController],
})
export class RegistryApiModule {}
