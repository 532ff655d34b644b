import { canonicalJson, sha256Hex } from '@app/platform';

/**
 * The audit log is a hash chain: each row stores the previous row's hash and
 * sha256(prev_hash + "\n" + canonical JSON of its own content). Changing, removing or
 * re-ordering any row breaks every hash after it, so a verifier that recomputes the chain
 * finds the first row that was touched, even one changed behind the append-only trigger.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditContent {
  readonly seq: bigint;
  readonly at: Date;
  readonly actorType: string;
  readonly actorId: string;
  readonly orgId: string | null;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly requestId: string | null;
}

export interface AuditRow extends AuditContent {
  readonly prevHash: string;
  readonly hash: string;
}

export function auditHash(prevHash: string, c: AuditContent): string {
  return sha256Hex(
    `${prevHash}\n${canonicalJson({
      seq: c.seq.toString(),
      at: c.at.toISOString(),
      actorType: c.actorType,
      actorId: c.actorId,
      orgId: c.orgId,
      action: c.action,
      subjectType: c.subjectType,
      subjectId: c.subjectId,
      details: c.details,
      requestId: c.requestId,
    })}`,
  );
}

export interface ChainVerdict {
  readonly ok: boolean;
  readonly rowsChecked: number;
  readonly firstBadSeq: bigint | null;
  readonly reason: string | null;
  /** The last row checked, to anchor the next verification (detects a cut-off tail). */
  readonly head: { seq: bigint; hash: string } | null;
}

/**
 * Checks rows fed in ascending seq order, one batch at a time, without holding them all.
 * `anchor`, when given, is a head an earlier verification saw: the chain must still hold it.
 */
export class ChainVerifier {
  private expectedSeq = 1n;
  private prevHash = GENESIS_HASH;
  private checked = 0;
  private failure: { seq: bigint; reason: string } | null = null;
  private anchorSeen = false;

  constructor(private readonly anchor: { seq: bigint; hash: string } | null = null) {}

  feed(rows: Iterable<AuditRow>): void {
    for (const row of rows) {
      if (this.failure) return;
      this.checked++;
      if (row.seq !== this.expectedSeq) {
        return this.fail(this.expectedSeq, `row ${this.expectedSeq} is missing (found ${row.seq} next)`);
      }
      if (row.prevHash !== this.prevHash) return this.fail(row.seq, `row ${row.seq} does not point at the hash of the row before it`);
      if (auditHash(row.prevHash, row) !== row.hash) return this.fail(row.seq, `row ${row.seq} was altered: its content does not match its hash`);
      if (this.anchor && row.seq === this.anchor.seq) {
        if (row.hash !== this.anchor.hash) return this.fail(row.seq, `row ${row.seq} differs from the one verified before`);
        this.anchorSeen = true;
      }
      this.prevHash = row.hash;
      this.expectedSeq = row.seq + 1n;
    }
  }

  verdict(): ChainVerdict {
    if (!this.failure && this.anchor && !this.anchorSeen) {
      this.fail(this.anchor.seq, `rows up to ${this.anchor.seq} were verified before but are gone`);
    }
    const last = this.expectedSeq - 1n;
    return {
      ok: this.failure === null,
      rowsChecked: this.checked,
      firstBadSeq: this.failure?.seq ?? null,
      reason: this.failure?.reason ?? null,
      head: this.failure || last === 0n ? null : { seq: last, hash: this.prevHash },
    };
  }

  private fail(seq: bigint, reason: string): void {
    this.failure ??= { seq, reason };
  }
}
