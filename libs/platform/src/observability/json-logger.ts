import type { LoggerService } from '@nestjs/common';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = keyof typeof LEVELS;

/** One JSON object per line on stdout (stderr for errors): what log shippers expect. */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly minLevel: Level = 'info',
    private readonly service = 'ipv4market',
  ) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest.find((r) => typeof r === 'string') as string | undefined);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }

  private write(level: Exclude<Level, 'silent'>, message: unknown, context?: string): void {
    if (LEVELS[level] < LEVELS[this.minLevel]) return;
    const fields = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : { msg: String(message) };
    const line = JSON.stringify({ level, time: new Date().toISOString(), service: this.service, context, ...fields }, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
  }
}
