import { ApiError, type Api } from './client.js';
import { makeCast } from './cast.js';
import { travel } from './clock.js';
import { provisionLease } from './leasing.js';
import { showTrialBalance } from './ledger.js';
import { chapter, detail, facts, step, success, when } from './print.js';
import { completedSale, rejectedSale } from './sales.js';
import { proveAndList } from './space.js';
import { SetupError, type System } from './system.js';

/**
 * The story, chapter by chapter, each through the public API only: the organisations and
 * their keys; holdership proved at the (sandbox) registry; blocks verified and listed; a
 * lease provisioned; a sale completed and a sale refunded; the clock moved for a deadline
 * notification and a renewal. Any failed step throws, and main() says which and exits 1.
 */

interface Behaviour {
  rir: string;
  transfer: string;
  delayMs: number;
  rdap: string;
  changes: string;
  changeDelayMs: number;
}

/** How the stand-in RIPE NCC must behave for the story: apply changes and approve transfers at once. */
const STORY_BEHAVIOUR = { transfer: 'approve', delayMs: 0, rdap: 'up', changes: 'apply', changeDelayMs: 0 } as const;

export async function runStory(system: System, run: string, started: number): Promise<void> {
  const admin = system.api;
  const restore = await preflight(admin);
  try {
    chapter('Organisations and keys');
    const cast = await makeCast(admin, run);
    const space = await proveAndList(admin, cast, run);
    const lease = await provisionLease(admin, cast, space.leaseListingId);
    await completedSale(admin, cast, space.sales[0]!, space.buyerHandle, system.pace);
    await rejectedSale(admin, cast, space.sales[1]!, space.holderHandle, system.pace);
    await travel(admin, cast, lease, system.pace);
    chapter('The books balance');
    await showTrialBalance(cast.finance);
  } finally {
    if (restore) await restore();
  }
  success(`The whole story ran through the public API in ${((Date.now() - started) / 1000).toFixed(0)} s: every step succeeded.`);
}

/**
 * Checks that the system is a sandbox whose clock may travel, before any data is made, and
 * scripts the stand-in RIPE NCC for the story; returns how to put back a script someone
 * else had set.
 */
async function preflight(admin: Api): Promise<(() => Promise<void>) | undefined> {
  let behaviours: Behaviour[];
  let clock: { now: string; offsetMs: number };
  try {
    behaviours = (await admin.get<{ data: Behaviour[] }>('/v1/sandbox/registry/behaviour')).data;
    clock = await admin.get('/v1/sandbox/clock');
  } catch (err) {
    const code = err instanceof ApiError ? (err.body as { code?: string } | null)?.code : undefined;
    if (code === 'SANDBOX.DISABLED') throw new SetupError('The system runs with REGISTRY_MODE=live: the demo needs the sandbox registry (REGISTRY_MODE=sandbox, the default).');
    if (code === 'SANDBOX.TIME_TRAVEL_DISABLED') {
      throw new SetupError('The system runs without SANDBOX_TIME_TRAVEL=true: the demo moves the sandbox clock. Restart it with `npm start` (which turns it on for the sandbox) or set SANDBOX_TIME_TRAVEL=true.');
    }
    throw err;
  }
  step(`The API at ${admin.baseUrl} answers /health, and the platform admin token is accepted`);
  facts([
    ['registry', 'sandbox: stand-in RIRs served by the API itself (RDAP, RPKI, transfer desk, mailbox)'],
    ['sandbox clock', `${when(clock.now)} (${clock.offsetMs === 0 ? 'not moved yet' : `${(clock.offsetMs / 86_400_000).toFixed(1)} days ahead of the wall clock`})`],
    ['API docs', `${admin.baseUrl}/docs`],
  ]);
  const ripe = behaviours.find((b) => b.rir === 'RIPE');
  const differs = ripe && (Object.keys(STORY_BEHAVIOUR) as (keyof typeof STORY_BEHAVIOUR)[]).some((k) => ripe[k] !== STORY_BEHAVIOUR[k]);
  if (!ripe || !differs) return undefined;
  await admin.put('/v1/sandbox/registry/behaviour', { rir: 'RIPE', ...STORY_BEHAVIOUR });
  step('The stand-in RIPE NCC was scripted otherwise: the demo makes it apply changes and approve transfers, and puts the script back at the end');
  const previous = { rir: 'RIPE', transfer: ripe.transfer, delayMs: ripe.delayMs, rdap: ripe.rdap, changes: ripe.changes, changeDelayMs: ripe.changeDelayMs };
  return async () => {
    await admin.put('/v1/sandbox/registry/behaviour', previous);
    detail('the stand-in RIPE NCC has its earlier script back');
  };
}
