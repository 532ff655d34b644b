import { SystemClock, Transactions, dataSourceFromConfig, loadConfigOrExit } from '@app/platform';
import { AuditLog } from './audit.service.js';

// `npm run audit:verify`: recomputes the audit log's hash chain from the first row, checks
// that the head of the last clean check is still there, records the verdict, and exits 1
// when the chain is broken (naming the first bad row), so it can run from cron or CI.
const config = loadConfigOrExit(process.env);
const db = await dataSourceFromConfig(config, 'ipv4m-audit-verify').initialize();
try {
  const verdict = await new AuditLog(new Transactions(db), new SystemClock(), db).verifyAndRecord();
  process.stdout.write(
    JSON.stringify({
      ok: verdict.ok,
      rowsChecked: verdict.rowsChecked,
      firstBadSeq: verdict.firstBadSeq?.toString() ?? null,
      reason: verdict.reason,
      head: verdict.head ? { seq: verdict.head.seq.toString(), hash: verdict.head.hash } : null,
    }) + '\n',
  );
  process.exitCode = verdict.ok ? 0 : 1;
} finally {
  await db.destroy();
}
