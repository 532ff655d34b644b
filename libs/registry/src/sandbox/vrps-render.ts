import { type Prefix, comparePrefixes, formatPrefix } from '@app/ipam';
import { asnText, trustAnchorOf } from '../domain/registry-objects.js';
import type { Rir } from '../domain/rir.js';

/**
 * The sandbox's ROAs as validated ROA payloads, in rpki-client's JSON export layout (pure):
 * `{ "metadata": { "buildtime", "roas" }, "roas": [ { "asn", "prefix", "maxLength", "ta", "expires" } ] }`.
 * Real validators read the same file from any rpki-client run.
 */
export interface SandboxRoaRow {
  readonly prefix: Prefix;
  readonly asn: number;
  readonly maxLength: number;
  readonly rir: Rir;
  readonly createdAt: Date;
  /** When the ROA lapses; null or absent: a year after it was made. */
  readonly expiresAt?: Date | null;
}

export interface VrpExportEntry {
  asn: string;
  prefix: string;
  maxLength: number;
  ta: string;
  /** Unix seconds: when the ROA's signing certificate would lapse (a year after it was made). */
  expires: number;
}

export interface VrpExport {
  metadata: { buildtime: string; roas: number };
  roas: VrpExportEntry[];
}

/** Ordered by prefix (address, then length), then ASN, then maxLength. */
export function renderVrps(rows: readonly SandboxRoaRow[], buildtime: Date): VrpExport {
  const roas = [...rows]
    .sort((a, b) => comparePrefixes(a.prefix, b.prefix) || a.asn - b.asn || a.maxLength - b.maxLength)
    .map((r) => ({ asn: asnText(r.asn), prefix: formatPrefix(r.prefix), maxLength: r.maxLength, ta: trustAnchorOf(r.rir), expires: r.expiresAt ? Math.floor(r.expiresAt.getTime() / 1000) : expiresAt(r.createdAt) }));
  return { metadata: { buildtime: buildtime.toISOString(), roas: roas.length }, roas };
}

function expiresAt(createdAt: Date): number {
  const expires = new Date(createdAt.getTime());
  expires.setUTCFullYear(expires.getUTCFullYear() + 1);
  return Math.floor(expires.getTime() / 1000);
}
