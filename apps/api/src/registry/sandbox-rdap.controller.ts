import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Prefix, parseAddress, parsePrefix } from '@app/ipam';
import { Public } from '@app/identity';
import { HANDLE_PATTERN, RDAP_CONTENT_TYPE, SandboxRegistry, renderEntity, renderError, renderNetwork } from '@app/registry';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The sandbox registry's public RDAP service (RFC 9082 queries, RFC 9083 answers), what an
 * RIR serves at rdap.<rir>/: no credentials, application/rdap+json, RDAP error objects.
 */
@ApiTags('sandbox')
@Controller('sandbox/rdap')
@Public()
export class SandboxRdapController {
  constructor(private readonly sandbox: SandboxRegistry) {}

  @Get('ip/:address')
  @ApiParam({ name: 'address', example: '45.91.20.7' })
  @ApiOperation({ summary: 'RDAP: the most specific network covering an IPv4 address' })
  ip(@Param('address') address: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.network(address, req, reply);
  }

  @Get('ip/:address/:length')
  @ApiParam({ name: 'address', example: '45.91.20.0' })
  @ApiParam({ name: 'length', example: '22' })
  @ApiOperation({ summary: 'RDAP: the most specific network covering a whole IPv4 prefix' })
  prefix(@Param('address') address: string, @Param('length') length: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.network(`${address}/${length}`, req, reply);
  }

  @Get('entity/:handle')
  @ApiOperation({ summary: 'RDAP: an account (org handle) of a stand-in RIR' })
  async entity(@Param('handle') handle: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    this.sandbox.assertEnabled();
    if (!HANDLE_PATTERN.test(handle)) return answer(reply, 400, renderError(400, 'Bad Request', `${JSON.stringify(handle.slice(0, 80))} is not an entity handle`));
    const found = await this.sandbox.lookupEntity(handle);
    if (found.kind === 'down') return answer(reply, 503, renderError(503, 'Service Unavailable', `The ${found.rir} RDAP service is down (scripted outage)`));
    if (found.kind === 'not_found') return answer(reply, 404, renderError(404, 'Not Found', `No entity ${handle}`));
    return answer(reply, 200, renderEntity(found.value, baseUrl(req)));
  }

  private async network(text: string, req: FastifyRequest, reply: FastifyReply) {
    this.sandbox.assertEnabled();
    const query = parseQuery(text);
    if (typeof query === 'string') return answer(reply, 400, renderError(400, 'Bad Request', query));
    const found = await this.sandbox.lookupNetwork(query);
    if (found.kind === 'down') return answer(reply, 503, renderError(503, 'Service Unavailable', `The ${found.rir} RDAP service is down (scripted outage)`));
    if (found.kind === 'not_found') return answer(reply, 404, renderError(404, 'Not Found', `No network covers ${text}`));
    return answer(reply, 200, renderNetwork(found.value.network, found.value.parent, baseUrl(req)));
  }
}

/** An address ('a.b.c.d', a /32) or a prefix ('a.b.c.d/n'), or why it is neither. */
function parseQuery(text: string): Prefix | string {
  if (text.includes('/')) {
    const p = parsePrefix(text);
    return p.ok ? p.value : p.error.message;
  }
  const a = parseAddress(text);
  return a.ok ? { first: a.value, length: 32 } : a.error.message;
}

function answer(reply: FastifyReply, status: number, body: Record<string, unknown>): Record<string, unknown> {
  // RFC 7480 §5.6: RDAP answers may be read by browser-based clients from any origin.
  void reply.status(status).header('content-type', RDAP_CONTENT_TYPE).header('access-control-allow-origin', '*');
  return body;
}

/** This service's base URL as the client reached it, for `links` (ends with '/'). */
function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}/sandbox/rdap/`;
}
