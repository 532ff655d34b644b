import { expect } from '@jest/globals';
import type { Response } from 'supertest';
import type { TestApp } from './app.js';
import { bearer } from './identity-fixtures.js';

export interface MoneyJson {
  amountMinor: unknown;
  currency: unknown;
}

/** A valid POST /v1/listings body for a lease, with overrides. */
export function aLeaseBody(
  blockId: string,
  lease: { pricePerIpMonth?: unknown; unitPrefixLength?: unknown; minTermMonths?: unknown } = {},
): Record<string, unknown> {
  return {
    blockId,
    kind: 'lease',
    lease: { pricePerIpMonth: { amountMinor: 55, currency: 'USD' }, unitPrefixLength: 24, minTermMonths: 12, ...lease },
  };
}

/** A valid POST /v1/listings body for a sale, with overrides. */
export function aSaleBody(blockId: string, askPerIp: unknown = { amountMinor: 4200, currency: 'USD' }): Record<string, unknown> {
  return { blockId, kind: 'sale', sale: { askPerIp } };
}

/** Creates a listing through the API and returns the 201 body. */
export async function aListing(t: TestApp, token: string, body: Record<string, unknown>): Promise<Record<string, unknown> & { id: string }> {
  const res = await t.http.post('/v1/listings').set(bearer(token)).send(body);
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 201 });
  return res.body;
}

/** Every page of a search (limit per page), in order; fails on a page loop. */
export async function searchAll(t: TestApp, token: string, query: Record<string, string>, limit = 500): Promise<{ id: string }[]> {
  const rows: { id: string }[] = [];
  let cursor: string | null = null;
  for (let pages = 0; ; pages++) {
    if (pages > 10_000) throw new Error('searchAll: too many pages');
    const res: Response = await t.http
      .get('/v1/listings')
      .query({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) })
      .set(bearer(token));
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200 });
    rows.push(...res.body.data);
    cursor = res.body.nextCursor;
    if (!cursor) return rows;
  }
}
