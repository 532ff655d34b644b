import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, PeriodicTask } from '@app/platform';
import { AuditLog } from './audit.service.js';

/**
 * Seals the audit log in the worker: every OUTBOX_POLL_MS it chains the rows written since
 * (AuditLog.seal), so that a row is tamper-evident within a fraction of a second of its
 * commit even when nobody reads the log. Any number of workers may run it.
 */
@Injectable()
export class AuditSealer extends PeriodicTask {
  private readonly log = new Logger('audit');

  constructor(
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  protected async round(): Promise<number> {
    await this.audit.seal();
    return this.config.outboxPollMs;
  }

  /** The database away: the rows stay unsealed and are sealed once it answers again. */
  protected failed(err: Error): number {
    this.log.warn({ msg: 'audit sealing failed; will retry', err: err.message });
    return Math.max(this.config.outboxPollMs, 1000);
  }
}
