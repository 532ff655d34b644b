import { LISTING_KINDS, LISTING_STATUSES } from '@app/listings';
import { RIRS } from '@app/registry';
import { moneySchema, timeSchema, uuidSchema } from '../common/json-schemas.js';

/**
 * JSON Schemas of the listing responses. Fastify compiles them into serializers
 * (@RouteSchema: several times faster than JSON.stringify on a page of 500 listings, and
 * a whitelist: a field not named here is never sent); OpenAPI shows them (3.0, hence
 * `nullable` rather than type arrays).
 */
const money = moneySchema;
const uuid = uuidSchema;
const time = timeSchema;

export const listingSchema = {
  type: 'object',
  properties: {
    id: uuid,
    status: { type: 'string', enum: [...LISTING_STATUSES] },
    kind: { type: 'string', enum: [...LISTING_KINDS] },
    blockId: uuid,
    prefix: { type: 'string', example: '45.91.20.0/22' },
    rir: { type: 'string', enum: [...RIRS] },
    country: { type: 'string', nullable: true, description: "ISO 3166 alpha-2, from the registry's record" },
    listerOrgId: uuid,
    holderOrgId: uuid,
    listedAs: { type: 'string', enum: ['holder', 'broker'] },
    mandate: {
      type: 'object',
      nullable: true,
      description: "The broker's mandate the listing stands on (null when the holder lists)",
      properties: { id: uuid, expiresAt: time },
      required: ['id', 'expiresAt'],
    },
    lease: {
      type: 'object',
      description: 'Only on lease listings',
      properties: { pricePerIpMonth: money, unitPrefixLength: { type: 'integer' }, minTermMonths: { type: 'integer' } },
      required: ['pricePerIpMonth', 'unitPrefixLength', 'minTermMonths'],
    },
    sale: { type: 'object', description: 'Only on sale listings', properties: { askPerIp: money }, required: ['askPerIp'] },
    unitPrefixLength: { type: 'integer', description: 'The unit a lessee takes; a sale is one unit, the whole block' },
    unitsTotal: { type: 'integer' },
    unitsFree: { type: 'integer', description: 'Units not committed to anyone now' },
    createdAt: time,
    updatedAt: time,
    endedAt: { type: 'string', format: 'date-time', nullable: true },
    endReason: { type: 'string', nullable: true },
  },
  required: [
    'id', 'status', 'kind', 'blockId', 'prefix', 'rir', 'country', 'listerOrgId', 'holderOrgId', 'listedAs', 'mandate',
    'unitPrefixLength', 'unitsTotal', 'unitsFree', 'createdAt', 'updatedAt', 'endedAt', 'endReason',
  ],
} as const;

export const listingPageSchema = {
  type: 'object',
  properties: {
    data: { type: 'array', items: listingSchema },
    nextCursor: { type: 'string', nullable: true, description: 'Pass back as ?cursor= for the next page; null on the last' },
  },
  required: ['data', 'nextCursor'],
} as const;
