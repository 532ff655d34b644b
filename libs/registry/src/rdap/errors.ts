import { RemoteReadError } from '../http/remote-error.js';

/** Why an RDAP lookup gave no usable answer. */
export abstract class RdapError extends RemoteReadError {}

/** The registry has no such object (HTTP 404): a fact, not worth retrying. */
export class RdapNotFoundError extends RdapError {
  readonly retryable = false;
}

/** Network error, timeout, rate limit or 5xx: the registry may answer later. */
export class RdapUnavailableError extends RdapError {
  readonly retryable = true;
}

/** The answer is not RDAP we can trust (not JSON, wrong shape, unexpected status). */
export class RdapInvalidError extends RdapError {
  readonly retryable = false;
}
