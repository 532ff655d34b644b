/** Why the validated ROA payloads (VRPs) could not be read. */
export abstract class RpkiError extends Error {
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

/** Network error, timeout, rate limit or 5xx: the export may be there later. */
export class RpkiUnavailableError extends RpkiError {
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

/** The answer is not a VRP export we can read (not JSON, wrong shape, too large, unexpected status). */
export class RpkiInvalidError extends RpkiError {
  readonly retryable = false;
}
