import { randomUUID } from 'node:crypto';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { EscrowTerms } from '@app/escrow';
import { EscrowModule } from '@app/escrow';
import { APP_CONFIG, Clock, DomainEvents, Outbox, SystemClock, Transactions, createDataSource, loadConfig } from '@app/platform';
import { migrate } from './app.js';
import { baseEnv } from './test-env.js';

/**
 * The escrow context against the real database, without HTTP (it has no routes yet): the
 * platform pieces it needs (database, transactions, outbox, domain events, clock, config) and EscrowModule.
 */
@Global()
@Module({
  providers: [
    { provide: DataSource, useFactory: () => createDataSource({ databaseUrl: baseEnv().DATABASE_URL!, poolSize: 20, applicationName: 'escrow-e2e' }).initialize() },
    Transactions,
    Outbox,
    DomainEvents,
    { provide: Clock, useClass: SystemClock },
    { provide: APP_CONFIG, useFactory: () => loadConfig(baseEnv()) },
  ],
  exports: [DataSource, Transactions, Outbox, DomainEvents, Clock, APP_CONFIG],
})
class EscrowTestPlatformModule {}

@Module({ imports: [EscrowTestPlatformModule, EscrowModule] })
class EscrowTestModule {}

export interface EscrowTestContext {
  readonly ctx: INestApplicationContext;
  /** Plain pg connections outside the services, for looking at rows and trying what they refuse. */
  readonly raw: pg.Pool;
  close(): Promise<void>;
}

export async function startEscrowContext(): Promise<EscrowTestContext> {
  await migrate();
  const ctx = await NestFactory.createApplicationContext(EscrowTestModule, { logger: false });
  const raw = new pg.Pool({ connectionString: baseEnv().DATABASE_URL, max: 5 });
  return {
    ctx,
    raw,
    close: async () => {
      await raw.end();
      await ctx.get(DataSource).destroy();
      await ctx.close();
    },
  };
}

/** Member organisations of their own, in one statement. */
export async function orgs(raw: pg.Pool, n: number, prefix = 'escrow-org'): Promise<string[]> {
  const names = Array.from({ length: n }, () => `${prefix}-${randomUUID()}`);
  const { rows } = await raw.query(
    `WITH ins AS (INSERT INTO organisations (name) SELECT unnest($1::text[]) RETURNING id, name)
     SELECT ins.id FROM ins JOIN unnest($1::text[]) WITH ORDINALITY AS n (name, i) ON n.name = ins.name ORDER BY n.i`,
    [names],
  );
  return rows.map((r: { id: string }) => r.id);
}

export interface DealParties {
  readonly buyer: string;
  readonly seller: string;
  readonly broker: string;
}

/** Escrow terms of a new deal between new organisations: USD 10,000.01, broker 5 %, platform 2.5 %, unless overridden. */
export async function aDeal(raw: pg.Pool, o: Partial<EscrowTerms> = {}): Promise<EscrowTerms & { parties: DealParties }> {
  const [buyer, seller, broker] = await orgs(raw, 3);
  return {
    dealId: randomUUID(),
    buyerOrgId: buyer!,
    sellerOrgId: seller!,
    brokerOrgId: broker!,
    price: { amountMinor: 1_000_001n, currency: 'USD' },
    brokerFeeBps: 500,
    platformFeeBps: 250,
    ...o,
    parties: { buyer: buyer!, seller: seller!, broker: broker! },
  };
}

/** A bank statement CSV; each row's cells in the header's order (date, amount, currency, reference, bank_reference). */
export function statementCsv(rows: readonly (readonly string[])[], header = 'date,amount,currency,reference,bank_reference'): string {
  const cell = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return [header, ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}

/** Balance of a ledger account in its normal direction, 0 for an account never made. */
export async function balanceOf(raw: pg.Pool, spec: { ownerOrgId: string | null; purpose: string; currency: string; reference?: string | null }): Promise<bigint> {
  const { rows } = await raw.query(
    `SELECT b.balance_minor FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
      WHERE a.owner_org_id = coalesce($1::uuid, (SELECT id FROM organisations WHERE kind = 'platform'))
        AND a.purpose = $2 AND a.currency = $3 AND a.reference IS NOT DISTINCT FROM $4`,
    [spec.ownerOrgId, spec.purpose, spec.currency, spec.reference ?? null],
  );
  return (rows[0]?.balance_minor as bigint | undefined) ?? 0n;
}

/** How many journal entries carry each of these keys (keys never posted are left out). */
export async function entriesByKey(raw: pg.Pool, pattern: string): Promise<Map<string, number>> {
  const { rows } = await raw.query(`SELECT idempotency_key, count(*)::int AS n FROM journal_entries WHERE idempotency_key LIKE $1 GROUP BY 1`, [pattern]);
  return new Map(rows.map((r: { idempotency_key: string; n: number }) => [r.idempotency_key, r.n]));
}
