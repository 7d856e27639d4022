import type { PoolClient } from 'pg';
import type {
  ApiKeyRecord,
  CheckpointRecord,
  OrgKeyRecord,
  OrgRecord,
  ProjectRecord,
} from '../../store/records.js';
import type { TenancyStore } from '../../store/tenancy-port.js';
import { toApiKey, toOrg, toOrgKey, toProject, type Row } from '../row-mappers.js';
import { insertCheckpoints } from './appends.js';

// TenancyStore for PostgreSQL (projects, API keys, orgs and their signing keys):
// the adapter (postgres-store.ts) delegates here.

/** Projects, API keys and orgs on PostgreSQL: single statements, and one transaction per new org. */
export class PostgresTenancy implements TenancyStore {
  constructor(
    private readonly rows: (text: string, values?: readonly unknown[]) => Promise<Row[]>,
    private readonly transaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  async countProjects(): Promise<number> {
    return (await this.rows('SELECT count(*) AS n FROM projects'))[0]!.n as number;
  }

  async insertProject(p: ProjectRecord): Promise<void> {
    await this.rows('INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)', [
      p.id,
      p.name,
      p.createdAt,
    ]);
  }

  async getProject(id: string): Promise<ProjectRecord | null> {
    const row = (await this.rows('SELECT * FROM projects WHERE id = $1', [id]))[0];
    return row ? toProject(row) : null;
  }

  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    await this.rows(
      'INSERT INTO api_keys (id, project_id, name, prefix, secret_hash, scopes, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)',
      [
        k.id,
        k.projectId,
        k.name,
        k.prefix,
        k.secretHash,
        JSON.stringify(k.scopes),
        k.createdAt,
        k.revokedAt,
      ],
    );
  }

  async findApiKeyBySecretHash(secretHash: string): Promise<ApiKeyRecord | null> {
    const row = (await this.rows('SELECT * FROM api_keys WHERE secret_hash = $1', [secretHash]))[0];
    return row ? toApiKey(row) : null;
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.rows(
      'SELECT * FROM api_keys WHERE project_id = $1 ORDER BY created_at, id',
      [projectId],
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(projectId: string, id: string, at: number): Promise<ApiKeyRecord | null> {
    const row = (
      await this.rows(
        'UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE project_id = $2 AND id = $3 RETURNING *',
        [at, projectId, id],
      )
    )[0];
    return row ? toApiKey(row) : null;
  }

  async createOrg(
    org: OrgRecord,
    key: OrgKeyRecord,
    checkpoint: CheckpointRecord,
  ): Promise<{ org: OrgRecord; created: boolean }> {
    return this.transaction(async (c) => {
      // ON CONFLICT waits for a concurrent creator of the same external id to
      // commit and then does nothing; under READ COMMITTED the next statement
      // sees that org.
      const inserted = await c.query(
        `INSERT INTO orgs (id, project_id, external_id, name, metadata, created_at, tree_size, head_hash, root_hash)
         VALUES ($1, $2, $3, $4, $5::json, $6, $7, $8, $9)
         ON CONFLICT (project_id, external_id) DO NOTHING`,
        [
          org.id,
          org.projectId,
          org.externalId,
          org.name,
          JSON.stringify(org.metadata),
          org.createdAt,
          org.treeSize,
          org.headHash,
          org.rootHash,
        ],
      );
      if (inserted.rowCount !== 1) {
        const existing = (
          await c.query<Row>('SELECT * FROM orgs WHERE project_id = $1 AND external_id = $2', [
            org.projectId,
            org.externalId,
          ])
        ).rows[0];
        if (!existing) throw new Error(`createOrg: ${org.externalId} conflicted but is not there`);
        return { org: toOrg(existing), created: false };
      }
      await c.query(
        'INSERT INTO org_keys (org_id, key_id, public_key, sealed_seed, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [key.orgId, key.keyId, key.publicKey, key.sealedSeed, key.createdAt, key.retiredAt],
      );
      await insertCheckpoints(c, [checkpoint]);
      return { org, created: true };
    });
  }

  async findOrg(projectId: string, idOrExternalId: string): Promise<OrgRecord | null> {
    // The id wins when another org's external id happens to equal it.
    const row = (
      await this.rows(
        'SELECT * FROM orgs WHERE project_id = $1 AND (id = $2 OR external_id = $2) ORDER BY id = $2 DESC LIMIT 1',
        [projectId, idOrExternalId],
      )
    )[0];
    return row ? toOrg(row) : null;
  }

  async getOrgById(orgId: string): Promise<OrgRecord | null> {
    const row = (await this.rows('SELECT * FROM orgs WHERE id = $1', [orgId]))[0];
    return row ? toOrg(row) : null;
  }

  async listOrgs(
    projectId: string,
    options: { limit: number; afterId?: string },
  ): Promise<OrgRecord[]> {
    const rows = await this.rows(
      'SELECT * FROM orgs WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3',
      [projectId, options.afterId ?? '', options.limit],
    );
    return rows.map(toOrg);
  }

  async listOrgKeys(orgId: string): Promise<OrgKeyRecord[]> {
    const rows = await this.rows(
      'SELECT * FROM org_keys WHERE org_id = $1 ORDER BY created_at, key_id',
      [orgId],
    );
    return rows.map(toOrgKey);
  }
}
