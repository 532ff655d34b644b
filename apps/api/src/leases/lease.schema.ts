import { LEASE_STATUSES } from '@app/leases';
import { RIRS } from '@app/registry';
import { moneySchema, timeSchema, uuidSchema } from '../common/json-schemas.js';

/** JSON Schemas of the lease responses (Fastify serializes the flat ones with them; OpenAPI shows all). */
const money = moneySchema;
const uuid = uuidSchema;
const time = timeSchema;
const status = { type: 'string', enum: [...LEASE_STATUSES] } as const;

const leaseProperties = {
  id: uuid,
  status,
  prefix: { type: 'string', example: '45.91.20.0/24' },
  rir: { type: 'string', enum: [...RIRS] },
  listingId: uuid,
  blockId: uuid,
  lessorOrgId: uuid,
  holderOrgId: uuid,
  lesseeOrgId: uuid,
  lesseeAsn: { type: 'integer' },
  termMonths: { type: 'integer' },
  autoRenew: { type: 'boolean' },
  noticeDays: { type: 'integer' },
  price: {
    type: 'object',
    properties: { pricePerIpMonth: money, monthly: money },
    required: ['pricePerIpMonth', 'monthly'],
    additionalProperties: false,
  },
  startsAt: time,
  endsAt: { ...time, description: 'End of the current term' },
  noticeDeadline: { ...time, description: 'Last moment to give notice for this term (endsAt minus noticeDays)' },
  termNumber: { type: 'integer', description: '1, then +1 at each renewal' },
  notice: {
    type: 'object',
    nullable: true,
    properties: { givenAt: time, givenBy: { type: 'string', enum: ['lessee', 'lessor', 'platform'] } },
    required: ['givenAt', 'givenBy'],
  },
  endReason: { type: 'string', nullable: true, enum: ['notice', 'no_renewal', 'terminated', 'failed', null] },
  failureReason: { type: 'string', nullable: true },
  createdAt: time,
  updatedAt: time,
  endedAt: { ...time, nullable: true },
} as const;

export const leaseSchema = {
  type: 'object',
  properties: leaseProperties,
  required: Object.keys(leaseProperties),
  additionalProperties: false,
} as const;

export const leasePageSchema = {
  type: 'object',
  properties: { data: { type: 'array', items: leaseSchema }, nextCursor: { type: 'string', nullable: true } },
  required: ['data', 'nextCursor'],
} as const;

const risk = {
  type: 'object',
  properties: {
    risk: { type: 'string', example: 'routing' },
    bearer: { type: 'string', example: 'lessee' },
    exposure: money,
    mitigation: { type: 'string' },
    status: { type: 'string', enum: ['open', 'mitigated', 'monitored', 'closed'] },
  },
  required: ['risk', 'bearer', 'exposure', 'mitigation', 'status'],
} as const;

export const leaseDetailSchema = {
  type: 'object',
  properties: {
    ...leaseProperties,
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          seq: { type: 'integer' },
          event: { type: 'string', example: 'created' },
          from: { ...status, nullable: true },
          to: status,
          actor: { type: 'object', description: "{ type: 'system' | 'platform_admin' | 'api_key', orgId, role, keyId, party }" },
          at: time,
          evidence: { type: 'object', additionalProperties: true },
          risks: { type: 'array', items: risk, description: 'The placement this event left' },
        },
      },
    },
    registryChanges: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          phase: { type: 'string', enum: ['provision', 'deprovision'] },
          change: { type: 'string', enum: ['roa', 'route', 'assignment'] },
          status: { type: 'string', enum: ['pending', 'applied', 'failed'] },
          attempts: { type: 'integer' },
          lastError: { type: 'string', nullable: true },
          appliedAt: { ...time, nullable: true },
        },
      },
    },
    risks: { type: 'array', items: risk, description: 'The placement now' },
    riskMatrixVersion: { type: 'string', example: 'lease-risks/1' },
  },
} as const;
