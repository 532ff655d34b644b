/** What an API key may do inside its organisation (API.md "Identity"). */
export const ROLES = ['admin', 'trader', 'finance', 'ops', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is calling. The platform admin token acts as an admin of the platform organisation;
 * keys of the platform organisation act across every organisation within their role.
 */
export interface Actor {
  readonly kind: 'platform_admin_token' | 'api_key';
  readonly orgId: string;
  readonly role: Role;
  /** The API key's id; null for the platform admin token. */
  readonly keyId: string | null;
  /** True when the actor belongs to the platform organisation (the operator). */
  readonly isPlatform: boolean;
  /** Idempotency keys are per caller organisation (or the admin token). */
  readonly idempotencyScope: string;
}

export const isPlatformAdmin = (a: Actor): boolean => a.isPlatform && a.role === 'admin';

/** The organisation a query of organisation-owned rows is limited to; null: all (platform). */
export const orgScope = (a: Actor): string | null => (a.isPlatform ? null : a.orgId);

/** Whether the actor may see or act on rows of `orgId` at all (404 otherwise: existence would leak). */
export const canSeeOrg = (a: Actor, orgId: string): boolean => a.isPlatform || a.orgId === orgId;

export const auditActor = (a: Actor): { type: string; id: string } =>
  a.kind === 'platform_admin_token' ? { type: 'platform_admin', id: 'platform-admin-token' } : { type: 'api_key', id: a.keyId! };
