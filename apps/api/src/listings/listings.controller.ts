import { Body, Controller, Get, HttpCode, Post, Query, Req, applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiIdParam, ApiJsonBody, IdParam, Idempotent, ZodPipe } from '@app/platform';
import { type Actor, CurrentActor, Roles } from '@app/identity';
import { ListingSearch, ListingsService } from '@app/listings';
import type { FastifyRequest } from 'fastify';
import { listingPageSchema, listingSchema } from './listing.schema.js';
import { type CreateListingBody, type SearchListingsQuery, createListingBody, searchListingsQuery } from './listings.dto.js';

/** Fastify serializes these responses with a compiled schema (and sends only its fields). */
const listingResponse = (status: 200 | 201) =>
  applyDecorators(RouteSchema({ response: { [status]: listingSchema } }), ApiResponse({ status, schema: listingSchema as object }));

const SEARCH_PARAMS = [
  { name: 'kind', description: 'lease or sale' },
  { name: 'rir', description: 'ARIN, RIPE, APNIC, LACNIC or AFRINIC' },
  { name: 'country', description: "ISO 3166 alpha-2 code from the registry's record, such as DE" },
  { name: 'minUnitPrefixLength', description: 'units of this prefix length or longer (24: /24 units only)' },
  { name: 'maxPricePerIpMinor', description: 'lease: price per IP-month; sale: ask per IP; minor units; needs currency' },
  { name: 'currency', description: 'ISO 4217 code, such as USD' },
  { name: 'minFreeUnits', description: 'at least this many units free now (a sale listing is one unit)' },
  { name: 'limit', description: '1 to 500, default 50' },
  { name: 'cursor', description: 'nextCursor of the previous page' },
] as const;

@ApiTags('listings')
@Controller('v1/listings')
export class ListingsController {
  constructor(
    private readonly listings: ListingsService,
    private readonly market: ListingSearch,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles('admin', 'trader')
  @Idempotent()
  @listingResponse(201)
  @ApiJsonBody(createListingBody)
  @ApiOperation({ summary: 'List a verified block for lease or sale (its holder, or a broker with a live mandate)' })
  create(@CurrentActor() actor: Actor, @Body(new ZodPipe(createListingBody, 'body')) body: CreateListingBody, @Req() req: FastifyRequest) {
    return this.listings.create(actor, body, req.id);
  }

  @Get()
  @RouteSchema({ response: { 200: listingPageSchema } })
  @ApiOkResponse({ schema: listingPageSchema as object })
  @ApiOperation({ summary: 'Search active listings, newest first (any organisation)' })
  @applyDecorators(...SEARCH_PARAMS.map((p) => ApiQuery({ name: p.name, required: false, description: p.description })))
  search(@Query(new ZodPipe(searchListingsQuery, 'query')) q: SearchListingsQuery) {
    return this.market.search(q.filter, q.page);
  }

  @Get(':id')
  @listingResponse(200)
  @ApiIdParam()
  @ApiOperation({ summary: 'One listing: any organisation sees an active one; its lister sees it in every status' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return this.listings.get(actor, id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @listingResponse(200)
  @Roles('admin', 'trader')
  @ApiIdParam()
  @ApiOperation({ summary: 'Take an active listing off the market for a while (its lister)' })
  pause(@CurrentActor() actor: Actor, @IdParam() id: string, @Req() req: FastifyRequest) {
    return this.listings.change(actor, id, 'pause', req.id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @listingResponse(200)
  @Roles('admin', 'trader')
  @ApiIdParam()
  @ApiOperation({ summary: 'Put a paused listing back on the market (its lister)' })
  resume(@CurrentActor() actor: Actor, @IdParam() id: string, @Req() req: FastifyRequest) {
    return this.listings.change(actor, id, 'resume', req.id);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @listingResponse(200)
  @Roles('admin', 'trader')
  @ApiIdParam()
  @ApiOperation({ summary: 'End an active or paused listing for good (its lister)' })
  withdraw(@CurrentActor() actor: Actor, @IdParam() id: string, @Req() req: FastifyRequest) {
    return this.listings.change(actor, id, 'withdraw', req.id);
  }
}
