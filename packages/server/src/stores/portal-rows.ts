import type {
  PortalLinkRecord,
  PortalPermission,
  PortalSessionRecord,
  ProjectBranding,
} from '../store/portal-port.js';
import type { Row } from './row-mappers.js';

// Row → record mappings of the portal tables, shared by both adapters
// (stores/<kind>/portal.ts): same column names, permissions as comma-joined text.

/** Permissions as stored: the list joined by commas, in the order given. */
export function joinPermissions(permissions: readonly PortalPermission[]): string {
  return permissions.join(',');
}

function splitPermissions(text: unknown): PortalPermission[] {
  return (text as string).split(',').filter(Boolean) as PortalPermission[];
}

export function toBranding(row: Row): ProjectBranding {
  return {
    id: row.id as string,
    name: row.name as string,
    logoUrl: (row.logo_url as string | null) ?? null,
    accentColor: (row.accent_color as string | null) ?? null,
    createdAt: row.created_at as number,
  };
}

export function toPortalLink(row: Row): PortalLinkRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    orgId: row.org_id as string,
    tokenHash: row.token_hash as string,
    permissions: splitPermissions(row.permissions),
    sessionTtl: row.session_ttl as number,
    createdAt: row.created_at as number,
    expiresAt: row.expires_at as number,
    usedAt: (row.used_at as number | null) ?? null,
  };
}

export function toPortalSession(row: Row): PortalSessionRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    orgId: row.org_id as string,
    linkId: row.link_id as string,
    permissions: splitPermissions(row.permissions),
    tokenHash: row.token_hash as string,
    createdAt: row.created_at as number,
    expiresAt: row.expires_at as number,
    revokedAt: (row.revoked_at as number | null) ?? null,
  };
}
