import type Database from 'better-sqlite3';
import type {
  ApiKeyRecord,
  CheckpointRecord,
  OrgKeyRecord,
  OrgRecord,
  ProjectRecord,
} from '../../store/records.js';
import type { TenancyStore } from '../../store/tenancy-port.js';
import { toApiKey, toOrg, toOrgKey, toProject, type Row } from '../row-mappers.js';
import { INSERT_CHECKPOINT } from './append-sql.js';

// TenancyStore for SQLite (projects, API keys, orgs and their signing keys):
// the adapter (sqlite-store.ts) delegates here.

function prepare(db: Database.Database) {
  return {
    countProjects: db.prepare('SELECT count(*) AS n FROM projects'),
    insertProject: db.prepare('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)'),
    getProject: db.prepare('SELECT * FROM projects WHERE id = ?'),
    insertApiKey: db.prepare(
      'INSERT INTO api_keys (id, project_id, name, prefix, secret_hash, scopes, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    findApiKey: db.prepare('SELECT * FROM api_keys WHERE secret_hash = ?'),
    listApiKeys: db.prepare('SELECT * FROM api_keys WHERE project_id = ? ORDER BY created_at, id'),
    revokeApiKey: db.prepare(
      'UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE project_id = ? AND id = ?',
    ),
    getApiKey: db.prepare('SELECT * FROM api_keys WHERE project_id = ? AND id = ?'),
    insertOrg: db.prepare(
      'INSERT INTO orgs (id, project_id, external_id, name, metadata, created_at, tree_size, head_hash, root_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    findOrgByExternalId: db.prepare('SELECT * FROM orgs WHERE project_id = ? AND external_id = ?'),
    findOrgById: db.prepare('SELECT * FROM orgs WHERE project_id = ? AND id = ?'),
    getOrgById: db.prepare('SELECT * FROM orgs WHERE id = ?'),
    listOrgs: db.prepare('SELECT * FROM orgs WHERE project_id = ? AND id > ? ORDER BY id LIMIT ?'),
    insertOrgKey: db.prepare(
      'INSERT INTO org_keys (org_id, key_id, public_key, sealed_seed, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    listOrgKeys: db.prepare('SELECT * FROM org_keys WHERE org_id = ? ORDER BY created_at, key_id'),
    insertCheckpoint: db.prepare(INSERT_CHECKPOINT),
  };
}

export class SqliteTenancy implements TenancyStore {
  readonly #db: Database.Database;
  readonly #s: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = prepare(db);
  }

  async countProjects(): Promise<number> {
    return (this.#s.countProjects.get() as Row).n as number;
  }

  async insertProject(p: ProjectRecord): Promise<void> {
    this.#s.insertProject.run(p.id, p.name, p.createdAt);
  }

  async getProject(id: string): Promise<ProjectRecord | null> {
    const row = this.#s.getProject.get(id) as Row | undefined;
    return row ? toProject(row) : null;
  }

  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    this.#s.insertApiKey.run(
      k.id,
      k.projectId,
      k.name,
      k.prefix,
      k.secretHash,
      JSON.stringify(k.scopes),
      k.createdAt,
      k.revokedAt,
    );
  }

  async findApiKeyBySecretHash(secretHash: string): Promise<ApiKeyRecord | null> {
    const row = this.#s.findApiKey.get(secretHash) as Row | undefined;
    return row ? toApiKey(row) : null;
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRecord[]> {
    return (this.#s.listApiKeys.all(projectId) as Row[]).map(toApiKey);
  }

  async revokeApiKey(projectId: string, id: string, at: number): Promise<ApiKeyRecord | null> {
    this.#s.revokeApiKey.run(at, projectId, id);
    const row = this.#s.getApiKey.get(projectId, id) as Row | undefined;
    return row ? toApiKey(row) : null;
  }

  async createOrg(
    org: OrgRecord,
    key: OrgKeyRecord,
    checkpoint: CheckpointRecord,
  ): Promise<{ org: OrgRecord; created: boolean }> {
    const s = this.#s;
    return this.#db
      .transaction(() => {
        const existing = s.findOrgByExternalId.get(org.projectId, org.externalId) as
          Row | undefined;
        if (existing) return { org: toOrg(existing), created: false };
        s.insertOrg.run(
          org.id,
          org.projectId,
          org.externalId,
          org.name,
          JSON.stringify(org.metadata),
          org.createdAt,
          org.treeSize,
          org.headHash,
          org.rootHash,
        );
        s.insertOrgKey.run(
          key.orgId,
          key.keyId,
          key.publicKey,
          key.sealedSeed,
          key.createdAt,
          key.retiredAt,
        );
        s.insertCheckpoint.run(
          checkpoint.orgId,
          checkpoint.treeSize,
          checkpoint.rootHash,
          checkpoint.note,
          checkpoint.keyId,
          checkpoint.createdAt,
        );
        return { org, created: true };
      })
      .immediate();
  }

  async findOrg(projectId: string, idOrExternalId: string): Promise<OrgRecord | null> {
    const row = (this.#s.findOrgById.get(projectId, idOrExternalId) ??
      this.#s.findOrgByExternalId.get(projectId, idOrExternalId)) as Row | undefined;
    return row ? toOrg(row) : null;
  }

  async getOrgById(orgId: string): Promise<OrgRecord | null> {
    const row = this.#s.getOrgById.get(orgId) as Row | undefined;
    return row ? toOrg(row) : null;
  }

  async listOrgs(
    projectId: string,
    options: { limit: number; afterId?: string },
  ): Promise<OrgRecord[]> {
    return (this.#s.listOrgs.all(projectId, options.afterId ?? '', options.limit) as Row[]).map(
      toOrg,
    );
  }

  async listOrgKeys(orgId: string): Promise<OrgKeyRecord[]> {
    return (this.#s.listOrgKeys.all(orgId) as Row[]).map(toOrgKey);
  }
}
