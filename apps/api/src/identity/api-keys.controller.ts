import { Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ApiJsonBody, IdParam, type PageQuery, ValidBody, ValidQuery, pageQuery } from '@app/platform';
import { type Actor, AuditLog, CurrentActor, IdentityService, Roles } from '@app/identity';
import type { FastifyRequest } from 'fastify';
import { createApiKeyBody, type CreateApiKeyBody } from './identity.dto.js';

@ApiTags('identity')
@Controller('v1')
export class ApiKeysController {
  constructor(
    private readonly identity: IdentityService,
    private readonly audit: AuditLog,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'Who the bearer token is' })
  me(@CurrentActor() actor: Actor) {
    return { orgId: actor.orgId, role: actor.role, keyId: actor.keyId, platform: actor.isPlatform };
  }

  @Post('api-keys')
  @HttpCode(201)
  @Roles('admin')
  @ApiJsonBody(createApiKeyBody)
  @ApiOperation({ summary: 'Create a key in your own organisation (org admin); the key is shown once' })
  create(@CurrentActor() actor: Actor, @ValidBody(createApiKeyBody) body: CreateApiKeyBody, @Req() req: FastifyRequest) {
    return this.identity.createApiKey(actor, actor.orgId, body.role, body.label, req.id);
  }

  @Get('api-keys')
  @Roles('admin')
  @ApiOperation({ summary: "List your organisation's keys (org admin)" })
  list(@CurrentActor() actor: Actor, @ValidQuery(pageQuery) page: PageQuery) {
    return this.identity.listApiKeys(actor, actor.orgId, page);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @Roles('admin')
  @ApiIdParam()
  @ApiOperation({ summary: 'Revoke a key (org admin of its organisation, or the platform admin); at once, for every process' })
  async revoke(@CurrentActor() actor: Actor, @IdParam() id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.identity.revokeApiKey(actor, id, req.id);
  }

  @Get('audit')
  @Roles('admin')
  @ApiOperation({ summary: 'Who did what, newest first, hash-chained (org admin: own organisation; platform admin: all)' })
  auditLog(@CurrentActor() actor: Actor, @ValidQuery(pageQuery) page: PageQuery) {
    return this.audit.list(actor, page);
  }
}
