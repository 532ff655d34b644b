import type { Rir } from '../domain/rir.js';

/**
 * The changes a lease makes at its RIR, and the interface every RIR's gateway offers for
 * them. The sandbox gateway writes to the stand-in registry; a live one would call the
 * RIR's API (ARIN Reg-RWS, the RIPE Database REST API, ...) behind the same interface.
 */
export const REGISTRY_CHANGE_KINDS = ['roa', 'route', 'assignment'] as const;
export type RegistryChangeKind = (typeof REGISTRY_CHANGE_KINDS)[number];

export interface RegistryChangeSpec {
  readonly rir: Rir;
  readonly kind: RegistryChangeKind;
  /** The leased unit, such as '45.91.20.0/24' (normalised CIDR text). */
  readonly prefix: string;
  /** The lessee's origin AS: the ROA's and the route object's ASN. */
  readonly asn: number;
  /** The end user named on the sub-assignment (the lessee). */
  readonly customer: { readonly handle: string; readonly name: string };
}

/** What a registry answered to a write. */
export type RegistryWriteOutcome =
  /** The change is in place (create) or gone (remove): now, or it already was. */
  | { readonly kind: 'done'; readonly alreadyInPlace: boolean; readonly evidence: Record<string, unknown> }
  /** Refused for good (policy, authorisation): retrying will not help. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly evidence: Record<string, unknown> };

/** The registry could not be reached or answered 5xx: worth retrying with backoff. */
export class RegistryUnavailableError extends Error {
  override readonly name = 'RegistryUnavailableError';
}

export interface RegistryGateway {
  readonly rir: Rir;
  /** Whether the change is in place at the registry now (a read; never writes). */
  isInPlace(change: RegistryChangeSpec): Promise<boolean>;
  /** Makes the change. Callers ask isInPlace first, so that a retry after a crash never writes twice. */
  create(change: RegistryChangeSpec): Promise<RegistryWriteOutcome>;
  /** Undoes the change. */
  remove(change: RegistryChangeSpec): Promise<RegistryWriteOutcome>;
}

/**
 * What the outside world shows of a lease's changes, read the way a network operator would:
 * RDAP (is the lessee the registrant of the unit's network?), the published VRPs (is there a
 * ROA for the lessee's ASN on exactly this prefix?) and the IRR (is there a route object?).
 */
export interface RegistryObservation {
  readonly assignment: boolean;
  readonly roa: boolean;
  readonly route: boolean;
  readonly evidence: Record<string, unknown>;
}
