import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ApiJsonBody, IdParam, type PageQuery, ValidBody, ValidQuery, pageQuery } from '@app/platform';
import { type Actor, CurrentActor, IdentityService, PlatformOnly, Roles } from '@app/identity';
import type { FastifyRequest } from 'fastify';
import { createApiKeyBody, type CreateApiKeyBody, createOrgBody, type CreateOrgBody } from './identity.dto.js';

@ApiTags('identity')
@Controller('v1/orgs')
export class OrgsController {
  constructor(private readonly identity: IdentityService) {}

  @Get()
  @PlatformOnly()
  @Roles('admin')
  @ApiOperation({ summary: 'List organisations (platform admin)' })
  list(@ValidQuery(pageQuery) page: PageQuery) {
    return this.identity.listOrganisations(page);
  }

  @Post()
  @HttpCode(201)
  @PlatformOnly()
  @Roles('admin')
  @ApiJsonBody(createOrgBody)
  @ApiOperation({ summary: 'Create an organisation and its first admin key (shown once)' })
  async create(@CurrentActor() actor: Actor, @ValidBody(createOrgBody) body: CreateOrgBody, @Req() req: FastifyRequest) {
    const { org, key } = await this.identity.createOrganisation(actor, body.name, req.id);
    return { id: org.id, name: org.name, createdAt: org.createdAt, apiKey: key.apiKey, apiKeyId: key.id };
  }

  @Get(':id')
  @ApiIdParam()
  @ApiOperation({ summary: 'One organisation (its own members, or the platform)' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return this.identity.getOrganisation(actor, id);
  }

  @Post(':id/api-keys')
  @HttpCode(201)
  @PlatformOnly()
  @Roles('admin')
  @ApiIdParam()
  @ApiJsonBody(createApiKeyBody)
  @ApiOperation({ summary: "Create a key in any organisation (platform admin); the key is shown once" })
  createKey(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(createApiKeyBody) body: CreateApiKeyBody, @Req() req: FastifyRequest) {
    return this.identity.createApiKey(actor, id, body.role, body.label, req.id);
  }

  @Get(':id/api-keys')
  @Roles('admin')
  @ApiIdParam()
  @ApiOperation({ summary: "List an organisation's keys (its admins, or the platform admin); secrets are never shown" })
  listKeys(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidQuery(pageQuery) page: PageQuery) {
    return this.identity.listApiKeys(actor, id, page);
  }
}
