import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { WebhookDeliveries } from './webhook-deliveries.service.js';
import { WebhookDeliveryLog } from './webhook-delivery-log.js';
import { WebhookEndpoints } from './webhook-endpoints.service.js';
import { WebhookReconciler } from './webhook-reconciler.js';
import { WebhookSender } from './webhook-sender.js';
import { WEBHOOK_DNS_LOOKUP, WebhookUrlGuard, systemLookup } from './webhook-url-guard.js';

/** Outgoing webhooks: endpoints, the delivery log, fan-out and delivery of domain events, their reconciler. */
@Module({
  imports: [IdentityModule],
  providers: [
    { provide: WEBHOOK_DNS_LOOKUP, useValue: systemLookup },
    WebhookUrlGuard,
    WebhookSender,
    WebhookEndpoints,
    WebhookDeliveryLog,
    WebhookDeliveries,
    WebhookReconciler,
  ],
  exports: [WebhookEndpoints, WebhookDeliveryLog, WebhookDeliveries, WebhookReconciler],
})
export class WebhooksModule {}
