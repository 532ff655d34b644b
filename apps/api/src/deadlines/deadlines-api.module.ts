import { Module } from '@nestjs/common';
import { DeadlinesModule } from '@app/deadlines';
import { DeadlinesController } from './deadlines.controller.js';

/** The HTTP face of deadlines and notifications. */
@Module({
  imports: [DeadlinesModule],
  controllers: [DeadlinesController],
})
export class DeadlinesApiModule {}
