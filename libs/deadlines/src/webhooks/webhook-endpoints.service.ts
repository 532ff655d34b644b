import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Actor, AuditLog, canSeeOrg, orgScope } from '@app/identity';
import { type Page, type PageQuery, Problems, Transactions, decodeCursor, timeIdCursor, toPage } from '@app/platform';
import { ENDPOINT_COLUMNS, type CreatedEndpointView, type EndpointRow, type EndpointView, toEndpointView } from './webhook-rows.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';

export interface NewEndpoint {
  readonly url: string;
  /** Valid patterns (the API checks them), each once. */
  readonly events: readonly string[];
}

export const endpointNotFound = () => Problems.notFound('The webhook endpoint', 'WEBHOOK.ENDPOINT_NOT_FOUND');

/** 'whsec_' and 32 random bytes: what the receiver keys its HMAC with. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * An organisation's webhook endpoints. The secret is answered once, at creation; deleted
 * endpoints keep their rows (and delivery history) but are gone for the API and get nothing.
 */
@Injectable()
export class WebhookEndpoints {
  constructor(
    private readonly tx: Transactions,
    private readonly audit: AuditLog,
    private readonly guard: WebhookUrlGuard,
  ) {}

  async create(actor: Actor, input: NewEndpoint, requestId?: string): Promise<CreatedEndpointView> {
    // Resolved before the transaction: DNS may take a while, and holds no row.
    await this.guard.assertAllowed(input.url);
    const secret = generateWebhookSecret();
    return this.tx.tx(async (em) => {
      const [row]: EndpointRow[] = await em.query(
        `INSERT INTO webhook_endpoints (org_id, url, events, secret) VALUES ($1, $2, $3, $4) RETURNING ${ENDPOINT_COLUMNS}`,
        [actor.orgId, input.url, [...new Set(input.events)], secret],
      );
      await this.audit.record(actor, {
        action: 'webhook_endpoint.created',
        orgId: actor.orgId,
        subject: { type: 'webhook_endpoint', id: row!.id },
        details: { url: row!.url, events: row!.events },
        requestId,
      });
      return { ...toEndpointView(row!), secret };
    });
  }

  /** The caller organisation's endpoints (the platform: every organisation's), newest first. */
  async list(actor: Actor, page: PageQuery): Promise<Page<EndpointView>> {
    const after = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const rows: EndpointRow[] = await this.tx.manager().query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
        WHERE deleted_at IS NULL AND ($1::uuid IS NULL OR org_id = $1)
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [orgScope(actor), after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, (r) => [r.created_at.toISOString(), r.id], toEndpointView);
  }

  async get(actor: Actor, id: string): Promise<EndpointView> {
    return toEndpointView(await this.visible(this.tx.manager(), actor, id));
  }

  /** 404 unless the endpoint exists, is not deleted and the actor's organisation owns it (or the actor is the platform). */
  async visible(em: EntityManager, actor: Actor, id: string, lock = false): Promise<EndpointRow> {
    const [row]: EndpointRow[] = await em.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    if (!row || !canSeeOrg(actor, row.org_id)) throw endpointNotFound();
    return row;
  }

  /** Deletes the endpoint: no new deliveries, and its pending ones stop. */
  async remove(actor: Actor, id: string, requestId?: string): Promise<void> {
    await this.tx.tx(async (em) => {
      const row = await this.visible(em, actor, id, true);
      await em.query(`UPDATE webhook_endpoints SET deleted_at = now() WHERE id = $1`, [id]);
      await stopPendingDeliveries(em, id, 'the endpoint was deleted');
      await this.audit.record(actor, {
        action: 'webhook_endpoint.deleted',
        orgId: row.org_id,
        subject: { type: 'webhook_endpoint', id },
        details: { url: row.url },
        requestId,
      });
    });
  }
}

/** Ends an endpoint's pending deliveries as failed (the caller holds the endpoint's row lock). */
export async function stopPendingDeliveries(em: EntityManager, endpointId: string, reason: string): Promise<void> {
  await em.query(
    `UPDATE webhook_deliveries SET status = 'failed', finished_at = now(), next_attempt_at = NULL, last_error = $2
      WHERE endpoint_id = $1 AND status = 'pending'`,
    [endpointId, reason],
  );
}
