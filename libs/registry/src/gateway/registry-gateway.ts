import type { Rir } from '../domain/rir.js';

/**
 * The changes a lease makes at its RIR, the transfers a sale makes, and the interface every
 * RIR's gateway offers for them. The sandbox gateway writes to the stand-in registry; a live
 * one would call the RIR's API (ARIN Reg-RWS, the RIPE Database REST API, ...) behind the
 * same interface.
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

  /**
   * Asks the registry to transfer a prefix from one holder's account to another's. Send it to
   * the source RIR's gateway (the destination's is accepted too: an inter-RIR request involves
   * both). Idempotent by `reference`: a second submission, after a crash between the
   * registry's write and ours, answers the first request's ticket (`alreadySubmitted`) or its
   * rejection, and never files a second request.
   */
  submitTransfer(request: TransferRequest): Promise<TransferSubmission>;
  /** The request's state now. Throws UnknownTransferTicketError for a ticket the registry never issued. */
  transferStatus(ticket: string): Promise<TransferStatus>;
  /**
   * Answers the registry's request for information (status 'info_requested'): the request is
   * pending again, and the registry's next answer follows. A no-op in any other state.
   */
  provideTransferInformation(ticket: string, note: string): Promise<TransferStatus>;
}

/** A transfer request as a registry receives it. Handles are org handles at the RIRs. */
export interface TransferRequest {
  /** Our reference for the request: the transfer's id. One request per reference, for good. */
  readonly reference: string;
  /** Normalised CIDR text, such as '45.91.20.0/22'. */
  readonly prefix: string;
  readonly sourceRir: Rir;
  readonly destinationRir: Rir;
  /** The seller's account at the source RIR (the registrant today). */
  readonly fromHandle: string;
  /** The buyer's account at the destination RIR. */
  readonly toHandle: string;
}

export type TransferSubmission =
  /** The registry holds the request under `ticket`; it decides later (transferStatus). */
  | { readonly kind: 'submitted'; readonly ticket: string; readonly alreadySubmitted: boolean; readonly evidence: Record<string, unknown> }
  /** Refused on receipt (the seller is not the registrant, no such account...), for good. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly evidence: Record<string, unknown> };

/**
 * pending: waiting for the registry; info_requested: it asks for information (`reason` says
 * what) and waits for provideTransferInformation; approved: approved, the registry not yet
 * updated; completed: RDAP shows the buyer (final); rejected: refused (`reason`; final).
 */
export const REGISTRY_TRANSFER_STATUSES = ['pending', 'info_requested', 'approved', 'completed', 'rejected'] as const;
export type RegistryTransferStatus = (typeof REGISTRY_TRANSFER_STATUSES)[number];

export interface TransferStatus {
  readonly status: RegistryTransferStatus;
  readonly reason?: string;
  readonly evidence: Record<string, unknown>;
}

/** A ticket the registry never issued (or issued by another registry): a caller's bug, not an answer. */
export class UnknownTransferTicketError extends Error {
  override readonly name = 'UnknownTransferTicketError';
}

/**
 * What the outside world shows of a lease's changes, read the way a network operator would:
 * RDAP (is the lessee the registrant of the unit's network?), the published VRPs (is there a
 * ROA for the lessee's ASN on exactly this prefix?) and the IRR (is there a route object?).
 */
export interface RegistryObservation {
  readonly assignment: boolean;
  readonly roa: boolean;
  /** When the ROA lapses, as the published VRPs say (null: not said, or no ROA). */
  readonly roaExpiresAt: Date | null;
  readonly route: boolean;
  readonly evidence: Record<string, unknown>;
}
