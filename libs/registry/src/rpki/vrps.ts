import { z } from 'zod';

/**
 * Validated ROA payloads in rpki-client's JSON export (`vrps.json`, also served by the
 * sandbox): `{ "metadata": {...}, "roas": [ { "asn", "prefix", "maxLength", "ta", "expires" } ] }`.
 * Pure parsing: the file decides which origins routers accept, so it is validated, not trusted.
 */
export interface Vrp {
  readonly asn: number;
  /** As the export writes it ('45.91.20.0/24'; real exports hold IPv6 prefixes too). */
  readonly prefix: string;
  readonly maxLength: number;
  /** The trust anchor it validated under, lower-case ('arin', 'ripe', ...). */
  readonly ta: string;
  /** When the ROA lapses (rpki-client's `expires`, Unix seconds), when the export says. */
  readonly expires?: Date;
}

const MAX_ASN = 4294967295;

// rpki-client wrote "AS64500" in older releases and writes 64500 in newer ones.
const asn = z.union([
  z.number().int().min(0).max(MAX_ASN),
  z
    .string()
    .regex(/^AS(0|[1-9][0-9]{0,9})$/i, 'must be an AS number such as AS64500')
    .transform((v) => Number(v.slice(2)))
    .pipe(z.number().max(MAX_ASN)),
]);

const roa = z.looseObject({
  asn,
  prefix: z.string().min(2).max(64).regex(/^[0-9A-Fa-f.:]+\/[0-9]{1,3}$/, 'must be a prefix such as 45.91.20.0/24'),
  maxLength: z.number().int().min(0).max(128),
  ta: z.string().min(1).max(64).transform((v) => v.toLowerCase()),
  expires: z.number().int().min(0).max(253402300799).optional(),
});

export const vrpExportSchema = z.looseObject({
  metadata: z.looseObject({ buildtime: z.string().optional(), roas: z.number().int().min(0).optional() }).optional(),
  roas: z.array(roa),
});

export type VrpParse = { readonly ok: true; readonly vrps: Vrp[] } | { readonly ok: false; readonly reason: string };

/** The VRPs of an export already parsed from JSON, or why it is not one. */
export function parseVrpExport(json: unknown): VrpParse {
  const parsed = vrpExportSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: first ? `${first.path.join('.') || '(root)'} ${first.message}` : 'invalid' };
  }
  return {
    ok: true,
    vrps: parsed.data.roas.map((r) => ({ asn: r.asn, prefix: r.prefix, maxLength: r.maxLength, ta: r.ta, ...(r.expires !== undefined ? { expires: new Date(r.expires * 1000) } : {}) })),
  };
}
