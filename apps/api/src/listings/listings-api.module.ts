import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { ListingsModule } from '@app/listings';
import { ListingsController } from './listings.controller.js';

/** The HTTP face of the listings context: its controllers. */
@Module({
  imports: [IdentityModule, ListingsModule],
  controllers: [ListingsController],
})
export class ListingsApiModule {}
