import { loadConfigOrExit } from '../config/config.js';
import { runMigrations } from './data-source.js';

// `npm run migrate`: applies pending migrations, creating the database first if it is missing.
const config = loadConfigOrExit(process.env);
await ensureDatabase(config.databaseUrl);
const applied = await runMigrations(config.databaseUrl);
process.stdout.write(
  JSON.stringify({ level: 'info', msg: applied.length ? `applied ${applied.join(', ')}` : 'schema up to date' }) + '\n',
);

async function ensureDatabase(databaseUrl: string): Promise<void> {
  const { default: pg } = await import('pg');
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // Another process created it between our look and our create: fine.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await admin.end();
  }
}
