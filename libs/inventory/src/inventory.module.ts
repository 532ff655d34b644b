import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { RegistryModule } from '@app/registry';
import { BlocksService } from './blocks.service.js';
import { MandatesService } from './mandates.service.js';
import { BlockVerification } from './verification.service.js';

@Module({
  imports: [IdentityModule, RegistryModule],
  providers: [BlocksService, MandatesService, BlockVerification],
  exports: [BlocksService, MandatesService, BlockVerification],
})
export class InventoryModule {}
