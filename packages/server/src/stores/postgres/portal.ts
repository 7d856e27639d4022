import type { Pool } from 'pg';
import type {
  BrandingPatch,
  PortalLinkRecord,
  PortalSessionRecord,
  PortalStore,
  ProjectBranding,
} from '../../store/portal-port.js';
import { joinPermissions, toBranding, toPortalLink, toPortalSession } from '../portal-rows.js';
import type { Row } from '../row-mappers.js';

// PortalStore for PostgreSQL: the adapter (postgres-store.ts) delegates here.
// Every method is one statement (one round trip, atomic on its own).

const UPDATE_BRANDING = `
UPDATE projects SET
  name = CASE WHEN $2 THEN $3 ELSE name END,
  logo_url = CASE WHEN $4 THEN $5 ELSE logo_url END,
  accent_color = CASE WHEN $6 THEN $7 ELSE accent_color END
WHERE id = $1
RETURNING id, name, logo_url, accent_color, created_at`;

const INSERT_LINK = `
INSERT INTO portal_links (id, project_id, org_id, token_hash, permissions, session_ttl,
  created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

/**
 * Single use under any concurrency: a second UPDATE of the row waits for the
 * first one's transaction, then re-evaluates the WHERE clause on the row as
 * committed (READ COMMITTED), sees used_at set and changes nothing.
 */
const CONSUME_LINK = `
UPDATE portal_links SET used_at = $1
WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING *`;

const INSERT_SESSION = `
INSERT INTO portal_sessions (id, project_id, org_id, link_id, permissions, token_hash,
  created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

export class PostgresPortal implements PortalStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async #rows(text: string, values: readonly unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(text, values as unknown[])).rows;
  }

  async getProjectBranding(projectId: string): Promise<ProjectBranding | null> {
    const row = (
      await this.#rows(
        'SELECT id, name, logo_url, accent_color, created_at FROM projects WHERE id = $1',
        [projectId],
      )
    )[0];
    return row ? toBranding(row) : null;
  }

  async updateProjectBranding(
    projectId: string,
    patch: BrandingPatch,
  ): Promise<ProjectBranding | null> {
    const row = (
      await this.#rows(UPDATE_BRANDING, [
        projectId,
        patch.name !== undefined,
        patch.name ?? null,
        patch.logoUrl !== undefined,
        patch.logoUrl ?? null,
        patch.accentColor !== undefined,
        patch.accentColor ?? null,
      ])
    )[0];
    return row ? toBranding(row) : null;
  }

  async insertPortalLink(l: PortalLinkRecord): Promise<void> {
    await this.#rows(INSERT_LINK, [
      l.id,
      l.projectId,
      l.orgId,
      l.tokenHash,
      joinPermissions(l.permissions),
      l.sessionTtl,
      l.createdAt,
      l.expiresAt,
      l.usedAt,
    ]);
  }

  async consumePortalLink(tokenHash: string, now: number): Promise<PortalLinkRecord | null> {
    const row = (await this.#rows(CONSUME_LINK, [now, tokenHash]))[0];
    return row ? toPortalLink(row) : null;
  }

  async insertPortalSession(s: PortalSessionRecord): Promise<void> {
    await this.#rows(INSERT_SESSION, [
      s.id,
      s.projectId,
      s.orgId,
      s.linkId,
      joinPermissions(s.permissions),
      s.tokenHash,
      s.createdAt,
      s.expiresAt,
      s.revokedAt,
    ]);
  }

  async findPortalSession(tokenHash: string): Promise<PortalSessionRecord | null> {
    const row = (
      await this.#rows('SELECT * FROM portal_sessions WHERE token_hash = $1', [tokenHash])
    )[0];
    return row ? toPortalSession(row) : null;
  }

  async revokePortalSession(projectId: string, id: string, at: number): Promise<boolean> {
    const result = await this.#pool.query(
      'UPDATE portal_sessions SET revoked_at = coalesce(revoked_at, $1) WHERE project_id = $2 AND id = $3',
      [at, projectId, id],
    );
    return result.rowCount === 1;
  }
}
