/**
 * Why a read from a remote service (an RIR's RDAP, a validator's VRP export) gave no usable
 * answer. `retryable`: whether asking again later may help (outages), or not (a 404, a
 * malformed answer). The RDAP and RPKI errors extend it, so that callers can tell which
 * service failed while handling retries the same way.
 */
export abstract class RemoteReadError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    /** The URL asked, for logs and evidence. */
    readonly url?: string,
    /** The HTTP status, when there was an answer at all. */
    readonly status?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
