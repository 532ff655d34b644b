import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NotificationScan } from '@app/deadlines';
import { DataSource } from 'typeorm';
import { type TestOrg, anOrg, bearer } from './support/identity-fixtures.js';
import { aMandate, aVerifiedBlock } from './support/inventory-fixtures.js';
import { type LeaseJson, aLease, aLeaseListing, aLeaseRequest, getLease, leaseReaches } from './support/lease-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { QueueProbe, emptyRunRedis, waitFor } from './support/queues.js';
import { Sandbox, anEmail, mailboxOf } from './support/registry-fixtures.js';
import { baseEnv, testEnv } from './support/test-env.js';
import { aConfirmedHandle, aSaleListing, propose, transferReaches } from './support/transfer-fixtures.js';
import { type WorkerProcess, killWorker, spawnWorker } from './support/worker-process.js';

/**
 * Issue 7's done-when, on the sandbox clock: one deadline of every kind is made between 7
 * and ~31 days ahead, then the clock walks forward a minute past each threshold (30 days,
 * 7 days, 1 day before, and the date itself) while two worker processes run the scan every
 * 300 ms (at every fifth step three more scans race them from this process). Each deadline
 * is notified exactly once per threshold, within its band, each ops contact gets exactly one
 * e-mail per notification, and the lessee of a block whose RIR fees lapse sees its
 * continuity risk open and is told.
 *
 * The tests share what the first one makes and run in order: a failure early fails the rest.
 *
 * It moves the shared sandbox clock by a month, so it runs after every other file
 * (test/support/sequencer.mjs).
 */

const DAY = 86_400_000;
const MINUTE = 60_000;
const THRESHOLDS = [
  { name: 'P30D', beforeMs: 30 * DAY, words: 'due within 30 days' },
  { name: 'P7D', beforeMs: 7 * DAY, words: 'due within 7 days' },
  { name: 'P1D', beforeMs: DAY, words: 'due within a day' },
  { name: 'overdue', beforeMs: 0, words: 'OVERDUE' },
] as const;
type Threshold = (typeof THRESHOLDS)[number]['name'];
const KINDS = [
  'lease.notice', 'lease.end', 'rir.fees_due', 'rir.services_stop', 'rir.revocation', 'roa.expiry',
  'escrow.funding', 'escrow.registry_progress', 'transfer.stage_sla', 'mandate.expiry', 'pre_approval.expiry',
] as const;
type Kind = (typeof KINDS)[number];

const ROA_VALIDITY_DAYS = 25;
const ESCROW_ENV = { ESCROW_FUNDING_WINDOW_MS: String(12 * DAY), ESCROW_REGISTRY_PROGRESS_MS: String(10 * DAY) };

interface DeadlineJson {
  id: string;
  kind: Kind;
  dueAt: string;
  subject: { type: string; id: string };
  status: 'upcoming' | 'overdue';
  orgIds: string[];
}

/** The deadline chosen for a kind: its subject, the organisations it concerns, and its date as the rows say. */
interface Chosen {
  readonly kind: Kind;
  readonly subjectId: string;
  readonly orgs: readonly TestOrg[];
  readonly dueAt: Date;
  deadline?: DeadlineJson;
}

