import { Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Transactions } from '../database/transactions.js';
import { ProblemError } from '../errors/problem.js';
import { parseIsoDuration } from './duration.js';

/**
 * Every rule that depends on time reads this clock. With SANDBOX_TIME_TRAVEL=true the
 * sandbox may move it forward; the offset lives in PostgreSQL so that every API and worker
 * process sees the same time (a per-process offset would split the system's notion of now).
 */
export abstract class Clock {
  abstract now(): Promise<Date>;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Promise<Date> {
    return Promise.resolve(new Date());
  }
}

@Injectable()
export class SandboxClock extends Clock {
  constructor(private readonly tx: Transactions) {
    super();
  }

  async now(): Promise<Date> {
    return new Date(Date.now() + Number(await this.offsetMs()));
  }

  async offsetMs(): Promise<bigint> {
    const rows: { offset_ms: bigint }[] = await this.tx.manager().query('SELECT offset_ms FROM sandbox_clock');
    return rows[0]?.offset_ms ?? 0n;
  }

  /** Moves time forward (never back: deadlines already passed stay passed). */
  async advance(by: string): Promise<{ now: Date; offsetMs: bigint }> {
    const ms = parseIsoDuration(by);
    if (ms === null || ms <= 0) {
      throw new ProblemError(422, 'CLOCK.INVALID_DURATION', 'Invalid duration', 'by must be a positive ISO 8601 duration such as P30D or PT12H', [
        { field: 'by', code: 'CLOCK.INVALID_DURATION', message: 'must be a positive ISO 8601 duration' },
      ]);
    }
    // TypeORM answers an UPDATE with [returned rows, affected count], not the rows alone.
    const [rows]: [{ offset_ms: bigint }[], number] = await this.tx.manager().query(
      'UPDATE sandbox_clock SET offset_ms = offset_ms + $1 RETURNING offset_ms',
      [ms],
    );
    const offset = rows[0]!.offset_ms;
    return { now: new Date(Date.now() + Number(offset)), offsetMs: offset };
  }
}

export const clockProvider = {
  provide: Clock,
  inject: [APP_CONFIG, Transactions],
  useFactory: (config: AppConfig, tx: Transactions): Clock => (config.sandboxTimeTravel ? new SandboxClock(tx) : new SystemClock()),
};
