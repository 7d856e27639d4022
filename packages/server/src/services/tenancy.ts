import {
  GENESIS_PREVIOUS_HASH,
  emptyRoot,
  signCheckpoint,
  type CryptoProvider,
} from '@logproof/core';
import {
  displayPrefix,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
} from '../api-key-secret.js';
import { newId } from '../ids.js';
import type { ApiKeyRecord, OrgRecord, ProjectRecord, Scope } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { OrgKeys } from './org-keys.js';

export const DEFAULT_ORG_EXTERNAL_ID = 'default';
const AUTH_CACHE_MS = 5_000;

/** Projects, API keys and orgs. */
export class Tenancy {
  // Positive lookups are cached briefly so that a hot key costs no query per
  // request; a revocation in this process drops the entry at once, one in
  // another process takes effect within AUTH_CACHE_MS.
  readonly #authCache = new Map<string, { key: ApiKeyRecord; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly orgKeys: OrgKeys,
    private readonly crypto: CryptoProvider,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `logproof init`: a project, its default org and an admin key holding every scope. */
  async initProject(name = 'Default project'): Promise<{ project: ProjectRecord; apiKey: string }> {
    const project: ProjectRecord = { id: newId('proj'), name, createdAt: this.clock() };
    await this.store.insertProject(project);
    await this.createOrg(project.id, { externalId: DEFAULT_ORG_EXTERNAL_ID, name: 'Default org' });
    const { secret } = await this.createApiKey(project.id, 'admin (logproof init)', [
      'events:write',
      'events:read',
      'admin',
    ]);
    return { project, apiKey: secret };
  }

  async createApiKey(
    projectId: string,
    name: string,
    scopes: readonly Scope[],
  ): Promise<{ record: ApiKeyRecord; secret: string }> {
    const secret = generateApiKey();
    const record: ApiKeyRecord = {
      id: newId('key'),
      projectId,
      name,
      prefix: displayPrefix(secret),
      secretHash: hashApiKey(secret),
      scopes: [...new Set(scopes)],
      createdAt: this.clock(),
      revokedAt: null,
    };
    await this.store.insertApiKey(record);
    return { record, secret };
  }

  /** The active key for a bearer secret, or null (malformed, unknown or revoked). */
  async authenticate(secret: string): Promise<ApiKeyRecord | null> {
    if (!isWellFormedApiKey(secret)) return null;
    const hash = hashApiKey(secret);
    const now = this.clock();
    const cached = this.#authCache.get(hash);
    if (cached && cached.until > now) return cached.key;
    const key = await this.store.findApiKeyBySecretHash(hash);
    if (!key || key.revokedAt !== null) {
      this.#authCache.delete(hash);
      return null;
    }
    if (this.#authCache.size > 10_000) this.#authCache.clear();
    this.#authCache.set(hash, { key, until: now + AUTH_CACHE_MS });
    return key;
  }

  async revokeApiKey(projectId: string, id: string): Promise<ApiKeyRecord | null> {
    const key = await this.store.revokeApiKey(projectId, id, this.clock());
    if (key) this.#authCache.delete(key.secretHash);
    return key;
  }

  /**
   * Creates an org with its signing key and a signed size-0 checkpoint, or
   * returns the project's org with that external id (`created: false`).
   */
  async createOrg(
    projectId: string,
    input: { externalId: string; name: string; metadata?: Record<string, string> },
  ): Promise<{ org: OrgRecord; created: boolean }> {
    const existing = await this.store.findOrg(projectId, input.externalId);
    if (existing && existing.externalId === input.externalId)
      return { org: existing, created: false };
    const now = this.clock();
    const id = newId('org', now);
    const { record: key, signer } = this.orgKeys.createKey(id, now);
    const root = emptyRoot(this.crypto);
    const origin = this.orgKeys.originOf(id);
    const checkpoint = { origin, treeSize: 0, rootHash: root, extensions: [] };
    const org: OrgRecord = {
      id,
      projectId,
      externalId: input.externalId,
      name: input.name,
      metadata: input.metadata ?? {},
      createdAt: now,
      treeSize: 0,
      headHash: GENESIS_PREVIOUS_HASH,
      rootHash: root,
    };
    return this.store.createOrg(org, key, {
      orgId: id,
      treeSize: 0,
      rootHash: root,
      note: signCheckpoint(checkpoint, signer),
      keyId: signer.keyIdHex,
      createdAt: now,
    });
  }

  findOrg(projectId: string, ref: string): Promise<OrgRecord | null> {
    return this.store.findOrg(projectId, ref);
  }
}
