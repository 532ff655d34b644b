import { describe, expect, it } from '@jest/globals';
import { type AuditContent, type AuditRow, ChainVerifier, GENESIS_HASH, auditHash } from './audit-chain.js';

function chain(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const content: AuditContent = {
      seq: BigInt(i),
      at: new Date(Date.UTC(2026, 10, 28, 12, 0, i)),
      actorType: 'api_key',
      actorId: `key-${i}`,
      orgId: i % 2 ? null : '8f0e2c4a-1111-4222-8333-444455556666',
      action: 'api_key.created',
      subjectType: 'api_key',
      subjectId: `subject-${i}`,
      details: { role: 'trader', nested: { b: 1, a: [1, 2] } },
      requestId: i % 3 ? `req-${i}` : null,
    };
    const hash = auditHash(prev, content);
    rows.push({ ...content, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

function verify(rows: AuditRow[], anchor?: { seq: bigint; hash: string }) {
  const v = new ChainVerifier(anchor ?? null);
  // Fed in uneven batches, as the service pages through the table.
  v.feed(rows.slice(0, 3));
  v.feed(rows.slice(3));
  return v.verdict();
}

describe('audit hash chain', () => {
  it('accepts an intact chain and reports its head', () => {
    const rows = chain(10);
    const verdict = verify(rows);
    expect(verdict).toMatchObject({ ok: true, rowsChecked: 10, firstBadSeq: null });
    expect(verdict.head).toEqual({ seq: 10n, hash: rows[9]!.hash });
  });

  it('accepts an empty chain', () => {
    expect(verify([])).toMatchObject({ ok: true, rowsChecked: 0, head: null });
  });

  it('does not depend on the key order of details', () => {
    const [row] = chain(1);
    const reordered = { ...row!, details: { nested: { a: [1, 2], b: 1 }, role: 'trader' } };
    expect(auditHash(GENESIS_HASH, reordered)).toBe(row!.hash);
  });

  it.each([
    ['action', (r: AuditRow) => ({ ...r, action: 'api_key.revoked' })],
    ['details', (r: AuditRow) => ({ ...r, details: { role: 'admin' } })],
    ['time', (r: AuditRow) => ({ ...r, at: new Date(r.at.getTime() + 1) })],
    ['organisation', (r: AuditRow) => ({ ...r, orgId: '00000000-0000-4000-8000-000000000000' })],
  ])('finds the first row whose %s was altered', (_what, alter) => {
    const rows = chain(8);
    rows[4] = alter(rows[4]!);
    expect(verify(rows)).toMatchObject({ ok: false, firstBadSeq: 5n });
  });

  it('finds a row re-hashed after alteration, by the next row pointing elsewhere', () => {
    const rows = chain(6);
    const forged = { ...rows[2]!, action: 'forged' };
    rows[2] = { ...forged, hash: auditHash(forged.prevHash, forged) };
    expect(verify(rows)).toMatchObject({ ok: false, firstBadSeq: 4n });
  });

  it('finds a deleted row and swapped rows', () => {
    const deleted = chain(6);
    deleted.splice(2, 1);
    expect(verify(deleted)).toMatchObject({ ok: false, firstBadSeq: 3n });
    const swapped = chain(6);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    expect(verify(swapped)).toMatchObject({ ok: false, firstBadSeq: 2n });
  });

  it('finds a cut-off tail through the anchor of an earlier verification', () => {
    const rows = chain(9);
    const anchor = verify(rows).head!;
    expect(verify(rows, anchor).ok).toBe(true);
    expect(verify(rows.slice(0, 7), anchor)).toMatchObject({ ok: false, firstBadSeq: 9n });
    expect(verify([...rows, ...chain(10).slice(9)], anchor).ok).toBe(true);
  });
});
