import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ADMIN_TOKEN, baseEnv } from './support/test-env.js';
import { migrate } from './support/app.js';

/**
 * The README's start command, as a user runs it (`npm start` = build, then this launcher):
 * migrations applied, API and worker up, /health 200 within a minute, a clean stop on SIGTERM.
 */
describe('npm start', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('starts the API and the worker, answers /health, and stops cleanly on SIGTERM', async () => {
    await migrate();
    const port = await freePort();
    let output = '';
    const started = Date.now();
    child = spawn(process.execPath, ['scripts/start-all.mjs'], {
      env: { ...process.env, ...baseEnv(), PORT: String(port), LOG_LEVEL: 'info', PLATFORM_ADMIN_TOKEN: ADMIN_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    let health: Response | undefined;
    while (Date.now() - started < 60_000) {
      health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      if (health?.status === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(health?.status).toBe(200);
    expect(await health!.json()).toEqual({ status: 'ok', checks: { database: 'up', redis: 'up' } });
    const me = await fetch(`http://127.0.0.1:${port}/v1/me`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await me.json()).toMatchObject({ role: 'admin', platform: true });
    for (const line of ['schema up to date', '"service":"worker","msg":"worker started"', 'listening on port']) {
      expect(output).toContain(line);
    }

    // JSON request logs carry the request id that the response header announced.
    const requestId = me.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const logged = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.reqId === requestId);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]).toMatchObject({ level: 'info', service: 'api' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});

describe('a bad setting', () => {
  it.each([
    ['dist/apps/api/src/main.js', { PORT: 'eighty' }, /^Invalid configuration: PORT .*\(got "eighty"\)$/],
    ['dist/apps/worker/src/main.js', { REDIS_URL: 'http://cache' }, /^Invalid configuration: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    ['dist/libs/platform/src/database/migrate.cli.js', { NODE_ENV: 'production', PLATFORM_ADMIN_TOKEN: '' }, /PLATFORM_ADMIN_TOKEN is required/],
  ])('stops %s with one line naming it', async (entry, overrides, message) => {
    const child = spawn(process.execPath, [entry], { env: { ...process.env, ...baseEnv(), ...overrides }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(78);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
