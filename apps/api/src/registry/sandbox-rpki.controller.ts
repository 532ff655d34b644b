import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/identity';
import { SandboxRegistry, type VrpExport } from '@app/registry';
import type { FastifyReply } from 'fastify';

const VRP_EXAMPLE: VrpExport = {
  metadata: { buildtime: '2026-01-15T10:00:00.000Z', roas: 1 },
  roas: [{ asn: 'AS64500', prefix: '45.91.20.0/24', maxLength: 24, ta: 'arin', expires: 1800000000 }],
};

/**
 * The sandbox registry's published RPKI data: the validated ROA payloads of its ROAs, in
 * rpki-client's JSON layout, public as a validator's export is (API.md "Sandbox registry").
 */
@ApiTags('sandbox')
@Controller('sandbox/rpki')
@Public()
export class SandboxRpkiController {
  constructor(private readonly sandbox: SandboxRegistry) {}

  @Get('vrps.json')
  @ApiOperation({ summary: "VRPs of the stand-in RIRs' ROAs, in rpki-client's JSON layout, ordered by prefix then ASN" })
  @ApiOkResponse({ schema: { type: 'object', example: VRP_EXAMPLE } })
  async vrps(@Res({ passthrough: true }) reply: FastifyReply): Promise<VrpExport> {
    const vrps = await this.sandbox.vrps();
    void reply.header('cache-control', 'no-store').header('access-control-allow-origin', '*');
    return vrps;
  }
}
