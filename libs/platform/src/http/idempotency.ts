import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  applyDecorators,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { Transactions } from '../database/transactions.js';
import { ProblemError, Problems } from '../errors/problem.js';
import { canonicalJson, sha256Hex } from '../util/canonical-json.js';

const IDEMPOTENT = Symbol('IDEMPOTENT');
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentOptions {
  /** Refuse the request without a key (money and stage moves); otherwise a key is optional. */
  readonly required?: boolean;
}

/** Marks a POST as idempotent under the `Idempotency-Key` header. */
export const Idempotent = (o: IdempotentOptions = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT, o),
    ApiHeader({
      name: 'Idempotency-Key',
      required: o.required ?? false,
      description: 'Replays with the same key and body answer the first response; the same key with another body answers 422.',
    }),
  );

/** Whoever sends the key: keys of different callers never collide. */
export interface IdempotencyScoped {
  readonly idempotencyScope: string;
}

/** What identifies "the same request": method, path with query, and the body in canonical form. */
export function requestHash(method: string, url: string, body: unknown): string {
  return sha256Hex(canonicalJson([method.toUpperCase(), url, body ?? null]));
}

/** A body too deeply nested to hash is no request any endpoint accepts: 422, never a 500. */
function hashOrRefuse(method: string, url: string, body: unknown): string {
  try {
    return requestHash(method, url, body);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw Problems.validation([{ field: 'body', code: 'VALIDATION.TOO_DEEP', message: 'is nested too deeply' }]);
  }
}

interface StoredRow {
  request_hash: string;
  response_status: number;
  response_body: unknown;
}

/**
 * Runs an @Idempotent handler inside one transaction that first claims (scope, key) in
 * idempotency_keys. A concurrent duplicate blocks on the claim until the first commits,
 * then reads its stored response; if the first fails, its claim rolls back with its
 * effects and the duplicate runs instead. So the effect happens once, and its response is
 * stored atomically with it. Failed requests are not stored: a retry runs again.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly transactions: Transactions,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<IdempotentOptions | undefined>(IDEMPOTENT, ctx.getHandler());
    if (!options) return next.handle();
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { actor?: IdempotencyScoped }>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const raw = req.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key === undefined) {
      if (options.required) {
        throw new ProblemError(400, 'IDEMPOTENCY.KEY_REQUIRED', 'Idempotency-Key required', 'This request moves money or a stage: send an Idempotency-Key header');
      }
      return next.handle();
    }
    if (!KEY_PATTERN.test(key)) {
      throw new ProblemError(400, 'IDEMPOTENCY.KEY_INVALID', 'Invalid Idempotency-Key', 'The key must be 1 to 255 printable ASCII characters', [
        { field: 'header.idempotency-key', code: 'IDEMPOTENCY.KEY_INVALID', message: 'must be 1 to 255 printable ASCII characters' },
      ]);
    }
    const scope = req.actor?.idempotencyScope ?? 'anonymous';
    const hash = hashOrRefuse(req.method, req.url, req.body);
    return from(
      this.transactions.tx(async (em) => {
        const claimed: unknown[] = await em.query(
          `INSERT INTO idempotency_keys (scope, key, request_hash, response_status) VALUES ($1, $2, $3, 0)
           ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
          [scope, key, hash],
        );
        if (claimed.length === 0) {
          const [first]: StoredRow[] = await em.query(
            'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2',
            [scope, key],
          );
          if (!first || first.request_hash !== hash) {
            throw new ProblemError(422, 'IDEMPOTENCY.KEY_REUSED', 'Idempotency-Key reused', 'This Idempotency-Key was used with another request; use a new key for a new request');
          }
          void reply.header('idempotent-replayed', 'true');
          return first.response_body;
        }
        const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
        await em.query('UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2', [
          scope,
          key,
          this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ?? (req.method === 'POST' ? 201 : 200),
          result === undefined ? null : JSON.stringify(result),
        ]);
        return result;
      }),
    );
  }
}
