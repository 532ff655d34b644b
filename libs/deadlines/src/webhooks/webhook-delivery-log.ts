import { Injectable } from '@nestjs/common';
import type { Actor } from '@app/identity';
import { type Page, type PageQuery, Transactions, decodeCursor, timeIdCursor, toPage } from '@app/platform';
import { WebhookEndpoints } from './webhook-endpoints.service.js';
import { type AttemptRow, type DeliveryRow, type DeliveryView, toDeliveryView } from './webhook-rows.js';

/** An endpoint's deliveries, newest first, each with every attempt and its answer. */
@Injectable()
export class WebhookDeliveryLog {
  constructor(
    private readonly tx: Transactions,
    private readonly endpoints: WebhookEndpoints,
  ) {}

  async list(actor: Actor, endpointId: string, page: PageQuery): Promise<Page<DeliveryView>> {
    const em = this.tx.manager();
    await this.endpoints.visible(em, actor, endpointId);
    const after = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const rows: DeliveryRow[] = await em.query(
      `SELECT d.id, d.endpoint_id, d.event_id, ev.type AS event_type, d.status, d.attempts, d.next_attempt_at,
              d.last_status_code, d.last_error, d.created_at, d.finished_at
         FROM webhook_deliveries d JOIN domain_events ev ON ev.id = d.event_id
        WHERE d.endpoint_id = $1 AND ($2::timestamptz IS NULL OR (d.created_at, d.id) < ($2::timestamptz, $3::uuid))
        ORDER BY d.created_at DESC, d.id DESC LIMIT $4`,
      [endpointId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    const served = rows.slice(0, page.limit);
    const attempts: AttemptRow[] = served.length
      ? await em.query(
          `SELECT delivery_id, attempt, status_code, error, duration_ms, at FROM webhook_delivery_attempts
            WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, attempt`,
          [served.map((r) => r.id)],
        )
      : [];
    const byDelivery = new Map<string, AttemptRow[]>();
    for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
    return toPage(rows, page.limit, (r) => [r.created_at.toISOString(), r.id], (r) => toDeliveryView(r, byDelivery.get(r.id) ?? []));
  }
}
