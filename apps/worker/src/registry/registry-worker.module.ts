import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { RegistryModule } from '@app/registry';
import { MailDeliverHandler } from './mail-deliver.handler.js';

/** The registry context's job handlers (each @HandlesJob provider registered here). */
@Module({
  imports: [IdentityModule, RegistryModule],
  providers: [MailDeliverHandler],
})
export class RegistryWorkerModule {}
