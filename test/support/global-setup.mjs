// Jest loads global setup outside its module system, so this file is plain JavaScript.
// It creates this run's database; the first test file to start applies the migrations
// (under an advisory lock, through the same code as `npm run migrate`).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function runDatabase() {
  const runId = process.env.IPV4M_TEST_RUN_ID;
  const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `ipv4market_test_${runId}`;
  url.pathname = '/postgres';
  return { name, adminUrl: url.toString() };
}

export default async function globalSetup() {
  process.env.IPV4M_TEST_RUN_ID ??= `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const { name, adminUrl } = runDatabase();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}
