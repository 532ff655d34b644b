import { Controller, Get, HttpCode, Post, Req, applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RouteSchema } from '@nestjs/platform-fastify';
import { type Actor, CurrentActor, Roles } from '@app/identity';
import { LeasesService } from '@app/leases';
import { ApiIdParam, ApiJsonBody, IdParam, Idempotent, ValidBody, ValidQuery } from '@app/platform';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { leaseDetailSchema, leasePageSchema, leaseSchema } from './lease.schema.js';
import { type CreateLeaseBody, createLeaseBody, leaseReasonBody, listLeasesQuery, optionalReasonBody } from './leases.dto.js';

const leaseResponse = (status: 200 | 201) =>
  applyDecorators(RouteSchema({ response: { [status]: leaseSchema } }), ApiResponse({ status, schema: leaseSchema as object }));

@ApiTags('leases')
@Controller('v1/leases')
export class LeasesController {
  constructor(private readonly leases: LeasesService) {}

  @Post()
  @HttpCode(201)
  @Roles('admin', 'trader')
  @Idempotent({ required: true })
  @leaseResponse(201)
  @ApiJsonBody(createLeaseBody)
  @ApiOperation({
    summary: 'Lease a unit of a lease listing for your ASN (Idempotency-Key required)',
    description:
      'Without prefix the lowest free unit is taken. 409 LEASE.UNIT_UNAVAILABLE when the unit (or every unit) is taken. ' +
      'The lease starts in provisioning; it is active once the ROA, route object and sub-assignment are visible at the registry.',
  })
  create(@CurrentActor() actor: Actor, @ValidBody(createLeaseBody) body: CreateLeaseBody, @Req() req: FastifyRequest) {
    return this.leases.create(actor, body, req.id);
  }

  @Get()
  @RouteSchema({ response: { 200: leasePageSchema } })
  @ApiOkResponse({ schema: leasePageSchema as object })
  @ApiQuery({ name: 'status', required: false })
  @ApiQuery({ name: 'as', required: false, description: 'lessee or lessor' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({ summary: 'Leases your organisation takes or gives (the platform sees all), newest first' })
  list(@CurrentActor() actor: Actor, @ValidQuery(listLeasesQuery) q: z.output<typeof listLeasesQuery>) {
    return this.leases.list(actor, q.filter, q.page);
  }

  @Get(':id')
  @ApiIdParam()
  @ApiOkResponse({ schema: leaseDetailSchema as object })
  @ApiOperation({ summary: 'A lease with its events, registry changes and current risk placement (its parties and the platform)' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return this.leases.get(actor, id);
  }

  @Post(':id/notice')
  @HttpCode(200)
  @Roles('admin', 'trader')
  @Idempotent()
  @leaseResponse(200)
  @ApiIdParam()
  @ApiJsonBody(optionalReasonBody.unwrap())
  @ApiOperation({ summary: 'Give notice before the notice deadline (either party): the lease will not renew and ends with its term' })
  notice(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(optionalReasonBody) body: z.output<typeof optionalReasonBody>, @Req() req: FastifyRequest) {
    return this.leases.notice(actor, id, body?.reason, req.id);
  }

  @Post(':id/terminate')
  @HttpCode(200)
  @Roles('admin', 'trader')
  @Idempotent()
  @leaseResponse(200)
  @ApiIdParam()
  @ApiJsonBody(leaseReasonBody)
  @ApiOperation({ summary: 'End the lease now (either party): its ROA, route object and sub-assignment are removed, then the unit is free' })
  terminate(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(leaseReasonBody) body: z.output<typeof leaseReasonBody>, @Req() req: FastifyRequest) {
    return this.leases.terminate(actor, id, body.reason, req.id);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @Roles('admin', 'trader')
  @leaseResponse(200)
  @ApiIdParam()
  @ApiJsonBody(leaseReasonBody)
  @ApiOperation({ summary: 'Suspend an active lease (the lessor or the platform), e.g. over abuse' })
  suspend(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(leaseReasonBody) body: z.output<typeof leaseReasonBody>, @Req() req: FastifyRequest) {
    return this.leases.suspend(actor, id, body.reason, req.id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @Roles('admin', 'trader')
  @leaseResponse(200)
  @ApiIdParam()
  @ApiJsonBody(optionalReasonBody.unwrap())
  @ApiOperation({ summary: 'Resume a suspended lease (the lessor or the platform)' })
  resume(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(optionalReasonBody) body: z.output<typeof optionalReasonBody>, @Req() req: FastifyRequest) {
    return this.leases.resume(actor, id, body?.reason, req.id);
  }
}
