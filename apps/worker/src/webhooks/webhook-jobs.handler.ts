import { Injectable } from '@nestjs/common';
import { HandlesJob, type JobHandler } from '@app/platform';
import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { WebhookDeliveries, WebhookReconciler } from '@app/deadlines';

const fanOutData = z.object({ eventId: z.string().regex(/^[1-9][0-9]{0,18}$/) });
const deliverData = z.object({ deliveryId: z.uuid(), attempt: z.number().int().min(1) });

function parse<S extends z.ZodType>(schema: S, job: Job): z.output<S> {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`${job.name}: bad data: ${parsed.error.message}`);
  return parsed.data;
}

@Injectable()
@HandlesJob('webhooks.fan-out')
export class FanOutWebhookEventHandler implements JobHandler {
  constructor(private readonly deliveries: WebhookDeliveries) {}

  async handle(job: Job): Promise<{ deliveries: number }> {
    return { deliveries: await this.deliveries.fanOut(parse(fanOutData, job).eventId) };
  }
}

@Injectable()
@HandlesJob('webhooks.deliver')
export class DeliverWebhookHandler implements JobHandler {
  constructor(private readonly deliveries: WebhookDeliveries) {}

  handle(job: Job): Promise<string> {
    return this.deliveries.deliver(parse(deliverData, job));
  }
}

@Injectable()
@HandlesJob('webhooks.reconcile')
export class ReconcileWebhooksHandler implements JobHandler {
  constructor(private readonly reconciler: WebhookReconciler) {}

  handle(): Promise<{ fannedOut: number; requeued: number }> {
    return this.reconciler.reconcile();
  }
}
