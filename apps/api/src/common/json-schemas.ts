/**
 * JSON Schema pieces shared by the response schemas (Fastify compiles them into serializers;
 * OpenAPI 3.0 shows them, hence `nullable` rather than type arrays).
 */
export const moneySchema = {
  type: 'object',
  properties: { amountMinor: { type: 'integer' }, currency: { type: 'string' } },
  required: ['amountMinor', 'currency'],
  additionalProperties: false,
} as const;

export const uuidSchema = { type: 'string', format: 'uuid' } as const;
export const timeSchema = { type: 'string', format: 'date-time' } as const;
