import { Module } from '@nestjs/common';
import { WebhooksModule } from '@app/deadlines';
import { WebhooksController } from './webhooks.controller.js';

/** The HTTP face of outgoing webhooks: endpoints and their delivery log. */
@Module({
  imports: [WebhooksModule],
  controllers: [WebhooksController],
})
export class WebhooksApiModule {}
