import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { LeasesModule } from '@app/leases';
import { LeasesController } from './leases.controller.js';

/** The HTTP face of the leases context. */
@Module({
  imports: [IdentityModule, LeasesModule],
  controllers: [LeasesController],
})
export class LeasesApiModule {}
