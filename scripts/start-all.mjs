// `npm start`: apply pending migrations, then run the API and the worker as two processes.
// If either exits, the other is stopped too, so that a supervisor sees the failure; on
// SIGTERM or SIGINT both are stopped gracefully (active jobs finish) and we exit 0.
import { spawn, spawnSync } from 'node:child_process';

const migrate = spawnSync(process.execPath, ['dist/libs/platform/src/database/migrate.cli.js'], { stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const children = ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js'].map((entry) =>
  spawn(process.execPath, [entry], { stdio: 'inherit' }),
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
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(stopRequested && failure === null ? 0 : failure);
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopRequested = true;
    stopAll();
  });
}
