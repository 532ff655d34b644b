import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditLog } from '@app/identity';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { baseEnv } from './support/test-env.js';

const run = promisify(execFile);

/**
 * The audit log refuses UPDATE, DELETE and TRUNCATE; a row changed behind the trigger's back
 * (by a superuser who disables it) is still found by the chain verifier.
 */
describe('audit log', () => {
  let t: TestApp;
  let db: DataSource;
  let audit: AuditLog;

  beforeAll(async () => {
    t = await startApi();
    db = t.app.get(DataSource);
    audit = t.app.get(AuditLog);
    // A few rows of our own, so the chain is never empty here.
    for (const name of ['audit-a', 'audit-b']) {
      const res = await t.http
        .post('/v1/orgs')
        .set('authorization', `Bearer ${t.adminToken}`)
        .send({ name: `${name}-${Date.now()}-${Math.random()}` });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  /** The newest sealed row, after sealing what is written. */
  async function newestRow(): Promise<{ seq: bigint; action: string }> {
    await audit.seal();
    const [row] = await db.query('SELECT seq, action FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1');
    return row;
  }

  it.each([
    ['UPDATE', `UPDATE audit_log SET action = 'forged' WHERE seq = (SELECT max(seq) FROM audit_log)`],
    ['DELETE', 'DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)'],
    ['TRUNCATE', 'TRUNCATE audit_log'],
  ])('refuses %s', async (_op, sql) => {
    const before = await newestRow();
    await expect(db.query(sql)).rejects.toThrow(/append-only/);
    expect(await newestRow()).toEqual(before);
  });

  it('writes rows unsealed, without a lock; sealing chains them once, in id order, and changes nothing else', async () => {
    // Two rows written by transactions open at the same time: neither waits for the other.
    const q1 = db.createQueryRunner();
    const q2 = db.createQueryRunner();
    await q1.connect();
    await q2.connect();
    try {
      await q1.startTransaction();
      await q2.startTransaction();
      const insert = (q: typeof q1, action: string) =>
        q.query(
          `INSERT INTO audit_log (at, actor_type, actor_id, org_id, action, subject_type, subject_id) VALUES (now(), 'system', 'test', NULL, $1, 'test', 'x') RETURNING id`,
          [action],
        );
      const [[a], [b]] = await Promise.all([insert(q1, 'test.first'), insert(q2, 'test.second')]);
      await q2.commitTransaction();
      await q1.commitTransaction();
      const unsealed = await db.query('SELECT id, seq, hash FROM audit_log WHERE id = ANY($1::bigint[]) ORDER BY id', [[a.id, b.id]]);
      expect(unsealed.map((r: { seq: unknown; hash: unknown }) => [r.seq, r.hash])).toEqual([
        [null, null],
        [null, null],
      ]);
      // The content of an unsealed row cannot change either; only sealing may fill its place.
      await expect(db.query(`UPDATE audit_log SET action = 'forged' WHERE id = $1`, [a.id])).rejects.toThrow(/append-only/);
      expect(await audit.seal()).toBeGreaterThanOrEqual(2);
      const sealed: { id: bigint; seq: bigint; prev_hash: string; hash: string }[] = await db.query(
        'SELECT id, seq, prev_hash, hash FROM audit_log WHERE id = ANY($1::bigint[]) ORDER BY id',
        [[a.id, b.id]],
      );
      expect(sealed[1]!.seq).toBeGreaterThan(sealed[0]!.seq);
      expect(sealed.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
      // Sealed once: a second seal of the same row is refused.
      await expect(db.query(`UPDATE audit_log SET seq = seq + 1000000 WHERE id = $1`, [a.id])).rejects.toThrow(/append-only/);
      expect((await audit.verify()).ok).toBe(true);
    } finally {
      await q1.release();
      await q2.release();
    }
  });

  it('verifies an intact chain', async () => {
    const verdict = await audit.verify();
    expect(verdict.ok).toBe(true);
    expect(verdict.rowsChecked).toBeGreaterThanOrEqual(4); // 2 orgs and their first keys
    expect(verdict.head?.seq).toBe((await newestRow()).seq);
  });

  it('detects a row altered behind the trigger, from the API process and from the command line', async () => {
    await audit.seal();
    const [victim] = await db.query('SELECT seq, action FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC OFFSET 1 LIMIT 1');
    await tamper(`UPDATE audit_log SET action = 'api_key.forged' WHERE seq = $1`, [victim.seq]);
    try {
      const verdict = await audit.verify();
      expect(verdict).toMatchObject({ ok: false, firstBadSeq: victim.seq });
      expect(verdict.reason).toMatch(/altered/);

      // The compiled command, as `npm run audit:verify` runs it (`npm test` builds first).
      const cli = await run(process.execPath, ['dist/libs/identity/src/audit/verify-audit.cli.js'], {
        env: { ...process.env, ...baseEnv() },
      }).then(
        (ok) => ({ ...ok, code: 0 }),
        (err: { code: number; stdout: string }) => err,
      );
      expect(cli.code).toBe(1);
      expect(JSON.parse(cli.stdout)).toMatchObject({ ok: false, firstBadSeq: String(victim.seq) });
    } finally {
      await tamper('UPDATE audit_log SET action = $2 WHERE seq = $1', [victim.seq, victim.action]);
    }
    expect((await audit.verify()).ok).toBe(true);
  });

  it('detects a deleted row', async () => {
    await audit.seal();
    const [victim] = await db.query('SELECT * FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC OFFSET 1 LIMIT 1');
    await tamper('DELETE FROM audit_log WHERE seq = $1', [victim.seq]);
    try {
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: victim.seq });
    } finally {
      await tamper(
        `INSERT INTO audit_log SELECT * FROM jsonb_populate_record(NULL::audit_log, $1::jsonb)`,
        [JSON.stringify({ ...victim, seq: String(victim.seq), id: String(victim.id) })],
      );
    }
    expect((await audit.verify()).ok).toBe(true);
  });

  /** What a superuser could do: run a statement with the table's triggers off. */
  async function tamper(sql: string, params: unknown[]): Promise<void> {
    await db.transaction(async (em) => {
      await em.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await em.query(sql, params);
      await em.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    });
  }
});
