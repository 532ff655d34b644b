// `npm start`: apply pending migrations, then run the API and the worker as two processes.
// If either exits, the other is stopped too, so a supervisor sees the failure.
import { spawn, spawnSync } from 'node:child_process';

const migrate = spawnSync(process.execPath, ['dist/libs/platform/src/database/migrate.cli.js'], { stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const children = ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js'].map((entry) =>
  spawn(process.execPath, [entry], { stdio: 'inherit' }),
);
let exiting = false;
for (const child of children) {
  child.on('exit', (code, signal) => {
    if (!exiting) {
      exiting = true;
      for (const other of children) if (other !== child && other.exitCode === null) other.kill('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(code ?? (signal ? 1 : 0));
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    exiting = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  });
}
