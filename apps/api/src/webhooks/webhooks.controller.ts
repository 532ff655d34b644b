import { Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Roles } from '@app/identity';
import { ApiIdParam, ApiJsonBody, IdParam, ValidBody, ValidQuery } from '@app/platform';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { WebhookDeliveryLog, WebhookEndpoints } from '@app/deadlines';
import { type CreateEndpointBody, createEndpointBody, listQuery } from './webhooks.dto.js';

/**
 * Outgoing webhooks (API.md "Deadlines and notifications"): an organisation's admin manages
 * its endpoints, every role of it may read them and their delivery log.
 */
@ApiTags('webhooks')
@Controller('v1')
export class WebhooksController {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly log: WebhookDeliveryLog,
  ) {}

  @Post('webhook-endpoints')
  @HttpCode(201)
  @Roles('admin')
  @ApiJsonBody(createEndpointBody)
  @ApiOperation({
    summary: 'Subscribe an endpoint to events (org admin); the signing secret is shown once',
    description:
      "events: '*', exact types ('transfer.stage_changed') or prefixes ('lease.*'). Each delivery is a POST signed with " +
      'Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the secret>, retried with backoff until a 2xx. ' +
      '422 WEBHOOK.URL_NOT_ALLOWED when the host resolves to a private, loopback, link-local or other special-purpose address; WEBHOOK.URL_UNRESOLVABLE.',
  })
  create(@CurrentActor() actor: Actor, @ValidBody(createEndpointBody) body: CreateEndpointBody, @Req() req: FastifyRequest) {
    return this.endpoints.create(actor, body, req.id);
  }

  @Get('webhook-endpoints')
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({ summary: "Your organisation's webhook endpoints (the platform: all), newest first" })
  list(@CurrentActor() actor: Actor, @ValidQuery(listQuery) page: z.output<typeof listQuery>) {
    return this.endpoints.list(actor, page);
  }

  @Get('webhook-endpoints/:id')
  @ApiIdParam()
  @ApiOperation({ summary: 'A webhook endpoint: its URL, events, status (disabled after repeated failures, with the reason); never its secret' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return this.endpoints.get(actor, id);
  }

  @Delete('webhook-endpoints/:id')
  @HttpCode(204)
  @Roles('admin')
  @ApiIdParam()
  @ApiOperation({ summary: 'Delete a webhook endpoint (org admin): it gets no more deliveries, and its pending ones stop' })
  async remove(@CurrentActor() actor: Actor, @IdParam() id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.endpoints.remove(actor, id, req.id);
  }

  @Get('webhook-endpoints/:id/deliveries')
  @ApiIdParam()
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({ summary: "An endpoint's delivery log, newest first: each delivery's event, status, attempts and every attempt's status code, error and duration" })
  deliveries(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidQuery(listQuery) page: z.output<typeof listQuery>) {
    return this.log.list(actor, id, page);
  }
}
