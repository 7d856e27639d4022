import type {
  ApiKeyRecord,
  CheckpointRecord,
  OrgKeyRecord,
  OrgRecord,
  ProjectRecord,
} from './records.js';

// Tenancy (API.md "Tenancy and auth", "Orgs and keys"): projects, their API
// keys (stored hashed, never the secret) and their orgs with their signing
// keys. Times are milliseconds since the epoch on the caller's clock.

/** The tenancy part of Store, which every adapter implements in its tenancy.ts. */
export interface TenancyStore {
  countProjects(): Promise<number>;
  insertProject(project: ProjectRecord): Promise<void>;
  getProject(id: string): Promise<ProjectRecord | null>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyBySecretHash(secretHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(projectId: string): Promise<ApiKeyRecord[]>;
  /** Sets revoked_at once; returns the key as stored, or null when not in the project. */
  revokeApiKey(projectId: string, id: string, at: number): Promise<ApiKeyRecord | null>;

  /**
   * Creates the org with its first signing key and its size-0 checkpoint, in
   * one transaction. When the project already has that external id, nothing
   * is written and the existing org is returned with `created: false`.
   */
  createOrg(
    org: OrgRecord,
    key: OrgKeyRecord,
    checkpoint: CheckpointRecord,
  ): Promise<{ org: OrgRecord; created: boolean }>;
  /** Looks an org up by id or by external id, within one project. */
  findOrg(projectId: string, idOrExternalId: string): Promise<OrgRecord | null>;
  getOrgById(orgId: string): Promise<OrgRecord | null>;
  listOrgs(projectId: string, options: { limit: number; afterId?: string }): Promise<OrgRecord[]>;
  listOrgKeys(orgId: string): Promise<OrgKeyRecord[]>;
}
