import type Database from 'better-sqlite3';
import type {
  BrandingPatch,
  PortalLinkRecord,
  PortalSessionRecord,
  PortalStore,
  ProjectBranding,
} from '../../store/portal-port.js';
import { joinPermissions, toBranding, toPortalLink, toPortalSession } from '../portal-rows.js';
import type { Row } from '../row-mappers.js';

// PortalStore for SQLite: the adapter (sqlite-store.ts) delegates here.

function prepare(db: Database.Database) {
  return {
    getBranding: db.prepare(
      'SELECT id, name, logo_url, accent_color, created_at FROM projects WHERE id = ?',
    ),
    // One statement: a member is changed only when its flag is set, so that
    // `null` (clear) and "absent" (keep) stay distinct.
    updateBranding: db.prepare(
      `UPDATE projects SET
         name = CASE WHEN @setName THEN @name ELSE name END,
         logo_url = CASE WHEN @setLogo THEN @logo ELSE logo_url END,
         accent_color = CASE WHEN @setAccent THEN @accent ELSE accent_color END
       WHERE id = @id
       RETURNING id, name, logo_url, accent_color, created_at`,
    ),
    insertLink: db.prepare(
      `INSERT INTO portal_links (id, project_id, org_id, token_hash, permissions, session_ttl,
         created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    consumeLink: db.prepare(
      `UPDATE portal_links SET used_at = ?
       WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING *`,
    ),
    insertSession: db.prepare(
      `INSERT INTO portal_sessions (id, project_id, org_id, link_id, permissions, token_hash,
         created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    findSession: db.prepare('SELECT * FROM portal_sessions WHERE token_hash = ?'),
    revokeSession: db.prepare(
      'UPDATE portal_sessions SET revoked_at = coalesce(revoked_at, ?) WHERE project_id = ? AND id = ?',
    ),
  };
}

export class SqlitePortal implements PortalStore {
  readonly #s: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.#s = prepare(db);
  }

  async getProjectBranding(projectId: string): Promise<ProjectBranding | null> {
    const row = this.#s.getBranding.get(projectId) as Row | undefined;
    return row ? toBranding(row) : null;
  }

  async updateProjectBranding(
    projectId: string,
    patch: BrandingPatch,
  ): Promise<ProjectBranding | null> {
    const row = this.#s.updateBranding.get({
      id: projectId,
      setName: patch.name === undefined ? 0 : 1,
      name: patch.name ?? null,
      setLogo: patch.logoUrl === undefined ? 0 : 1,
      logo: patch.logoUrl ?? null,
      setAccent: patch.accentColor === undefined ? 0 : 1,
      accent: patch.accentColor ?? null,
    }) as Row | undefined;
    return row ? toBranding(row) : null;
  }

  async insertPortalLink(l: PortalLinkRecord): Promise<void> {
    this.#s.insertLink.run(
      l.id,
      l.projectId,
      l.orgId,
      l.tokenHash,
      joinPermissions(l.permissions),
      l.sessionTtl,
      l.createdAt,
      l.expiresAt,
      l.usedAt,
    );
  }

  async consumePortalLink(tokenHash: string, now: number): Promise<PortalLinkRecord | null> {
    // One statement under SQLite's single write lock: a second consumer runs
    // after the first committed and finds used_at set.
    const row = this.#s.consumeLink.get(now, tokenHash, now) as Row | undefined;
    return row ? toPortalLink(row) : null;
  }

  async insertPortalSession(s: PortalSessionRecord): Promise<void> {
    this.#s.insertSession.run(
      s.id,
      s.projectId,
      s.orgId,
      s.linkId,
      joinPermissions(s.permissions),
      s.tokenHash,
      s.createdAt,
      s.expiresAt,
      s.revokedAt,
    );
  }

  async findPortalSession(tokenHash: string): Promise<PortalSessionRecord | null> {
    const row = this.#s.findSession.get(tokenHash) as Row | undefined;
    return row ? toPortalSession(row) : null;
  }

  async revokePortalSession(projectId: string, id: string, at: number): Promise<boolean> {
    return this.#s.revokeSession.run(at, projectId, id).changes === 1;
  }
}
