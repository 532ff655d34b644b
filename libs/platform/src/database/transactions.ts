import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * One transaction per use case, shared by everything the use case calls. A service wraps
 * its work in `tx()`; when an outer layer (the idempotency interceptor) already opened a
 * transaction, the service joins it, so the business change, its audit row, its outbox
 * rows and the stored idempotent response commit or roll back together.
 */
@Injectable()
export class Transactions {
  private readonly current = new AsyncLocalStorage<EntityManager>();

  constructor(private readonly dataSource: DataSource) {}

  tx<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const ambient = this.current.getStore();
    if (ambient) return work(ambient);
    return this.dataSource.transaction((em) => this.current.run(em, () => work(em)));
  }

  /** The ambient transaction's manager, or the pool's when there is none (plain reads). */
  manager(): EntityManager {
    return this.current.getStore() ?? this.dataSource.manager;
  }

  get inTransaction(): boolean {
    return this.current.getStore() !== undefined;
  }
}

/** SQLSTATE of a failed query (TypeORM wraps the pg error). */
export function sqlState(err: unknown): string | undefined {
  const e = err as { driverError?: { code?: string }; code?: string };
  return e?.driverError?.code ?? e?.code;
}
