/** The five Regional Internet Registries (DOMAIN.md "Words"). */
export const RIRS = ['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'] as const;
export type Rir = (typeof RIRS)[number];

export function isRir(value: unknown): value is Rir {
  return typeof value === 'string' && (RIRS as readonly string[]).includes(value);
}

/**
 * Where each RIR has its seat: the sandbox's default `country` of a network it registers
 * when none is given (RDAP's `country` is the registrant's, which is usually in the region).
 */
export const RIR_HOME_COUNTRY: Readonly<Record<Rir, string>> = {
  ARIN: 'US',
  RIPE: 'NL',
  APNIC: 'AU',
  LACNIC: 'BR',
  AFRINIC: 'ZA',
};

/**
 * Each RIR's whois server. Real RDAP answers carry it as `port43`, so it names the registry
 * that answered even when every lookup goes to one server (the sandbox).
 */
export const RIR_WHOIS: Readonly<Record<Rir, string>> = {
  ARIN: 'whois.arin.net',
  RIPE: 'whois.ripe.net',
  APNIC: 'whois.apnic.net',
  LACNIC: 'whois.lacnic.net',
  AFRINIC: 'whois.afrinic.net',
};

/** The RIR whose whois server this is, or null. */
export function rirOfPort43(port43: string | undefined): Rir | null {
  if (!port43) return null;
  const host = port43.trim().toLowerCase().replace(/\.$/, '');
  return RIRS.find((r) => RIR_WHOIS[r] === host) ?? null;
}

/**
 * Org handles as RIRs issue them: letters, digits and '-', '_', '.' (ARIN `EXAMPLE-1`,
 * RIPE `ORG-EX1-RIPE`). Registries treat them case-insensitively; we keep them upper-case.
 */
export const HANDLE_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

export function normaliseHandle(handle: string): string {
  return handle.toUpperCase();
}
