import { type Api, type Pace, waitFor } from './client.js';
import { type Cast, mailTo } from './cast.js';
import type { LeaseJson } from './leasing.js';
import { accountNamer, type Account } from './ledger.js';
import { chapter, detail, facts, money, step, table, when } from './print.js';

/**
 * The sandbox clock moved forward (it never goes back, and every process follows it): the
 * lease's notice deadline comes within 7 days, the worker's deadline scan notifies the
 * lessee (a notification and an e-mail to its ops contact), and past the deadline the
 * worker's lease scan renews the lease for another term.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;

interface Deadline {
  id: string;
  kind: string;
  dueAt: string;
  subject: { type: string; id: string };
  status: string;
  title: string;
}

interface Notification {
  deadlineId: string;
  kind: string;
  threshold: string;
  dueAt: string;
  subject: { type: string; id: string };
  notifiedAt: string;
  emails: number;
}

async function clockNow(admin: Api): Promise<Date> {
  return new Date((await admin.get<{ now: string }>('/v1/sandbox/clock')).now);
}

async function advance(admin: Api, by: string): Promise<Date> {
  const moved = await admin.post<{ now: string }>('/v1/sandbox/clock/advance', { by });
  step(`The platform admin moves the sandbox clock forward by ${by}: it is now ${when(moved.now)}`);
  return new Date(moved.now);
}

async function showDeadlines(org: { name: string; admin: Api }, days: number): Promise<Deadline[]> {
  const page = await org.admin.get<{ data: Deadline[]; now: string }>('/v1/deadlines', { within: `P${days}D`, limit: 50 });
  step(`${org.name}'s deadlines in the next ${days} days (GET /v1/deadlines?within=P${days}D, soonest first, by the sandbox clock)`);
  table(
    ['due', 'kind', 'status', 'what'],
    page.data.map((d) => [when(d.dueAt), d.kind, d.status, d.title]),
  );
  return page.data;
}

export async function travel(admin: Api, cast: Cast, lease: LeaseJson, pace: Pace): Promise<void> {
  chapter('The sandbox clock moves: a deadline notification and a renewal');
  const lessee = cast.lessee;
  const start = await clockNow(admin);
  step(`The sandbox clock reads ${when(start.toISOString())} (GET /v1/sandbox/clock)`);
  await showDeadlines(lessee, 40);

  // Six days before the notice deadline: inside its 7-day threshold.
  const deadline = new Date(lease.noticeDeadline).getTime();
  const toSevenDays = Math.floor((deadline - start.getTime()) / DAY) - 6;
  let now = start;
  if (toSevenDays > 0) now = await advance(admin, `P${toSevenDays}D`);
  detail(`the notice deadline ${when(lease.noticeDeadline)} is ${((deadline - now.getTime()) / DAY).toFixed(1)} days away`);
  const noticeOf = (n: Notification) => n.kind === 'lease.notice' && n.subject.id === lease.id;
  const notifications = await waitFor(
    "the worker's deadline scan to notify Acme Cloud that the lease's notice deadline is within 7 days",
    async () => {
      const all = (await lessee.admin.get<{ data: Notification[] }>('/v1/notifications', { kind: 'lease.notice', limit: 50 })).data.filter(noticeOf);
      return all.some((n) => n.threshold === 'P7D') ? all : undefined;
    },
    { timeoutMs: pace.scanMs, intervalMs: 500 },
  );
  step("The worker's deadline scan notifies the parties once per deadline and threshold (GET /v1/notifications)");
  table(
    ['threshold', 'kind', 'due', 'notified at', 'e-mails'],
    notifications.map((n) => [n.threshold, n.kind, when(n.dueAt), when(n.notifiedAt), String(n.emails)]),
  );
  const mails = await waitFor(
    `the notification e-mail to Acme Cloud's ops contact ${lessee.opsEmail}`,
    async () => {
      const box = (await mailTo(admin, lessee.opsEmail)).filter((m) => m.subject.includes('within 7 days'));
      return box.length > 0 ? box : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  step(`Acme Cloud's ops contact receives the e-mail (the sandbox keeps it in GET /v1/sandbox/mailbox?to=${lessee.opsEmail})`);
  facts([
    ['to', mails[0]!.to],
    ['subject', mails[0]!.subject],
  ]);
  for (const line of mails[0]!.body.split('\n').filter((l) => l.trim() !== '').slice(0, 6)) detail(`| ${line}`);

  // Past the deadline: with auto-renew on and no notice given, the lease renews for another term.
  const left = deadline - now.getTime();
  await advance(admin, `PT${Math.ceil(left / HOUR) + 1}H`);
  let seen = '';
  const renewed = await waitFor(
    `the worker's lease scan to renew lease ${lease.id}`,
    async () => {
      const l = await lessee.admin.get<LeaseJson>(`/v1/leases/${lease.id}`);
      seen = `${l.status}, term ${l.termNumber}, events ${l.events.map((e) => e.event).join(', ')}`;
      return l.events.some((e) => e.event === 'renewed') ? l : undefined;
    },
    { timeoutMs: pace.scanMs, intervalMs: 500, lastSeen: () => seen },
  );
  const event = renewed.events.find((e) => e.event === 'renewed')!;
  step(`Past the notice deadline with no notice given, the worker renews the lease (event "renewed" at ${when(event.at)})`);
  facts([
    ['status', renewed.status],
    ['term', `${renewed.termNumber}, ending ${when(renewed.endsAt)} (the lease began ${when(renewed.startsAt)})`],
    ['notice deadline', when(renewed.noticeDeadline)],
  ]);
  await showDeadlines(lessee, 40);
  await showLessorAndLessee(cast);
}

/** Each lease-month is charged when it starts: the lessee owes it, the lessor is owed it less the platform's 10 %. */
async function showLessorAndLessee(cast: Cast): Promise<void> {
  const name = accountNamer(cast);
  const rows: string[][] = [];
  for (const org of [cast.lessee, cast.holder]) {
    for (const a of await org.admin.all<Account>('/v1/ledger/accounts')) rows.push([name(a), money(a.balance)]);
  }
  step("The lease's rent on the ledger: each lease-month is charged when it starts (the lessee's receivable, the lessor's payable less the platform's 10 %)");
  table(['account', 'balance'], rows);
}
