import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';

/**
 * A loop of rounds in a worker process: the first round at start-up, each next one after
 * the delay the round returns (0: at once, more may be waiting). A round that throws is
 * logged by the subclass and retried after `failureDelayMs()`. At shutdown no new round
 * starts and the one under way finishes before the database and Redis close.
 */
export abstract class PeriodicTask implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  /** One round; returns the delay before the next one, in ms. */
  protected abstract round(): Promise<number>;

  /** Called with a round's error; returns the delay before trying again, in ms. */
  protected abstract failed(err: Error): number;

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
    let next: number;
    try {
      next = await this.round();
    } catch (err) {
      next = this.failed(err as Error);
    }
    this.schedule(next);
  }

  /** Before the database closes: finish the round under way, start no other. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
