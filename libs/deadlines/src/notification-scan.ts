import { Inject, Injectable, Logger } from '@nestjs/common';
import { LeaseHistory } from '@app/leases';
import { APP_CONFIG, type AppConfig, Clock, DomainEvents, Transactions } from '@app/platform';
import { Mailer } from '@app/registry';
import { DEADLINE_SOURCES, INCREMENTAL_KINDS, Params, SUBJECT_TYPES, type SourceWindow } from './deadline-sources.js';
import { DeadlinesService } from './deadlines.service.js';
import { DEADLINE_KIND_NAMES, type DeadlineKind, THRESHOLDS, type ThresholdName, band } from './domain/deadline.js';
import { notificationMail } from './domain/notification-mail.js';

/** Notifications inserted per statement; the scan loops until a statement inserts fewer. */
const BATCH = 500;

export interface NotificationRow {
  id: string;
  deadline_id: string;
  kind: DeadlineKind;
  threshold: ThresholdName;
  due_at: Date;
  subject_type: string;
  subject_id: string;
  org_ids: string[];
  title: string;
  notified_at: Date;
  emails: number;
}

export const NOTIFICATION_COLUMNS = 'id, deadline_id, kind, threshold, due_at, subject_type, subject_id, org_ids, title, notified_at, emails';

export type ScanOutcome = Record<ThresholdName, number>;

/**
 * How a kind is scanned: `full` reads each threshold's whole band (after a keyset position,
 * batch by batch); `incremental` reads only the deadlines that crossed the threshold since
 * `since` (an index range on their date one scan interval wide) and those whose row changed
 * since (born inside the band: a new lease, a renewal, a lapse).
 */
export type ScanMode =
  | { readonly kind: 'full'; readonly after?: { readonly dueAt: Date; readonly id: string } | null }
  | { readonly kind: 'incremental'; readonly since: Date };

/**
 * The statement that records the notifications of one kind and threshold at `now`: the
 * deadlines in the threshold's band (as `mode` reads them) without a notification for it
 * yet, at most `limit`, inserted ON CONFLICT DO NOTHING, the new rows returned.
 * Exported for bench/deadlines, which times this very SQL.
 */
export function notificationInsert(
  kind: DeadlineKind,
  threshold: ThresholdName,
  now: Date,
  windows: Pick<SourceWindow, 'escrowFundingWindowMs' | 'escrowRegistryProgressMs'>,
  limit: number,
  mode: ScanMode = { kind: 'full' },
): { sql: string; params: unknown[] } {
  const { from, to } = band(threshold, now);
  const p = new Params();
  const base = { orgId: null, now, ...windows };
  let source: string;
  if (mode.kind === 'full') {
    source = DEADLINE_SOURCES[kind]({ from, to, ...base }, p);
    if (mode.after) {
      // due_at >= alone lets the range start on the date index; the row comparison breaks ties.
      const at = p.add(mode.after.dueAt, 'timestamptz');
      source = `SELECT * FROM (${source}) s WHERE s.due_at >= ${at} AND (s.due_at, s.deadline_id) > (${at}, ${p.add(mode.after.id, 'text')})`;
    }
  } else {
    const edge = new Date(mode.since.getTime() + THRESHOLDS.find((t) => t.name === threshold)!.beforeMs);
    const parts: string[] = [];
    // Crossed since: due dates in (since + threshold, now + threshold], inside the band.
    if (edge.getTime() < to.getTime()) parts.push(DEADLINE_SOURCES[kind]({ ...base, from: from === null || edge > from ? edge : from, to }, p));
    // Born (or moved) since, anywhere in the band.
    parts.push(DEADLINE_SOURCES[kind]({ ...base, from, to, changedSince: mode.since }, p));
    source = parts.join('\n    UNION\n');
  }
  const t = p.add(threshold, 'text');
  const sql = `WITH d AS (${source}),
            fresh AS (SELECT d.* FROM d WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.deadline_id = d.deadline_id AND n.threshold = ${t})
                       ORDER BY d.due_at, d.deadline_id LIMIT ${p.add(limit, 'integer')})
       INSERT INTO notifications (deadline_id, kind, threshold, due_at, subject_type, subject_id, org_ids, title, notified_at)
       SELECT deadline_id, ${p.add(kind, 'text')}, ${t}, due_at, ${p.add(SUBJECT_TYPES[kind], 'text')}, subject_id, org_ids, title, ${p.add(now, 'timestamptz')} FROM fresh
       ON CONFLICT (deadline_id, threshold) DO NOTHING
       RETURNING ${NOTIFICATION_COLUMNS}`;
  return { sql, params: p.values };
}

