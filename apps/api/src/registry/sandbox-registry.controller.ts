import { Controller, Get, HttpCode, Put, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiJsonBody, ValidBody, ValidQuery, pageQuery } from '@app/platform';
import { type Actor, CurrentActor, PlatformOnly, Roles } from '@app/identity';
import { Mailer, SandboxRegistry, SandboxTransfers } from '@app/registry';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  type SandboxBehaviourBody,
  type SandboxEntityBody,
  type SandboxResourceBody,
  type SandboxTransfersQuery,
  sandboxBehaviourBody,
  sandboxEntityBody,
  sandboxResourceBody,
  sandboxTransfersQuery,
} from './registry.dto.js';

const mailboxQuery = pageQuery.extend({ to: z.string().max(254).optional() });

/** Scripting the sandbox registry (API.md "Sandbox registry"): the platform admin only, and only with REGISTRY_MODE=sandbox. */
@ApiTags('sandbox')
@Controller('v1/sandbox')
@PlatformOnly()
@Roles('admin')
export class SandboxRegistryController {
  constructor(
    private readonly sandbox: SandboxRegistry,
    private readonly transfers: SandboxTransfers,
    private readonly mailer: Mailer,
  ) {}

  @Put('registry/entities')
  @HttpCode(200)
  @ApiJsonBody(sandboxEntityBody)
  @ApiOperation({ summary: 'Create or update an account (org handle) at a stand-in RIR, served at /sandbox/rdap/entity/{handle}' })
  entity(@CurrentActor() actor: Actor, @ValidBody(sandboxEntityBody) body: SandboxEntityBody, @Req() req: FastifyRequest) {
    return this.sandbox.upsertEntity(actor, body, req.id);
  }

  @Put('registry/resources')
  @HttpCode(200)
  @ApiJsonBody(sandboxResourceBody)
  @ApiOperation({ summary: "Declare who holds a prefix at a stand-in RIR (upsert by prefix; networks may nest); creates the holder's entity if missing" })
  resource(@CurrentActor() actor: Actor, @ValidBody(sandboxResourceBody) body: SandboxResourceBody, @Req() req: FastifyRequest) {
    return this.sandbox.upsertResource(actor, body, req.id);
  }

  @Put('registry/behaviour')
  @HttpCode(200)
  @ApiJsonBody(sandboxBehaviourBody)
  @ApiOperation({
    summary:
      "Script a stand-in RIR: its answer to transfer requests ('approve', 'reject', 'request_info') given delayMs after each request " +
      "by the sandbox clock, whether its RDAP is up ('down': 503), " +
      "and how it answers writes of ROAs, route objects and sub-assignments ('apply', 'reject', 'unavailable') after changeDelayMs",
  })
  setBehaviour(@CurrentActor() actor: Actor, @ValidBody(sandboxBehaviourBody) body: SandboxBehaviourBody, @Req() req: FastifyRequest) {
    return this.sandbox.setBehaviour(actor, body, req.id);
  }

  @Get('registry/behaviour')
  @ApiOperation({ summary: 'How each stand-in RIR behaves now' })
  async behaviour() {
    return { data: await this.sandbox.behaviours() };
  }

  @Get('registry/transfers')
  @ApiOperation({
    summary:
      'Transfer requests the stand-in RIRs received, newest first; ?reference= finds the one request filed under a reference. ' +
      'A read: requests are decided when their status is asked through the registry gateway',
  })
  listTransfers(@ValidQuery(sandboxTransfersQuery) query: SandboxTransfersQuery) {
    this.sandbox.assertEnabled();
    return this.transfers.list(query, query.reference);
  }

  @Get('mailbox')
  @ApiOperation({ summary: 'E-mail the system sent (kept by the sandbox instead of sent), newest first; ?to= filters by recipient' })
  mailbox(@ValidQuery(mailboxQuery) query: z.output<typeof mailboxQuery>) {
    this.sandbox.assertEnabled();
    return this.mailer.mailbox(query, query.to);
  }
}
