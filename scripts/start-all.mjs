// `npm start`: apply pending migrations, then run the API and the worker as two processes.
// If either exits, the other is stopped too, so that a supervisor sees the failure; on
// SIGTERM or SIGINT both are stopped gracefully (active jobs finish) and we exit 0.
//
// Outside production, two defaults make the sandbox easy to try (and `npm run demo` work
// against it):
// - with the sandbox registry (REGISTRY_MODE unset or 'sandbox') and SANDBOX_TIME_TRAVEL
//   unset, the sandbox clock may travel (SANDBOX_TIME_TRAVEL=true); set it to false to keep
//   the system on the wall clock;
// - with PLATFORM_ADMIN_TOKEN unset, one token is generated for both processes, printed in a
//   log line, and written to .ipv4m-admin-token at the repository root (mode 0600, removed
//   at a clean stop), where `npm run demo` and your scripts can read it.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TOKEN_FILE = fileURLToPath(new URL('../.ipv4m-admin-token', import.meta.url));

const env = { ...process.env };
const production = env.NODE_ENV === 'production';
if (!production && (env.REGISTRY_MODE ?? 'sandbox') === 'sandbox' && env.SANDBOX_TIME_TRAVEL === undefined) {
  env.SANDBOX_TIME_TRAVEL = 'true';
}

const migrate = spawnSync(process.execPath, ['dist/libs/platform/src/database/migrate.cli.js'], { stdio: 'inherit', env });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

let tokenWritten = null;
if (!production && !env.PLATFORM_ADMIN_TOKEN) {
  tokenWritten = randomBytes(32).toString('base64url');
  env.PLATFORM_ADMIN_TOKEN = tokenWritten;
  writeFileSync(TOKEN_FILE, `${tokenWritten}\n`, { mode: 0o600 });
  chmodSync(TOKEN_FILE, 0o600); // writeFileSync's mode applies only to a new file
  process.stdout.write(
    JSON.stringify({
      level: 'warn',
      service: 'launcher',
      msg: `PLATFORM_ADMIN_TOKEN was not set; generated one for the API and the worker, written to ${TOKEN_FILE}`,
      platformAdminToken: tokenWritten,
    }) + '\n',
  );
}

/** Removes the token file we wrote, unless someone replaced it since. */
const removeTokenFile = () => {
  if (tokenWritten === null) return;
  try {
    if (readFileSync(TOKEN_FILE, 'utf8').trim() === tokenWritten) rmSync(TOKEN_FILE);
  } catch {
    // Already gone.
  }
};

const children = ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js'].map((entry) =>
  spawn(process.execPath, [entry], { stdio: 'inherit', env }),
);
let stopRequested = false;
let failure = null;

const stopAll = () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
};

for (const child of children) {
  child.on('exit', (code) => {
    if (!stopRequested && failure === null) {
      failure = code || 1; // a child that stops on its own is a failure, even with code 0
      stopAll();
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) {
      removeTokenFile();
      process.exit(stopRequested && failure === null ? 0 : failure);
    }
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopRequested = true;
    stopAll();
  });
}
