/** Why an RDAP lookup gave no usable answer. */
export abstract class RdapError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    /** The URL asked, for logs and evidence. */
    readonly url?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The registry has no such object (HTTP 404): a fact, not worth retrying. */
export class RdapNotFoundError extends RdapError {
  readonly retryable = false;
}

/** Network error, timeout, rate limit or 5xx: the registry may answer later. */
export class RdapUnavailableError extends RdapError {
  readonly retryable = true;
  constructor(
    message: string,
    url?: string,
    /** The HTTP status, when there was an answer at all. */
    readonly status?: number,
  ) {
    super(message, url);
  }
}

/** The answer is not RDAP we can trust (not JSON, wrong shape, unexpected status). */
export class RdapInvalidError extends RdapError {
  readonly retryable = false;
}