/** An incremental scan looks this far behind its mark (clock time): changes committed late by slow transactions. */
export const SCAN_OVERLAP_MS = 5 * 60_000;

/**
 * The scheduled deadline scan (job deadlines.scan): for every threshold (30 days, 7 days,
 * 1 day, overdue) and kind, the deadlines whose tightest crossed threshold it is, by the
 * (sandbox) clock, get one notification each, with its e-mail to the organisations' ops
 * contacts and its webhook event, in one transaction.
 *
 * Exactly once, with any number of workers: the notifications' unique (deadline, threshold)
 * index decides, and INSERT ... ON CONFLICT DO NOTHING RETURNING hands each new row to the
 * one transaction that inserted it; a concurrent scan waits on the index entry and skips it.
 * A deadline first seen inside a band (made 3 days before its date) is notified for that
 * band only; the wider ones are past.
 */
@Injectable()
export class NotificationScan {
  private readonly log = new Logger('deadlines');

  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly deadlines: DeadlinesService,
    private readonly mailer: Mailer,
    private readonly events: DomainEvents,
    private readonly leases: LeaseHistory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(): Promise<ScanOutcome> {
    const out: ScanOutcome = { P30D: 0, P7D: 0, P1D: 0, overdue: 0 };
    const now = await this.clock.now();
    for (const kind of DEADLINE_KIND_NAMES) {
      const mode = await this.modeFor(kind, now);
      for (const { name } of THRESHOLDS) {
        let after: { dueAt: Date; id: string } | null = null;
        for (;;) {
          const step: ScanMode = mode.kind === 'full' ? { kind: 'full', after } : mode;
          const rows: NotificationRow[] = await this.tx.tx(async () => this.notifyBatch(kind, name, now, step));
          out[name] += rows.length;
          if (rows.length < BATCH) break;
          const last = rows.reduce((a: NotificationRow, b: NotificationRow) => (a.due_at.getTime() > b.due_at.getTime() || (a.due_at.getTime() === b.due_at.getTime() && a.deadline_id > b.deadline_id) ? a : b));
          after = { dueAt: last.due_at, id: last.deadline_id };
        }
      }
      if (INCREMENTAL_KINDS.has(kind)) await this.mark(kind, now, mode.kind === 'full');
    }
    if (out.P30D + out.P7D + out.P1D + out.overdue > 0) this.log.log({ msg: 'deadline notifications', at: now.toISOString(), ...out });
    return out;
  }

  /**
   * Incremental from the kind's mark, less SCAN_OVERLAP_MS; a full sweep when there is no
   * mark yet or the last sweep is older than DEADLINES_FULL_SWEEP_INTERVAL_MS (the safety
   * net: whatever an incremental scan could have missed is found within that interval).
   */
  private async modeFor(kind: DeadlineKind, now: Date): Promise<ScanMode> {
    if (!INCREMENTAL_KINDS.has(kind)) return { kind: 'full' };
    const [mark]: { scanned_to: Date; fresh: boolean }[] = await this.tx
      .manager()
      .query(`SELECT scanned_to, swept_at > now() - make_interval(secs => $2::double precision / 1000) AS fresh FROM deadline_scan_marks WHERE kind = $1`, [
        kind,
        this.config.deadlinesFullSweepIntervalMs,
      ]);
    if (!mark?.fresh) return { kind: 'full' };
    return { kind: 'incremental', since: new Date(Math.min(mark.scanned_to.getTime(), now.getTime()) - SCAN_OVERLAP_MS) };
  }

