import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { InventoryModule } from '@app/inventory';
import { BlocksController } from './blocks.controller.js';

/** The HTTP face of the inventory context. */
@Module({
  imports: [IdentityModule, InventoryModule],
  controllers: [BlocksController],
})
export class InventoryApiModule {}
