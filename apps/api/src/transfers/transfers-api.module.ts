import { Module } from '@nestjs/common';
import { TransfersModule } from '@app/transfers';
import { TransfersController } from './transfers.controller.js';

/** The HTTP face of the transfer pipeline. */
@Module({
  imports: [TransfersModule],
  controllers: [TransfersController],
})
export class TransfersApiModule {}
