/** Row shapes of the webhook tables (read with SQL) and the views the API shows. */

export type EndpointStatus = 'enabled' | 'disabled';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface EndpointRow {
  id: string;
  org_id: string;
  url: string;
  events: string[];
  status: EndpointStatus;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: Date;
  disabled_at: Date | null;
}
/** Every column but the secret, which only the sender reads. */
export const ENDPOINT_COLUMNS = 'id, org_id, url, events, status, disabled_reason, consecutive_failures, created_at, disabled_at';

/** An endpoint as the API shows it: never its secret. */
export interface EndpointView {
  id: string;
  orgId: string;
  url: string;
  events: string[];
  status: EndpointStatus;
  disabledReason: string | null;
  disabledAt: string | null;
  consecutiveFailures: number;
  createdAt: string;
}

/** The answer to creating an endpoint: the only one that carries its secret. */
export interface CreatedEndpointView extends EndpointView {
  secret: string;
}

export function toEndpointView(r: EndpointRow): EndpointView {
  return {
    id: r.id,
    orgId: r.org_id,
    url: r.url,
    events: r.events,
    status: r.status,
    disabledReason: r.disabled_reason,
    disabledAt: r.disabled_at?.toISOString() ?? null,
    consecutiveFailures: r.consecutive_failures,
    createdAt: r.created_at.toISOString(),
  };
}

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: bigint;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number | null;
  at: Date;
}

export interface AttemptView {
  attempt: number;
  at: string;
  /** The receiver's HTTP status; null when there was no answer (refused URL, timeout, network error). */
  statusCode: number | null;
  error: string | null;
  /** Null while the request is in flight. */
  durationMs: number | null;
}

export interface DeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** Every attempt, oldest first. */
  attemptLog: AttemptView[];
}

export function toDeliveryView(d: DeliveryRow, attempts: readonly AttemptRow[]): DeliveryView {
  return {
    id: d.id,
    endpointId: d.endpoint_id,
    eventId: d.event_id.toString(),
    eventType: d.event_type,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? (d.next_attempt_at?.toISOString() ?? null) : null,
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    createdAt: d.created_at.toISOString(),
    finishedAt: d.finished_at?.toISOString() ?? null,
    attemptLog: attempts.map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), statusCode: a.status_code, error: a.error, durationMs: a.duration_ms })),
  };
}
