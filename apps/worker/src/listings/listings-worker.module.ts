import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { ListingsModule } from '@app/listings';
import { MandateEndedHandler } from './mandate-ended.handler.js';

/** The listings context's job handlers (each @HandlesJob provider registered here). */
@Module({
  imports: [IdentityModule, ListingsModule],
  providers: [MandateEndedHandler],
})
export class ListingsWorkerModule {}
