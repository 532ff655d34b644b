import { Inject, Injectable } from '@nestjs/common';
import { type Actor, orgScope } from '@app/identity';
import { APP_CONFIG, type AppConfig, Clock, Transactions, decodeCursor, encodeCursor } from '@app/platform';
import { z } from 'zod';
import { DEADLINE_SOURCES, Params, SUBJECT_TYPES, type SourceWindow } from './deadline-sources.js';
import { type Deadline, type DeadlineKind, DEADLINE_KIND_NAMES, statusAt } from './domain/deadline.js';

/** A deadline as the source queries answer it. */
export interface DeadlineRow {
  deadline_id: string;
  kind: DeadlineKind;
  due_at: Date;
  subject_type: string;
  subject_id: string;
  org_ids: string[];
  title: string;
}

export interface DeadlineQuery {
  /** How far ahead, in ms (overdue ones are always included). */
  readonly withinMs: number;
  readonly kind?: DeadlineKind;
  readonly limit: number;
  readonly cursor?: string;
}

/** What GET /v1/deadlines shows without `within`. */
export const DEFAULT_WITHIN_MS = 90 * 86_400_000;

const cursorShape = z.tuple([z.iso.datetime().refine((v) => !v.startsWith('0000-')), z.string().min(1).max(200)]);

/**
 * The deadlines an organisation must watch (the platform: everyone's), computed from the rows
 * that own the dates: upcoming within a horizon and every overdue one, soonest first.
 */
@Injectable()
export class DeadlinesService {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Every deadline within `within` ms (default 90 days) and every overdue one, soonest first, at most `limit` (default 5000): for the calendar feed. */
  async list(actor: Actor, q: { within?: number; kind?: DeadlineKind; limit?: number }): Promise<Deadline[]> {
    return (await this.page(actor, { withinMs: q.within ?? DEFAULT_WITHIN_MS, limit: q.limit ?? 5000, ...(q.kind ? { kind: q.kind } : {}) })).data;
  }

  /** One page of the deadlines (API.md GET /v1/deadlines). */
  async page(actor: Actor, q: DeadlineQuery): Promise<{ data: Deadline[]; nextCursor: string | null; now: Date }> {
    const now = await this.clock.now();
    const after = q.cursor ? decodeCursor(q.cursor, cursorShape) : null;
    const rows = await this.query(
      { from: null, to: new Date(now.getTime() + q.withinMs), orgId: orgScope(actor), now, ...this.windows() },
      q.kind ? [q.kind] : DEADLINE_KIND_NAMES,
      { limit: q.limit + 1, after: after ? { dueAt: new Date(after[0]), id: after[1] } : null },
    );
    const more = rows.length > q.limit;
    const served = more ? rows.slice(0, q.limit) : rows;
    const last = served[served.length - 1];
    return { data: served.map((r) => toDeadline(r, now)), nextCursor: more && last ? encodeCursor([last.due_at.toISOString(), last.deadline_id]) : null, now };
  }

  windows(): Pick<SourceWindow, 'escrowFundingWindowMs' | 'escrowRegistryProgressMs'> {
    return { escrowFundingWindowMs: this.config.escrowFundingWindowMs, escrowRegistryProgressMs: this.config.escrowRegistryProgressMs };
  }

  /** The deadlines of `kinds` in the window, soonest first (then by id), after a keyset position. */
  async query(w: SourceWindow, kinds: readonly DeadlineKind[], page: { limit: number; after: { dueAt: Date; id: string } | null }): Promise<DeadlineRow[]> {
    const p = new Params();
    const parts = kinds.map((kind) => `SELECT '${kind}'::text AS kind, '${SUBJECT_TYPES[kind]}'::text AS subject_type, s.* FROM (${DEADLINE_SOURCES[kind](w, p)}) s`);
    const after = page.after ? `WHERE (d.due_at, d.deadline_id) > (${p.add(page.after.dueAt, 'timestamptz')}, ${p.add(page.after.id, 'text')})` : '';
    return this.tx.manager().query(
      `SELECT d.deadline_id, d.kind, d.due_at, d.subject_type, d.subject_id, d.org_ids, d.title FROM (${parts.join(' UNION ALL ')}) d
        ${after} ORDER BY d.due_at, d.deadline_id LIMIT ${p.add(page.limit, 'integer')}`,
      p.values,
    );
  }
}

export function toDeadline(r: DeadlineRow, now: Date): Deadline {
  return {
    id: r.deadline_id,
    kind: r.kind,
    dueAt: r.due_at,
    subject: { type: r.subject_type as Deadline['subject']['type'], id: r.subject_id },
    orgIds: r.org_ids,
    status: statusAt(r.due_at, now),
    title: r.title,
  };
}