describe('deadlines on the sandbox clock (e2e, two worker processes)', () => {
  let t: ListeningApi;
  let db: DataSource;
  let sandbox: Sandbox;
  const workers: WorkerProcess[] = [];
  /** Each organisation's ops contacts. */
  const contacts = new Map<string, string[]>();
  const chosen = new Map<Kind, Chosen>();
  let lessee: TestOrg;
  let lease: LeaseJson;
  const admin = () => bearer(t.adminToken);
  const at = (from: Date, ms: number) => new Date(from.getTime() + ms);

  const startWorker = async (): Promise<WorkerProcess> => {
    const w = await spawnWorker(
      {
        ...ESCROW_ENV,
        SANDBOX_BASE_URL: t.baseUrl,
        DEADLINES_SCAN_INTERVAL_MS: '300',
        LEASE_SCAN_INTERVAL_MS: '300',
        TRANSFERS_RECONCILE_INTERVAL_MS: '500',
      },
      { keepOutput: true },
    );
    workers.push(w);
    return w;
  };

  const opsContacts = async (org: TestOrg, n = 1): Promise<void> => {
    const emails = Array.from({ length: n }, () => anEmail('ops'));
    const res = await t.http.put('/v1/notification-settings').set(bearer(org.apiKey)).send({ opsEmails: emails });
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200, body: { orgId: org.id, opsEmails: emails } });
    contacts.set(org.id, emails);
  };
  const anOrgWithContacts = async (n = 1): Promise<TestOrg> => {
    const org = await anOrg(t);
    await opsContacts(org, n);
    return org;
  };
  const setPaidUntil = async (org: TestOrg, blockId: string, paidUntil: Date): Promise<void> => {
    const res = await t.http.put(`/v1/blocks/${blockId}/rir-standing`).set(bearer(org.apiKey)).send({ paidUntil: paidUntil.toISOString() });
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200, body: { id: blockId } });
  };
  const one = async <T>(sql: string, params: unknown[]): Promise<T> => {
    const rows: T[] = await db.query(sql, params);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  /** An agreed sale (the worker takes it to awaiting_funds), with ops contacts for both sides. */
  const aSale = async (rir: 'RIPE' | 'ARIN') => {
    const sale = await aSaleListing(t, db, { rir });
    await opsContacts(sale.seller);
    const buyer = await anOrgWithContacts();
    await aConfirmedHandle(t, db, buyer, rir);
    const proposed = await propose(t, buyer.apiKey, { listingId: sale.listing.id, pricePerIp: { amountMinor: 2000, currency: 'USD' }, destinationRir: rir });
    expect(proposed.status).toBe(201);
    const id: string = proposed.body.id;
    const accepted = await t.http.post(`/v1/transfers/${id}/accept`).set(bearer(sale.seller.apiKey)).send({});
    expect(accepted.status).toBe(200);
    const awaiting = await transferReaches(t, buyer.apiKey, id, 'awaiting_funds');
    return { id, seller: sale.seller, buyer, expected: (awaiting.escrow as { expected: { amountMinor: number; currency: string } }).expected };
  };

  /** Every deadline of `kind` the platform sees within 40 days (and every overdue one), page by page. */
  const deadlines = async (kind: Kind): Promise<DeadlineJson[]> => {
    const all: DeadlineJson[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http.get('/v1/deadlines').query({ kind, within: 'P40D', limit: '500', ...(cursor ? { cursor } : {}) }).set(admin());
      expect({ status: res.status, body: res.status === 200 ? undefined : (res.body as unknown) }).toEqual({ status: 200, body: undefined });
      all.push(...(res.body.data as DeadlineJson[]));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    return all;
  };
  const notified = async (deadlineId: string, token = t.adminToken): Promise<Threshold[]> => {
    const res = await t.http.get('/v1/notifications').query({ deadlineId, limit: '50' }).set(bearer(token));
    expect(res.status).toBe(200);
    return (res.body.data as { threshold: Threshold }[]).map((n) => n.threshold);
  };
  /** Why the scan's jobs fail, if they do (BullMQ keeps the reason on a job it retries or gives up). */
  const scanFailures = async (): Promise<string[]> => {
    const probe = new QueueProbe(t.config, 'deadlines');
    try {
      const jobs = await probe.queue.getJobs(['failed', 'delayed', 'waiting', 'active'], 0, 200);
      return [...new Set(jobs.map((j) => j?.failedReason).filter((r): r is string => !!r))];
    } finally {
      await probe.close();
    }
  };
  const ofKind = (kind: Kind): Chosen & { deadline: DeadlineJson } => chosen.get(kind) as Chosen & { deadline: DeadlineJson };

  beforeAll(async () => {
    t = await startListeningApi(ESCROW_ENV);
    db = t.app.get(DataSource);
    sandbox = new Sandbox(t);
    // ARIN signs ROAs valid for 25 days from now on, and asks for information on every
    // transfer (so that a funded ARIN sale waits at the registry until it is disputed).
    await sandbox.behaviour({ rir: 'ARIN', roaValidityDays: ROA_VALIDITY_DAYS, transfer: 'request_info', delayMs: 0, changes: 'apply', changeDelayMs: 0, rdap: 'up' });
    await sandbox.behaviour({ rir: 'RIPE', rdap: 'up' });
    await startWorker();
    await startWorker();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map(({ child }) => killWorker(child)));
    // The scan's 300 ms scheduler and what the killed workers held must not reach another run's work.
    await emptyRunRedis(testEnv().redisUrl, baseEnv().REDIS_KEY_PREFIX!);
    await sandbox?.behaviour({ rir: 'ARIN', roaValidityDays: null, transfer: 'approve', delayMs: 0 });
    await t?.close();
  });

  /** The lessee of the block whose fees just lapsed: risk open, lease event, notification and mail. */
  const expectContinuityOpen = async (feesDeadlineId: string): Promise<void> => {
    const now = await getLease(t, lessee.apiKey, lease.id);
    expect(now.status).toBe('active');
    expect(now.risks.find((r) => r.risk === 'continuity')).toMatchObject({ bearer: 'lessee', status: 'open', mitigation: expect.stringContaining('unpaid since') });
    const moved = now.events.filter((e) => e.event === 'rir_standing_changed' && e.evidence.deadline === feesDeadlineId && e.evidence.threshold === 'overdue');
    expect(moved).toHaveLength(1);
    expect(moved[0]!.risks.find((r) => r.risk === 'continuity')).toMatchObject({ status: 'open', mitigation: expect.stringContaining('unpaid since') });
    expect(await notified(feesDeadlineId, lessee.apiKey)).toContain('overdue');
    for (const address of contacts.get(lessee.id)!) {
      await waitFor(`the lessee's ops contact ${address} to be told the fees are overdue`, async () =>
        (await mailboxOf(t, address)).some((m) => m.subject.startsWith('[IPv4 market] OVERDUE:') && m.body.includes(`Deadline: ${feesDeadlineId}\n`)),
      );
    }
  };

  /** Each ops contact of each organisation concerned got exactly one e-mail per deadline and threshold. */
  const expectOneMailEach = async (all: readonly (Chosen & { deadline: DeadlineJson })[]): Promise<void> => {
    const addresses = [...new Set(all.flatMap((c) => c.orgs.flatMap((o) => contacts.get(o.id)!)))];
    // Delivery is a job of its own: wait until none of these mails is still on its way.
    await waitFor('the notification mails to be delivered', async () => {
      const [{ pending }] = await db.query(`SELECT count(*)::int AS pending FROM outgoing_mail WHERE status = 'pending' AND lower(to_address) = ANY($1::text[])`, [addresses]);
      return pending === 0;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    const boxes = new Map(await Promise.all(addresses.map(async (a) => [a, await mailboxOf(t, a)] as const)));
    for (const c of all) {
      const [row] = await db.query(`SELECT min(emails)::int AS min, max(emails)::int AS max FROM notifications WHERE deadline_id = $1`, [c.deadline.id]);
      const want = c.orgs.reduce((n, o) => n + contacts.get(o.id)!.length, 0);
      expect({ kind: c.kind, emails: row }).toEqual({ kind: c.kind, emails: { min: want, max: want } });
      for (const o of c.orgs) {
        for (const address of contacts.get(o.id)!) {
          const about = boxes.get(address)!.filter((m) => m.body.includes(`Deadline: ${c.deadline.id}\n`));
          const perThreshold = THRESHOLDS.map((th) => about.filter((m) => m.subject.startsWith(`[IPv4 market] ${th.words}:`)).length);
          expect({ kind: c.kind, address, perThreshold, total: about.length }).toEqual({ kind: c.kind, address, perThreshold: [1, 1, 1, 1], total: 4 });
        }
      }
    }
  };

  it('makes a deadline of every kind, each between 7 and 32 days ahead', async () => {
    // Leases: notice (~20 days), end (~28-31 days) and the ROA's expiry (25 days).
    const space = await aLeaseListing(t, db, { rir: 'ARIN' });
    await opsContacts(space.holder);
    lessee = await anOrgWithContacts(2);
    const created = await aLease(t, lessee.apiKey, aLeaseRequest(space.listing.id, { termMonths: 1, autoRenew: false, noticeDays: 10 }));
    lease = await leaseReaches(t, lessee.apiKey, created.id, 'active', 45_000);
    const leaseParties = [lessee, space.holder];
    chosen.set('lease.notice', { kind: 'lease.notice', subjectId: lease.id, orgs: leaseParties, dueAt: new Date(lease.noticeDeadline) });
    chosen.set('lease.end', { kind: 'lease.end', subjectId: lease.id, orgs: leaseParties, dueAt: new Date(lease.endsAt) });
    const roa = await one<{ expires_at: Date; signed_at: Date; lapses_at: Date }>(
      `SELECT c.expires_at, r.created_at AS signed_at, r.expires_at AS lapses_at
         FROM lease_registry_changes c JOIN sandbox_rir_roas r ON r.prefix = c.prefix AND r.asn = c.asn
        WHERE c.lease_id = $1 AND c.change = 'roa' AND c.phase = 'provision'`,
      [lease.id],
    );
    // The registry signed it for 25 days; the lease recorded the expiry the VRPs publish (whole seconds).
    expect(roa.lapses_at).toEqual(at(roa.signed_at, ROA_VALIDITY_DAYS * DAY));
    expect(roa.lapses_at.getTime() - roa.expires_at.getTime()).toBeGreaterThanOrEqual(0);
    expect(roa.lapses_at.getTime() - roa.expires_at.getTime()).toBeLessThan(1000);
    chosen.set('roa.expiry', { kind: 'roa.expiry', subjectId: lease.id, orgs: leaseParties, dueAt: roa.expires_at });

    // RIR standing: the leased block's fees fall due in 9 days; two other blocks already
    // unpaid reach services-stop (120 days past due) in 11 days and revocation (180) in 13.
    const now = await sandbox.now();
    const continuityBefore = (await getLease(t, lessee.apiKey, lease.id)).risks.find((r) => r.risk === 'continuity');
    expect(continuityBefore?.mitigation).not.toContain('unpaid since');
    await setPaidUntil(space.holder, space.block.id, at(now, 9 * DAY));
    const afterPaid = (await getLease(t, lessee.apiKey, lease.id)).risks.find((r) => r.risk === 'continuity');
    expect(afterPaid).toMatchObject({ bearer: 'lessee', status: 'monitored', mitigation: expect.stringContaining('paid until') });
    expect(afterPaid?.mitigation).not.toContain('unpaid since');
    chosen.set('rir.fees_due', { kind: 'rir.fees_due', subjectId: space.block.id, orgs: [space.holder, lessee], dueAt: at(now, 9 * DAY) });
    const rirHolder = await anOrgWithContacts();
    const stopping = await aVerifiedBlock(db, { holderOrgId: rirHolder.id, rir: 'ARIN' });
    const revoked = await aVerifiedBlock(db, { holderOrgId: rirHolder.id, rir: 'ARIN' });
    await setPaidUntil(rirHolder, stopping.id, at(now, (11 - 120) * DAY));
    await setPaidUntil(rirHolder, revoked.id, at(now, (13 - 180) * DAY));
    chosen.set('rir.services_stop', { kind: 'rir.services_stop', subjectId: stopping.id, orgs: [rirHolder], dueAt: at(now, 11 * DAY) });
    chosen.set('rir.revocation', { kind: 'rir.revocation', subjectId: revoked.id, orgs: [rirHolder], dueAt: at(now, 13 * DAY) });

    // An escrow awaiting funds (12 days), with the buyer's pre-approval expiring in 20 days.
    const unfunded = await aSale('RIPE');
    const escrow = await one<{ created_at: Date }>('SELECT created_at FROM escrows WHERE deal_id = $1', [unfunded.id]);
    chosen.set('escrow.funding', { kind: 'escrow.funding', subjectId: unfunded.id, orgs: [unfunded.buyer, unfunded.seller], dueAt: at(escrow.created_at, 12 * DAY) });
    const expiresAt = at(await sandbox.now(), 20 * DAY);
    const attached = await t.http
      .post(`/v1/transfers/${unfunded.id}/documents`)
      .set(bearer(unfunded.buyer.apiKey))
      .send({ kind: 'pre_approval', rir: 'RIPE', approvedSize: 22, issuedAt: at(expiresAt, -30 * DAY).toISOString(), expiresAt: expiresAt.toISOString() });
    expect({ status: attached.status, body: attached.body as unknown }).toMatchObject({ status: 201, body: { stage: 'awaiting_funds' } });
    const doc = await one<{ id: string }>(`SELECT id FROM transfer_documents WHERE transfer_id = $1 AND kind = 'pre_approval'`, [unfunded.id]);
    chosen.set('pre_approval.expiry', { kind: 'pre_approval.expiry', subjectId: doc.id, orgs: [unfunded.buyer], dueAt: expiresAt });

    // A funded escrow with no registry progress (10 days), frozen by a dispute (stage due in 2 weeks).
    const funded = await aSale('ARIN');
    const confirmed = await t.http
      .post(`/v1/transfers/${funded.id}/escrow/confirm-funding`)
      .set(admin())
      .set('idempotency-key', randomUUID())
      .send({ amount: funded.expected, reference: `WIRE-${funded.id.slice(0, 8)}` });
    expect({ status: confirmed.status, body: confirmed.body as unknown }).toMatchObject({ status: 200, body: { stage: 'funded' } });
    await transferReaches(t, funded.buyer.apiKey, funded.id, 'registry_submitted');
    const disputed = await t.http.post(`/v1/transfers/${funded.id}/dispute`).set(bearer(funded.buyer.apiKey)).send({ reason: 'the seller is not the registrant' });
    expect({ status: disputed.status, body: disputed.body as unknown }).toMatchObject({ status: 200, body: { stage: 'disputed', frozenStage: 'registry_submitted' } });
    const fundedAt = await one<{ at: Date }>(`SELECT at FROM transfer_events WHERE transfer_id = $1 AND stage = 'funded' AND wait IS NULL`, [funded.id]);
    const stage = await one<{ due_at: Date; stage_entered_at: Date }>('SELECT due_at, stage_entered_at FROM transfers WHERE id = $1', [funded.id]);
    expect(stage.due_at).toEqual(at(stage.stage_entered_at, 14 * DAY));
    const parties = [funded.buyer, funded.seller];
    chosen.set('escrow.registry_progress', { kind: 'escrow.registry_progress', subjectId: funded.id, orgs: parties, dueAt: at(fundedAt.at, 10 * DAY) });
    chosen.set('transfer.stage_sla', { kind: 'transfer.stage_sla', subjectId: funded.id, orgs: parties, dueAt: stage.due_at });

    // A broker's mandate expiring in 15 days.
    const grantor = await anOrgWithContacts();
    const broker = await anOrgWithContacts();
    const mandate = await aMandate(db, { block: await aVerifiedBlock(db, { holderOrgId: grantor.id }), brokerOrgId: broker.id, expiresAt: at(await sandbox.now(), 15 * DAY) });
    chosen.set('mandate.expiry', { kind: 'mandate.expiry', subjectId: mandate.id, orgs: [broker, grantor], dueAt: mandate.expiresAt });

    // Each appears once in GET /v1/deadlines, with its date and the organisations it concerns.
    expect([...chosen.keys()].sort()).toEqual([...KINDS].sort());
    const listedAt = await sandbox.now();
    for (const c of chosen.values()) {
      const mine = (await deadlines(c.kind)).filter((d) => d.subject.id === c.subjectId);
      expect({ kind: c.kind, mine: mine.length }).toEqual({ kind: c.kind, mine: 1 });
      const d = mine[0]!;
      expect({ kind: c.kind, dueAt: d.dueAt, status: d.status, orgIds: [...d.orgIds].sort() }).toEqual({
        kind: c.kind,
        dueAt: c.dueAt.toISOString(),
        status: 'upcoming',
        orgIds: c.orgs.map((o) => o.id).sort(),
      });
      const ahead = new Date(d.dueAt).getTime() - listedAt.getTime();
      expect({ kind: c.kind, moreThan7Days: ahead > 7 * DAY, atMost32Days: ahead <= 32 * DAY }).toEqual({ kind: c.kind, moreThan7Days: true, atMost32Days: true });
      c.deadline = d;
    }
    expect(ofKind('transfer.stage_sla').deadline.id).toContain(':disputed:');
  }, 180_000);

  /** The chosen deadlines, once the first test found them. */
  const picked = () => [...chosen.values()].map((c) => ({ ...c, deadline: c.deadline! }));
  const ORDER = THRESHOLDS.map((th) => th.name);

  it('notifies each threshold as the clock walks a month past it; lapsed RIR fees open the lessee\'s continuity risk', async () => {
    const all = picked();
    expect(all.filter((c) => c.deadline)).toHaveLength(KINDS.length);
    /** The notifications of a deadline are exactly the thresholds crossed so far. */
    const expectNotifiedThrough = async (deadlineId: string, last: Threshold) => {
      const got = await waitFor(`${deadlineId} to be notified at ${last}`, async () => {
        const thresholds = await notified(deadlineId);
        return thresholds.includes(last) ? thresholds : undefined;
      }, { timeoutMs: 20_000, intervalMs: 100 }).catch(async (err: Error) => {
        throw new Error(`${err.message}; deadlines.scan jobs failing with: ${JSON.stringify(await scanFailures())}`);
      });
      expect({ deadlineId, thresholds: [...got].sort() }).toEqual({ deadlineId, thresholds: ORDER.slice(0, ORDER.indexOf(last) + 1).sort() });
    };

    // What is already inside 30 days was notified for P30D at once, and nothing tighter.
    const start = await sandbox.now();
    const steps: { c: (typeof all)[number]; threshold: Threshold; instant: Date }[] = [];
    for (const c of all) {
      for (const th of THRESHOLDS) {
        const instant = at(new Date(c.deadline.dueAt), -th.beforeMs);
        if (instant.getTime() > start.getTime()) steps.push({ c, threshold: th.name, instant });
        else {
          expect({ kind: c.kind, threshold: th.name }).toEqual({ kind: c.kind, threshold: 'P30D' });
          await expectNotifiedThrough(c.deadline.id, 'P30D');
        }
      }
    }
    steps.sort((a, b) => a.instant.getTime() - b.instant.getTime());
    expect(steps.length).toBeGreaterThanOrEqual(3 * KINDS.length);

    // A minute past each crossing, in order; the scan (every 300 ms, on either worker) notifies it.
    const scan = t.app.get(NotificationScan, { strict: false });
    for (const [i, step] of steps.entries()) {
      const now = await sandbox.now();
      if (now.getTime() <= step.instant.getTime()) {
        const seconds = Math.ceil((step.instant.getTime() + MINUTE - now.getTime()) / 1000);
        expect(seconds).toBeLessThan(999_999);
        await sandbox.advanceClock(`PT${seconds}S`);
        // Now and then three more scans race the workers' at the same instant: still once each.
        if (i % 5 === 0) await Promise.all([scan.run(), scan.run(), scan.run()]);
      }
      await expectNotifiedThrough(step.c.deadline.id, step.threshold);
      if (step.threshold === 'overdue') {
        const listed = (await deadlines(step.c.kind)).find((d) => d.id === step.c.deadline.id);
        expect({ kind: step.c.kind, status: listed?.status }).toEqual({ kind: step.c.kind, status: 'overdue' });
        if (step.c.kind === 'rir.fees_due') await expectContinuityOpen(step.c.deadline.id);
      }
    }
    const walked = (await sandbox.now()).getTime() - start.getTime();
    expect({ moreThan27Days: walked > 27 * DAY, lessThan33Days: walked < 33 * DAY }).toEqual({ moreThan27Days: true, lessThan33Days: true });
  }, 600_000);

  it('made exactly one notification per deadline and threshold, each between its threshold and the next', async () => {
    for (const c of picked()) {
      const rows: { threshold: string; n: number }[] = await db.query('SELECT threshold, count(*)::int AS n FROM notifications WHERE deadline_id = $1 GROUP BY 1 ORDER BY 1', [c.deadline.id]);
      expect({ kind: c.kind, rows }).toEqual({ kind: c.kind, rows: [...ORDER].sort().map((threshold) => ({ threshold, n: 1 })) });
      // notified_at is the scan's (sandbox) now.
      const made: { threshold: Threshold; due_at: Date; notified_at: Date }[] = await db.query('SELECT threshold, due_at, notified_at FROM notifications WHERE deadline_id = $1', [c.deadline.id]);
      for (const n of made) {
        const i = ORDER.indexOf(n.threshold);
        const crossed = at(n.due_at, -THRESHOLDS[i]!.beforeMs);
        const next = i + 1 < THRESHOLDS.length ? at(n.due_at, -THRESHOLDS[i + 1]!.beforeMs) : at(n.due_at, DAY);
        expect({ kind: c.kind, threshold: n.threshold, dueAt: n.due_at.toISOString(), inBand: n.notified_at >= crossed && n.notified_at < next }).toEqual({
          kind: c.kind,
          threshold: n.threshold,
          dueAt: c.deadline.dueAt,
          inBand: true,
        });
      }
    }
  });

  it('mailed each ops contact of each organisation concerned exactly once per notification', async () => {
    await expectOneMailEach(picked());
  });

  it('keeps past deadlines listed as overdue, and shows none of it to another organisation', async () => {
    // A lease's notice and ROA deadlines leave with the ended lease; the others stay, overdue.
    await leaseReaches(t, lessee.apiKey, lease.id, 'ended');
    for (const kind of KINDS.filter((k) => k !== 'lease.notice' && k !== 'roa.expiry')) {
      const listed = (await deadlines(kind)).find((d) => d.id === ofKind(kind).deadline.id);
      expect({ kind, status: listed?.status }).toEqual({ kind, status: 'overdue' });
    }
    const stranger = await anOrg(t);
    for (const c of picked()) expect({ kind: c.kind, seen: await notified(c.deadline.id, stranger.apiKey) }).toEqual({ kind: c.kind, seen: [] });
    const theirs = await t.http.get('/v1/deadlines').query({ within: 'P40D', limit: '500' }).set(bearer(stranger.apiKey));
    expect({ status: theirs.status, data: theirs.body.data }).toEqual({ status: 200, data: [] });
  });

  it('ran the scan on both worker processes, each making notifications', async () => {
    const made = workers.map((w) =>
      w.output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.endsWith('}') && line.includes('"deadline notifications"'))
        .map((line) => JSON.parse(line) as Record<Threshold, number>)
        .reduce((sum, l) => sum + l.P30D + l.P7D + l.P1D + l.overdue, 0),
    );
    expect({ workers: made.length, eachMadeSome: made.every((n) => n > 0) }).toEqual({ workers: 2, eachMadeSome: true });
  });
});
