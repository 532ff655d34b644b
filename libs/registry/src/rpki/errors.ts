import { RemoteReadError } from '../http/remote-error.js';

/** Why the validated ROA payloads (VRPs) could not be read. */
export abstract class RpkiError extends RemoteReadError {}

/** Network error, timeout, rate limit or 5xx: the export may be there later. */
export class RpkiUnavailableError extends RpkiError {
  readonly retryable = true;
}

/** The answer is not a VRP export we can read (not JSON, wrong shape, too large, unexpected status). */
export class RpkiInvalidError extends RpkiError {
  readonly retryable = false;
}
