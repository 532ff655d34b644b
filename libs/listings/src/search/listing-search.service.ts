import { Injectable } from '@nestjs/common';
import { Clock, type Page, decodeCursor, encodeCursor, timeIdCursor } from '@app/platform';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { ListingView } from '../listing-row.js';
import { type ListingFilter, searchQuery } from './search-query.js';
import { SEARCH_TYPES, type SearchRow, pgTimestampToIso, toSearchView } from './search-row.js';

// Year 0000 passes the ISO check but PostgreSQL refuses it (a 500 for a crafted cursor).

export interface SearchPage {
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * Search of the market: active listings under a live authority, newest first. The hot
 * path of the API: it reads through the data source's pg pool itself (one round trip, no
 * query runner) with parsers that keep timestamps as text (see search-row.ts).
 */
@Injectable()
export class ListingSearch {
  private pool?: Pool;

  constructor(
    private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  async search(filter: ListingFilter, page: SearchPage): Promise<Page<ListingView>> {
    const after = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const q = searchQuery(filter, await this.clock.now(), after && { createdAt: after[0], id: after[1] }, page.limit);
    const { rows } = await this.pg().query<SearchRow>({ name: q.name, text: q.text, values: q.values, types: SEARCH_TYPES });
    const more = rows.length > page.limit;
    const served = more ? rows.slice(0, page.limit) : rows;
    const last = served[served.length - 1];
    return { data: served.map(toSearchView), nextCursor: more && last ? encodeCursor([pgTimestampToIso(last.created_at), last.id]) : null };
  }

  /** TypeORM's PostgreSQL driver keeps its pg.Pool as `master`. */
  private pg(): Pool {
    this.pool ??= (this.db.driver as unknown as { master: Pool }).master;
    return this.pool;
  }
}
