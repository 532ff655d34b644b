import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * What a benchmark that drives the API needs around it: a throwaway database, the built API
 * as a child process on a free port of 127.0.0.1 with its output kept, and a cleanup that
 * runs once however the run ends (also on SIGINT/SIGTERM).
 */

export const log = (msg: string): void => void process.stdout.write(`${msg}\n`);

/** A name part unique to this run, e.g. for `ipv4market_bench_<what>_<runId>`. */
export const newRunId = (): string => `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitHealthy(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the API exited (${child.exitCode ?? child.signalCode})`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error('the API did not become healthy within 60 s');
}

/** A database of its own, created empty; its name must contain 'bench'. */
export class BenchDatabase {
  readonly url: string;
  private readonly admin: pg.Client;
  private created = false;

  constructor(
    adminUrl: string,
    readonly name: string,
  ) {
    if (!name.includes('bench')) throw new Error(`refusing a bench database named ${name}`);
    this.admin = new pg.Client({ connectionString: adminUrl });
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    this.url = url.toString();
  }

  async create(): Promise<void> {
    await this.admin.connect();
    await this.admin.query(`CREATE DATABASE "${this.name}"`);
    this.created = true;
  }

  /** Drops the database (with whatever is still connected to it) and closes the admin connection. */
  async drop(): Promise<void> {
    if (this.created) await this.admin.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
    await this.admin.end();
  }
}

export interface ApiOptions {
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  poolSize: number;
  /** Also write the API's output to this process's stdout and stderr as it comes (kept all the same). */
  showOutput?: boolean;
}

/** The built API (dist/apps/api/src/main.js) as a child process; its stdout and stderr are kept, and shown only with `showOutput`. */
export class ApiProcess {
  readonly base: string;
  private readonly lines: string[] = [];
  private linesSeen = 0;

  private constructor(
    readonly child: ChildProcess,
    port: number,
    showOutput: boolean,
  ) {
    this.base = `http://127.0.0.1:${port}`;
    for (const [stream, shownOn] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        if (showOutput) shownOn.write(chunk);
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const line of parts) this.keep(line);
      });
      stream?.on('end', () => partial && this.keep(partial));
    }
  }

  static async start(o: ApiOptions): Promise<ApiProcess> {
    const port = await freePort();
    // BENCH_API_NODE_ARGS: extra node flags for the API, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, 'dist/apps/api/src/main.js'], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: o.databaseUrl,
        DATABASE_POOL_SIZE: String(o.poolSize),
        REDIS_URL: o.redisUrl,
        REDIS_KEY_PREFIX: o.redisKeyPrefix,
        PLATFORM_ADMIN_TOKEN: randomBytes(32).toString('base64url'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const api = new ApiProcess(child, port, o.showOutput ?? false);
    try {
      await waitHealthy(api.base, child);
    } catch (err) {
      await api.stop();
      throw err;
    }
    return api;
  }

  /** How many lines the API wrote (at LOG_LEVEL=warn: warnings, errors, crashes). */
  get outputLines(): number {
    return this.linesSeen;
  }

  /** The last `n` lines the API wrote. */
  tail(n = 40): string[] {
    return this.lines.slice(-n);
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (after a second, so that requests a load generator abandoned finish), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await sleep(1000);
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000, undefined, { ref: false })]);
    if (this.running) {
      log('the API did not stop within 30 s of SIGTERM: killed');
      this.child.kill('SIGKILL');
    }
  }

  private keep(line: string): void {
    this.linesSeen++;
    this.lines.push(line);
    if (this.lines.length > 500) this.lines.splice(0, this.lines.length - 500);
  }
}

export async function dropRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * Runs `cleanup` once, whether the run ends, fails or is interrupted (then exits 130).
 * Answers the function to call at the end of the run.
 */
export function onceCleanup(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const run = () => (done ??= cleanup());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void run().finally(() => process.exit(130)));
  }
  return run;
}