  private async mark(kind: DeadlineKind, now: Date, swept: boolean): Promise<void> {
    await this.tx.manager().query(
      `INSERT INTO deadline_scan_marks (kind, scanned_to, swept_at) VALUES ($1, $2, now())
       ON CONFLICT (kind) DO UPDATE SET scanned_to = greatest(deadline_scan_marks.scanned_to, EXCLUDED.scanned_to),
                                         swept_at = CASE WHEN $3 THEN now() ELSE deadline_scan_marks.swept_at END`,
      [kind, now, swept],
    );
  }

  /** Inserts the notifications of one kind and threshold not made yet (at most BATCH), then sends them. */
  private async notifyBatch(kind: DeadlineKind, threshold: ThresholdName, now: Date, mode: ScanMode): Promise<NotificationRow[]> {
    const { sql, params } = notificationInsert(kind, threshold, now, this.deadlines.windows(), BATCH, mode);
    // An INSERT ... RETURNING answers its rows (only UPDATE and DELETE answer [rows, count]).
    const rows: NotificationRow[] = await this.tx.manager().query(sql, params);
    if (rows.length === 0) return rows;
    if (kind.startsWith('rir.')) for (const r of rows) await this.standingMoved(r);
    await this.send(rows);
    return rows;
  }

  /**
   * A block's RIR fees lapse (or services stop, or revocation nears): the lessees of its live
   * leases carry the continuity risk, so each lease records an event with the placement that
   * follows, and the lessees are among those notified.
   */
  private async standingMoved(r: NotificationRow): Promise<void> {
    const noted = await this.leases.noteBlockStanding(r.subject_id, 'rir_standing_changed', {
      deadline: r.deadline_id,
      kind: r.kind,
      threshold: r.threshold,
      dueAt: r.due_at.toISOString(),
    });
    const lessees = noted.map((n) => n.lesseeOrgId).filter((id) => !r.org_ids.includes(id));
    if (lessees.length > 0) {
      r.org_ids = [...r.org_ids, ...new Set(lessees)];
      await this.tx.manager().query('UPDATE notifications SET org_ids = $2 WHERE id = $1', [r.id, r.org_ids]);
    }
  }

  /** E-mail to each organisation's ops contacts and the webhook event, in the notification's transaction. */
  private async send(rows: NotificationRow[]): Promise<void> {
    const orgs = [...new Set(rows.flatMap((r) => r.org_ids))];
    const settings: { org_id: string; ops_emails: string[] }[] = await this.tx
      .manager()
      .query('SELECT org_id, ops_emails FROM notification_settings WHERE org_id = ANY($1::uuid[])', [orgs]);
    const contacts = new Map(settings.map((s) => [s.org_id, s.ops_emails]));
    for (const r of rows) {
      const to = [...new Set(r.org_ids.flatMap((o) => contacts.get(o) ?? []).map((e) => e.toLowerCase()))];
      const mail = notificationMail(r, this.config.sandboxBaseUrl);
      for (const address of to) await this.mailer.send({ to: address, ...mail });
      if (to.length > 0) await this.tx.manager().query('UPDATE notifications SET emails = $2 WHERE id = $1', [r.id, to.length]);
      await this.events.publish(this.tx.manager(), {
        type: 'deadline.threshold_crossed',
        orgIds: r.org_ids,
        subject: { type: r.subject_type, id: r.subject_id },
        data: { notificationId: r.id, deadlineId: r.deadline_id, kind: r.kind, threshold: r.threshold, dueAt: r.due_at.toISOString(), title: r.title },
        occurredAt: r.notified_at,
      });
    }
  }
}
