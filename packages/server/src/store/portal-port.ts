// The customer portal (API.md "Portal and widget"): project branding,
// single-use portal links and the cookie sessions they are traded for.
// Times are milliseconds since the epoch on the caller's clock.

/** What a portal session may do beyond reading its org's log (`view`, always granted). */
export const PORTAL_PERMISSIONS = ['view', 'verify', 'export', 'webhooks'] as const;
export type PortalPermission = (typeof PORTAL_PERMISSIONS)[number];

/** The project as the portal shows it: its name and branding. */
export interface ProjectBranding {
  readonly id: string;
  readonly name: string;
  /** An https URL, or null for none. */
  readonly logoUrl: string | null;
  /** `#rrggbb`, or null for the portal's default. */
  readonly accentColor: string | null;
  readonly createdAt: number;
}

/** What PATCH /v1/project may change; absent members are left alone, null clears. */
export interface BrandingPatch {
  readonly name?: string;
  readonly logoUrl?: string | null;
  readonly accentColor?: string | null;
}

/** A portal link as stored: only the SHA-256 of its token, never the token. */
export interface PortalLinkRecord {
  readonly id: string;
  readonly projectId: string;
  readonly orgId: string;
  /** SHA-256 (hex) of the whole `lp_pt_...` token. */
  readonly tokenHash: string;
  readonly permissions: readonly PortalPermission[];
  /** Lifetime of the session the link opens, in seconds. */
  readonly sessionTtl: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Set once, by the one open that consumed it. */
  readonly usedAt: number | null;
}

/** A portal session as stored: only the SHA-256 of its cookie value. */
export interface PortalSessionRecord {
  readonly id: string;
  readonly projectId: string;
  readonly orgId: string;
  /** The link it was opened with. */
  readonly linkId: string;
  readonly permissions: readonly PortalPermission[];
  /** SHA-256 (hex) of the 32 cookie bytes. */
  readonly tokenHash: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

/**
 * Branding, portal links and portal sessions. Implemented in
 * stores/<kind>/portal.ts; the adapters delegate to it, and both pass
 * test/store-portal-contract.ts.
 */
export interface PortalStore {
  /** The project's name and branding, or null when there is no such project. */
  getProjectBranding(projectId: string): Promise<ProjectBranding | null>;
  /** Applies the patch in one statement; the project as it now is, or null when absent. */
  updateProjectBranding(projectId: string, patch: BrandingPatch): Promise<ProjectBranding | null>;

  insertPortalLink(link: PortalLinkRecord): Promise<void>;
  /**
   * Marks the link with this token hash used at `now` and returns it, only
   * when it is unused and `expiresAt > now`; null otherwise. MUST be one
   * atomic statement: of any number of concurrent calls for one link, across
   * every process sharing the database, exactly one returns it.
   */
  consumePortalLink(tokenHash: string, now: number): Promise<PortalLinkRecord | null>;

  insertPortalSession(session: PortalSessionRecord): Promise<void>;
  /** The session with this cookie hash, whatever its state (the caller checks expiry and revocation). */
  findPortalSession(tokenHash: string): Promise<PortalSessionRecord | null>;
  /** Sets revoked_at once; false when there is no such session in the project. */
  revokePortalSession(projectId: string, id: string, at: number): Promise<boolean>;
}
