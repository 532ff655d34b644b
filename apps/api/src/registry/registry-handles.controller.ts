import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ApiJsonBody, IdParam, type PageQuery, ValidBody, ValidQuery, pageQuery } from '@app/platform';
import { type Actor, CurrentActor, Roles } from '@app/identity';
import { RegistryHandles } from '@app/registry';
import type { FastifyRequest } from 'fastify';
import { type ClaimHandleBody, type ConfirmHandleBody, claimHandleBody, confirmHandleBody } from './registry.dto.js';

/** An organisation's RIR accounts (API.md "Identity"): claimed, then confirmed with a code sent by e-mail. */
@ApiTags('registry')
@Controller('v1/registry-handles')
export class RegistryHandlesController {
  constructor(private readonly handles: RegistryHandles) {}

  @Post()
  @HttpCode(201)
  @Roles('admin')
  @ApiJsonBody(claimHandleBody)
  @ApiOperation({ summary: "Claim an RIR handle: a one-time code goes to the contact e-mail of its RDAP entity (org admin)" })
  claim(@CurrentActor() actor: Actor, @ValidBody(claimHandleBody) body: ClaimHandleBody, @Req() req: FastifyRequest) {
    return this.handles.claim(actor, body, req.id);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @Roles('admin')
  @ApiIdParam()
  @ApiJsonBody(confirmHandleBody)
  @ApiOperation({ summary: 'Confirm a claim with its code: single use, 30 minutes, at most 5 wrong codes (org admin)' })
  confirm(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(confirmHandleBody) body: ConfirmHandleBody, @Req() req: FastifyRequest) {
    return this.handles.confirm(actor, id, body.code, req.id);
  }

  @Get()
  @ApiOperation({ summary: "Your organisation's handle claims, newest first" })
  list(@CurrentActor() actor: Actor, @ValidQuery(pageQuery) page: PageQuery) {
    return this.handles.list(actor, page);
  }

  @Get(':id')
  @ApiIdParam()
  @ApiOperation({ summary: 'One claim of your organisation' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return this.handles.get(actor, id);
  }
}
