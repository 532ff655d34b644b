import { Injectable, Logger } from '@nestjs/common';
import { HandlesJob, type JobHandler } from '@app/platform';
import { AuditLog } from '@app/identity';

/** Re-computes the audit chain and records the verdict (idempotent: a re-run records another check). */
@Injectable()
@HandlesJob('audit.verify-chain')
export class VerifyAuditChainHandler implements JobHandler {
  private readonly log = new Logger('audit');

  constructor(private readonly audit: AuditLog) {}

  async handle(): Promise<{ ok: boolean; rowsChecked: number }> {
    const verdict = await this.audit.verifyAndRecord();
    if (!verdict.ok) this.log.error({ msg: 'audit chain broken', firstBadSeq: verdict.firstBadSeq, reason: verdict.reason });
    return { ok: verdict.ok, rowsChecked: verdict.rowsChecked };
  }
}
