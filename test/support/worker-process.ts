import { type ChildProcess, spawn } from 'node:child_process';
import { baseEnv } from './test-env.js';
import { within } from './queues.js';

/** A compiled worker (dist/apps/worker/src/main.js) running as its own process. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** What it printed on stdout and stderr so far (when started with `keepOutput`). */
  output(): string;
}

/**
 * Starts a worker process with the run's settings plus `env`, and waits (20 s at most) until it
 * logged "worker started" (run `npm run build` first when running a test file alone). Its
 * output is kept with `keepOutput` (to look for log lines), otherwise drained.
 */
export async function spawnWorker(env: Record<string, string>, o: { keepOutput?: boolean } = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['dist/apps/worker/src/main.js'], {
    env: { ...process.env, ...baseEnv(), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => void (out += d.toString());
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  await within(
    'a worker process to start',
    20_000,
    new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', () => out.includes('"worker started"') && resolve());
      child.on('exit', (code) => reject(new Error(`worker exited with ${code} before starting: ${out.slice(-2000)}`)));
    }),
  );
  if (!o.keepOutput) {
    child.stdout!.removeAllListeners('data');
    child.stderr!.removeAllListeners('data');
    child.stdout!.resume();
    child.stderr!.resume();
    out = '';
  }
  return { child, output: () => out };
}

/** SIGKILL (a crash), and wait until the process is gone. */
export async function killWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
