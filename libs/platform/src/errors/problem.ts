/**
 * The one error type that reaches HTTP clients: RFC 9457 problem details with a stable
 * machine-readable `code` (such as `CIDR.NOT_NETWORK_ADDRESS`). Domain code returns or
 * throws these with the status that fits; anything else becomes a 500 without details.
 */
export interface FieldError {
  /** JSON path of the offending field (`body.name`, `query.limit`, `header.idempotency-key`). */
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: readonly FieldError[],
    readonly extra?: Readonly<Record<string, unknown>>,
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  errors?: readonly FieldError[];
  requestId?: string;
  [extra: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** `type` URIs are documentation anchors derived from the code, stable as the code is. */
export function problemType(code: string): string {
  return `https://docs.ipv4market.example/problems/${code.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

export function toProblemBody(e: ProblemError, requestId?: string): ProblemBody {
  return {
    ...(e.extra ?? {}),
    type: problemType(e.code),
    title: e.title,
    status: e.status,
    ...(e.detail ? { detail: e.detail } : {}),
    code: e.code,
    ...(e.errors?.length ? { errors: e.errors } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

// Common problems, named once.
export const Problems = {
  notFound: (what: string, code = 'RESOURCE.NOT_FOUND') => new ProblemError(404, code, 'Not found', `${what} was not found`),
  unauthenticated: (detail = 'A valid API key or the platform admin token is required') =>
    new ProblemError(401, 'AUTH.UNAUTHENTICATED', 'Unauthenticated', detail),
  forbidden: (detail: string) => new ProblemError(403, 'AUTH.FORBIDDEN', 'Forbidden', detail),
  validation: (errors: readonly FieldError[]) =>
    new ProblemError(422, 'REQUEST.VALIDATION_FAILED', 'Validation failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors),
};
