import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Api, ApiError, PATIENT, type Pace, QUICK } from './client.js';
import { detail, note, step } from './print.js';

/**
 * Finding the system the demo talks to: the one answering on http://127.0.0.1:$PORT, or,
 * when nothing answers there, one the demo starts itself (the README's start command,
 * `node scripts/start-all.mjs`, on the build `npm run demo` has just made) and stops at the end.
 */

/** The repository root (this file runs from dist/demo/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm start` leaves the platform admin token it generated (scripts/start-all.mjs). */
export const TOKEN_FILE = join(REPO_ROOT, '.ipv4m-admin-token');

const HEALTH_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

export interface System {
  readonly api: Api;
  /** QUICK when the demo started it (the worker's scans every second), PATIENT for one found running. */
  readonly pace: Pace;
  stop(): Promise<void>;
}

export class SetupError extends Error {
  override name = 'SetupError';
}

type Env = Readonly<Record<string, string | undefined>>;

type Health = { status: number; body: unknown } | null;

async function health(baseUrl: string): Promise<Health> {
  try {
    const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3_000) });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return null;
  }
}

export async function findOrStart(env: Env, runId: string, onStarted: (stop: () => Promise<void>) => void): Promise<System> {
  const port = env.PORT ?? '3000';
  const baseUrl = `http://127.0.0.1:${port}`;
  const found = await health(baseUrl);
  if (found) return attach(env, baseUrl, found);
  return start(env, port, baseUrl, runId, onStarted);
}

async function attach(env: Env, baseUrl: string, h: NonNullable<Health>): Promise<System> {
  step(`A system answers at ${baseUrl}: the demo uses it`);
  if (h.status === 503) throw new SetupError(`${baseUrl}/health answered 503: ${JSON.stringify(h.body)} (PostgreSQL or Redis is not reachable from it)`);
  if (h.status !== 200) throw new SetupError(`${baseUrl}/health answered ${h.status}: is this the ipv4-market API? Set PORT to the port it listens on.`);
  let token = env.PLATFORM_ADMIN_TOKEN;
  let source = 'PLATFORM_ADMIN_TOKEN';
  if (!token && existsSync(TOKEN_FILE)) {
    token = readFileSync(TOKEN_FILE, 'utf8').trim();
    source = TOKEN_FILE;
  }
  if (!token) {
    throw new SetupError(
      `The system at ${baseUrl} needs its platform admin token: set PLATFORM_ADMIN_TOKEN to it ` +
        `(\`npm start\` writes the token it generates to ${TOKEN_FILE}; none is there).`,
    );
  }
  const api = new Api(baseUrl, token, 'platform admin');
  try {
    const me = await api.get<{ platform: boolean; role: string }>('/v1/me');
    if (!me.platform || me.role !== 'admin') throw new SetupError(`The token from ${source} is not the platform admin's (it is a ${me.role} key)`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      throw new SetupError(`The system at ${baseUrl} refused the token from ${source} (401): set PLATFORM_ADMIN_TOKEN to the token it was started with.`);
    }
    throw err;
  }
  detail(`platform admin token from ${source}`);
  note("its worker scans at that system's own settings (by default leases and deadlines every minute, waiting transfers every 30 s): some steps wait that long");
  return { api, pace: PATIENT, stop: () => Promise.resolve() };
}

async function start(env: Env, port: string, baseUrl: string, runId: string, onStarted: (stop: () => Promise<void>) => void): Promise<System> {
  const token = randomBytes(32).toString('base64url');
  const logFile = join(tmpdir(), `ipv4m-demo-${runId}.log`);
  step(`Nothing answers at ${baseUrl}: the demo starts the system itself (the README's start command)`);
  detail(`its logs go to ${logFile}`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['scripts/start-all.mjs'], {
    cwd: REPO_ROOT,
    // Its own process group: a Ctrl-C reaches the demo, which then stops the system in order.
    detached: true,
    stdio: ['ignore', fd, fd],
    env: {
      ...env,
      PORT: port,
      NODE_ENV: env.NODE_ENV === 'test' ? 'test' : 'development',
      REGISTRY_MODE: 'sandbox',
      PAYMENTS_PROVIDER: 'manual',
      PLATFORM_ADMIN_TOKEN: token,
      SANDBOX_TIME_TRAVEL: 'true',
      // The worker's scans every second instead of every minute, so the clock chapter is quick.
      LEASE_SCAN_INTERVAL_MS: '1000',
      DEADLINES_SCAN_INTERVAL_MS: '1000',
      TRANSFERS_RECONCILE_INTERVAL_MS: '1000',
    },
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const stop = () => stopChild(child, exited);
  onStarted(stop);

  const started = Date.now();
  let last: Health = null;
  while (Date.now() - started < HEALTH_TIMEOUT_MS) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new SetupError(`The system exited (code ${child.exitCode ?? child.signalCode}) before answering /health; its last log lines:\n${tail(logFile)}`);
    }
    last = await health(baseUrl);
    if (last?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (last?.status !== 200) {
    throw new SetupError(`The system did not answer /health with 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last ? last.status : 'no answer'}); its last log lines:\n${tail(logFile)}`);
  }
  detail(`up in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid}); the demo stops it at the end`);
  note('the worker scans leases, deadlines and transfers every second in this system');
  return { api: new Api(baseUrl, token, 'platform admin'), pace: QUICK, stop };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([exited, timer])) === 'timeout' && child.pid) {
    // Our own process group (detached above): the launcher and the API and worker it spawned.
    process.kill(-child.pid, 'SIGKILL');
    await exited;
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
