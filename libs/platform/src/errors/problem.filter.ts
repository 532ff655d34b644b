import { ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, ProblemError, toProblemBody } from './problem.js';

/**
 * Turns every error into application/problem+json. Known framework errors (unknown route,
 * malformed JSON, oversized body, wrong content type) get their own stable codes; an
 * unexpected error is logged with the request id and answered 500 without internals.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = toProblem(error);
    if (problem.status >= 500) {
      this.log.error({ msg: 'unhandled error', reqId: req.id, err: describe(error) });
    }
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(toProblemBody(problem, req.id));
  }
}

export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  // Nest wraps Fastify's own errors in an HttpException whose cause is the original.
  const e = error as { code?: string; cause?: { code?: string } } | undefined;
  const fastifyCode = e?.code ?? e?.cause?.code;
  switch (fastifyCode) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProblemError(400, 'REQUEST.MALFORMED_JSON', 'Malformed JSON', 'The request body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProblemError(413, 'REQUEST.BODY_TOO_LARGE', 'Request body too large', 'The request body is larger than 1 MB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ProblemError(415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Send the body as application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ProblemError(400, 'REQUEST.INVALID_CONTENT_LENGTH', 'Invalid Content-Length', 'Content-Length does not match the body');
  }
  if (error instanceof SyntaxError && /JSON/i.test(error.message)) {
    return new ProblemError(400, 'REQUEST.MALFORMED_JSON', 'Malformed JSON', 'The request body is not valid JSON');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) return new ProblemError(404, 'ROUTE.NOT_FOUND', 'Not found', 'No such route');
    if (status === 405) return new ProblemError(405, 'ROUTE.METHOD_NOT_ALLOWED', 'Method not allowed');
    if (status < 500) return new ProblemError(status, `HTTP.${status}`, error.message);
  }
  const status = (error as { statusCode?: number })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ProblemError(status, `HTTP.${status}`, 'Bad request', (error as Error).message);
  }
  return new ProblemError(500, 'INTERNAL', 'Internal server error', 'The error was logged; quote the requestId when you report it');
}

function describe(error: unknown): unknown {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : error;
}
