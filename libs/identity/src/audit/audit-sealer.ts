import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { AuditLog } from './audit.service.js';

/**
 * Seals the audit log in the worker: every OUTBOX_POLL_MS it chains the rows written since
 * (AuditLog.seal), so that a row is tamper-evident within a fraction of a second of its
 * commit even when nobody reads the log. Any number of workers may run it.
 */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('audit');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = undefined));
    }, ms);
  }

  private async tick(): Promise<void> {
    let next = this.config.outboxPollMs;
    try {
      await this.audit.seal();
    } catch (err) {
      // The database away: the rows stay unsealed and are sealed once it answers again.
      this.log.warn({ msg: 'audit sealing failed; will retry', err: (err as Error).message });
      next = Math.max(next, 1000);
    }
    this.schedule(next);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
