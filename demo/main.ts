import { randomBytes } from 'node:crypto';
import { ApiError, StepFailed, WaitTimeout } from './client.js';
import { banner, chapter, failure, useColour } from './print.js';
import { runStory } from './story.js';
import { SetupError, findOrStart } from './system.js';

/**
 * `npm run demo`: the marketplace's whole story through the public HTTP API, against the
 * system answering on http://127.0.0.1:$PORT, or one it starts itself when nothing answers.
 * Exits 0 when every step succeeded, 1 when one failed (saying what), 130 on Ctrl-C.
 */

// The demo is an entry point, like the apps' main.ts: its settings are read here, once.
// eslint-disable-next-line no-restricted-properties
const env: Readonly<Record<string, string | undefined>> = { ...process.env };

useColour(Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined);

/** A short id naming this run's organisations, handles and e-mail addresses. */
const run = randomBytes(3).toString('hex');

let stopSystem: (() => Promise<void>) | undefined;
let stopped: Promise<void> | undefined;
let interrupted = false;

/** Stops the system if the demo started it; once, however many times it is asked. */
function stop(): Promise<void> {
  stopped ??= (async () => {
    if (!stopSystem) return;
    process.stdout.write('\nStopping the system the demo started... ');
    await stopSystem();
    process.stdout.write('stopped.\n');
  })();
  return stopped;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    process.stderr.write(`\n${signal}: the demo stops here.\n`);
    void stop().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  banner([`ipv4-market: the whole story through the public API (run ${run})`]);
  try {
    chapter('The system');
    const system = await findOrStart(env, run, (s) => (stopSystem = s));
    await runStory(system, run, started);
    return 0;
  } catch (err) {
    // After Ctrl-C the steps fail as the system goes away: that is not the story failing.
    if (!interrupted) failure(explain(err));
    return interrupted ? 130 : 1;
  } finally {
    await stop();
  }
}

function explain(err: unknown): string[] {
  if (err instanceof ApiError) {
    return [
      `The demo failed: ${err.request} answered ${err.status === 0 ? 'nothing' : err.status}`,
      `  request: ${err.request} (as ${err.as})`,
      `  status:  ${err.status === 0 ? 'no answer' : err.status}`,
      `  body:    ${JSON.stringify(err.body, null, 2).replace(/\n/g, '\n           ')}`,
    ];
  }
  if (err instanceof WaitTimeout || err instanceof SetupError || err instanceof StepFailed) return [`The demo failed: ${err.message}`];
  return [`The demo failed: ${(err as Error)?.stack ?? String(err)}`];
}

// Exit at once, whatever keep-alive sockets remain (stdout to a file or pipe is written synchronously).
process.exit(await main());
