import { Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ApiJsonBody, IdParam, type PageQuery, ValidBody, ValidQuery, pageQuery } from '@app/platform';
import { type Actor, CurrentActor, Roles } from '@app/identity';
import { BlocksService, MandatesService } from '@app/inventory';
import type { FastifyRequest } from 'fastify';
import { type GrantMandateBody, type RegisterBlockBody, grantMandateBody, registerBlockBody } from './inventory.dto.js';

@ApiTags('address space')
@Controller('v1')
export class BlocksController {
  constructor(
    private readonly blocks: BlocksService,
    private readonly mandates: MandatesService,
  ) {}

  @Post('blocks')
  @HttpCode(201)
  @Roles('admin', 'trader')
  @ApiJsonBody(registerBlockBody)
  @ApiOperation({ summary: 'Register a block the organisation holds (unverified until the registry confirms it)' })
  register(@CurrentActor() actor: Actor, @ValidBody(registerBlockBody) body: RegisterBlockBody, @Req() req: FastifyRequest) {
    return this.blocks.register(actor, body.prefix, body.rir, req.id);
  }

  @Get('blocks')
  @ApiOperation({ summary: "The organisation's blocks (the platform sees all)" })
  list(@CurrentActor() actor: Actor, @ValidQuery(pageQuery) page: PageQuery) {
    return this.blocks.list(actor, page);
  }

  @Get('blocks/:id')
  @ApiIdParam()
  @ApiOperation({ summary: 'A block with its verification evidence (holder, brokers with a mandate, platform)' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return this.blocks.get(actor, id);
  }

  @Post('blocks/:id/verify')
  @HttpCode(202)
  @Roles('admin', 'trader')
  @ApiIdParam()
  @ApiOperation({ summary: "Check holdership against the registry's RDAP record (asynchronous)" })
  verify(@CurrentActor() actor: Actor, @IdParam() id: string, @Req() req: FastifyRequest) {
    return this.blocks.requestVerification(actor, id, req.id);
  }

  @Post('blocks/:id/mandates')
  @HttpCode(201)
  @Roles('admin', 'trader')
  @ApiIdParam()
  @ApiJsonBody(grantMandateBody)
  @ApiOperation({ summary: 'Give a broker a mandate (letter of authority) to list the block until it expires' })
  grant(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(grantMandateBody) body: GrantMandateBody, @Req() req: FastifyRequest) {
    return this.mandates.grant(actor, id, body.brokerOrgId, body.expiresAt, req.id);
  }

  @Get('blocks/:id/mandates')
  @ApiIdParam()
  @ApiOperation({ summary: "The block's mandates (holder), or the caller's own (broker)" })
  async listMandates(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return { data: await this.mandates.listForBlock(actor, id), nextCursor: null };
  }

  @Delete('blocks/:id/mandates/:mandateId')
  @HttpCode(204)
  @Roles('admin', 'trader')
  @ApiIdParam()
  @ApiParam({ name: 'mandateId', format: 'uuid' })
  @ApiOperation({ summary: "Revoke a mandate: the broker's listings of the block are withdrawn" })
  async revoke(@CurrentActor() actor: Actor, @IdParam() id: string, @IdParam('mandateId') mandateId: string, @Req() req: FastifyRequest): Promise<void> {
    await this.mandates.revoke(actor, id, mandateId, req.id);
  }

  @Get('mandates')
  @ApiOperation({ summary: 'Mandates granted to the caller as a broker' })
  async brokerMandates(@CurrentActor() actor: Actor) {
    return { data: await this.mandates.listAsBroker(actor), nextCursor: null };
  }
}
