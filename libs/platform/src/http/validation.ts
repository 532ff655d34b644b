import { Body, Param, type PipeTransform, Query, applyDecorators } from '@nestjs/common';
import { ApiBody, ApiParam } from '@nestjs/swagger';
import { z } from 'zod';
import { type FieldError, Problems } from '../errors/problem.js';

/** Validates one part of the request against a zod schema; failures list every offending field. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly location: 'body' | 'query' | 'params',
  ) {}

  transform(value: unknown): z.output<S> {
    const parsed = this.schema.safeParse(value ?? (this.location === 'body' ? undefined : {}));
    if (parsed.success) return parsed.data;
    throw Problems.validation(fieldErrors(parsed.error, this.location));
  }
}

/**
 * A custom issue that carries its own stable code (MONEY.NOT_POSITIVE, ASN.PRIVATE...) in
 * params.code: it is reported under that code instead of VALIDATION.CUSTOM.
 */
export function coded(ctx: z.RefinementCtx, code: string, message: string, path: PropertyKey[] = []): void {
  ctx.addIssue({ code: 'custom', message, path, params: { code } });
}

export function fieldErrors(error: z.ZodError, location: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const at = [location, ...issue.path.map(String)];
    const own = issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    if (typeof own === 'string') return [{ field: at.join('.'), code: own, message: issue.message }];
    // One entry per unknown field, named like any other offending field.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...at, key].join('.'), code: 'VALIDATION.UNKNOWN_FIELD', message: 'is not a known field' }));
    }
    return [{ field: at.join('.'), code: `VALIDATION.${issue.code.toUpperCase()}`, message: issue.message }];
  });
}

export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** `@ValidBody(schema)`: the body, parsed; also documents it in OpenAPI (use with @ApiJsonBody). */
export const ValidBody = <S extends z.ZodType>(schema: S) => Body(new ZodPipe(schema, 'body'));
export const ValidQuery = <S extends z.ZodType>(schema: S) => Query(new ZodPipe(schema, 'query'));
export const ApiJsonBody = (schema: z.ZodType) => applyDecorators(ApiBody({ schema: jsonSchema(schema) }));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that is not a UUID cannot name anything: 404, like any other unknown id. */
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) throw Problems.notFound('The resource');
    return value.toLowerCase();
  }
}
export const IdParam = (name = 'id') => Param(name, new UuidPipe());
export const ApiIdParam = (name = 'id') => ApiParam({ name, format: 'uuid' });
