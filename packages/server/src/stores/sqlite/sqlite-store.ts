import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  ApiKeyRecord,
  CheckpointRecord,
  EventRecord,
  IdempotencyRecord,
  OrgKeyRecord,
  OrgRecord,
  ProjectRecord,
  Scope,
} from '../../store/records.js';
import type { AppendBuilder, AppendTarget, Store } from '../../store/store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SqliteLogReads } from './log-reads.js';
import { SqliteWebhooks } from './webhooks.js';
import { SqliteExports } from './exports.js';
import { SqlitePortal } from './portal.js';
import type {
  BrandingPatch,
  PortalLinkRecord,
  PortalSessionRecord,
} from '../../store/portal-port.js';
import type { ExportOutcome, ExportProgress, ExportRecord } from '../../store/export-port.js';
import type { EventFilter } from '../../query/event-filter.js';
import { listEvents } from './event-query.js';
import type { EventQuery } from '../../store/event-query-port.js';
import { SqliteAppends } from './appends.js';
import { openWriteConnection } from './connection.js';
import { INSERT_CHECKPOINT } from './append-sql.js';
import type {
  DeliveryAttemptRecord,
  DeliveryProgress,
  WebhookPatch,
  WebhookRecord,
} from '../../store/webhook-port.js';
import { toCheckpoint, toEvent, toOrgKey } from '../row-mappers.js';

// better-sqlite3 is synchronous. Each transaction here runs to completion
// without yielding, so no other request can slip a statement into it; that is
// what makes the embedded store safe without a connection pool.

type Row = Record<string, unknown>;

function toOrg(row: Row): OrgRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    externalId: row.external_id as string,
    name: row.name as string,
    metadata: JSON.parse(row.metadata as string) as Record<string, string>,
    createdAt: row.created_at as number,
    treeSize: row.tree_size as number,
    headHash: row.head_hash as Uint8Array,
    rootHash: row.root_hash as Uint8Array,
  };
}

function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    name: row.name as string,
    prefix: row.prefix as string,
    secretHash: row.secret_hash as string,
    scopes: JSON.parse(row.scopes as string) as Scope[],
    createdAt: row.created_at as number,
    revokedAt: (row.revoked_at as number | null) ?? null,
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database) {
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
    getEvent: db.prepare('SELECT * FROM events WHERE id = ? AND project_id = ?'),
    getTargets: db.prepare(
      'SELECT target_type, target_id FROM event_targets WHERE org_id = ? AND chain_index = ? ORDER BY position',
    ),
    readTreeHash: db.prepare('SELECT hash FROM tree_hashes WHERE org_id = ? AND idx = ?'),
    latestCheckpoint: db.prepare(
      'SELECT * FROM checkpoints WHERE org_id = ? ORDER BY tree_size DESC LIMIT 1',
    ),
    findIdempotency: db.prepare('SELECT * FROM idempotency_keys WHERE project_id = ? AND key = ?'),
  };
}

export interface SqliteStoreOptions {
  /** Path of the database file, or ':memory:'. */
  readonly filename: string;
  /**
   * Commit appends on a writer thread of their own (./append-writer.ts).
   * Default: true for a file, false for ':memory:' (which a second connection
   * cannot open).
   */
  readonly appendThread?: boolean;
  /** The writer thread's script, for tests; the compiled one by default. */
  readonly appendThreadScript?: URL;
  /**
   * Index an org's hashes once this many of its events are not indexed
   * (./hash-index.ts HASH_INDEX_CHUNK by default): for tests.
   */
  readonly hashIndexChunk?: number;
}

/** The embedded default store: one SQLite file, WAL, synchronous=FULL. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** The database file, or ':memory:'. */
  readonly filename: string;
  readonly #db: Database.Database;
  #stmts: Statements | undefined;
  #logReads: SqliteLogReads | undefined;
  #webhookStore: SqliteWebhooks | undefined;
  readonly #appends: SqliteAppends;

  constructor(options: SqliteStoreOptions) {
    if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
    this.filename = options.filename;
    this.#db = openWriteConnection(options.filename);
    this.#appends = new SqliteAppends(this.#db, {
      filename: options.filename,
      thread: options.appendThread ?? options.filename !== ':memory:',
      threadScript: options.appendThreadScript,
      hashIndexChunk: options.hashIndexChunk,
    });
  }

  /** Statements are prepared on first use, after migrations made the tables. */
  get #s(): Statements {
    this.#stmts ??= prepareStatements(this.#db);
    return this.#stmts;
  }

  /** Verification reads (./log-reads.ts), prepared on first use like #s. */
  get #reads(): SqliteLogReads {
    this.#logReads ??= new SqliteLogReads(this.#db);
    return this.#logReads;
  }

  async migrate(): Promise<{ applied: number[] }> {
    const db = this.#db;
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
    );
    const applied: number[] = [];
    // IMMEDIATE: a second process migrating the same file waits for the lock,
    // then sees the versions already applied.
    db.transaction(() => {
      const done = new Set(
        (db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map(
          (r) => r.version as number,
        ),
      );
      for (const m of SQLITE_MIGRATIONS) {
        if (done.has(m.version)) continue;
        db.exec(m.sql);
        db.prepare(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        ).run(m.version, m.name, Date.now());
        applied.push(m.version);
      }
    }).immediate();
    return { applied };
  }

  async checkReady(): Promise<void> {
    const row = this.#db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as
      Row | undefined;
    const latest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;
    if (row?.v !== latest)
      throw new Error(`migrations pending: at ${String(row?.v)}, want ${latest}`);
  }

  async close(): Promise<void> {
    await this.#appends.close();
    if (this.#db.open) this.#db.close();
  }

  async countProjects(): Promise<number> {
    return (this.#s.countProjects.get() as Row).n as number;
  }

  async insertProject(p: ProjectRecord): Promise<void> {
    this.#s.insertProject.run(p.id, p.name, p.createdAt);
  }

  async getProject(id: string): Promise<ProjectRecord | null> {
    const row = this.#s.getProject.get(id) as Row | undefined;
    return row
      ? { id: row.id as string, name: row.name as string, createdAt: row.created_at as number }
      : null;
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
        this.#insertCheckpoint(checkpoint);
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

  #insertCheckpoint(c: CheckpointRecord): void {
    this.#s.insertCheckpoint.run(c.orgId, c.treeSize, c.rootHash, c.note, c.keyId, c.createdAt);
  }

  append<T>(targets: readonly AppendTarget[], build: AppendBuilder<T>): Promise<T> {
    return this.#appends.append(targets, build);
  }

  /**
   * Seconds the append writer thread has spent committing and indexing
   * hashes (SqliteAppendWriter.busySeconds): the
   * logproof_sqlite_writer_busy_seconds_total metric. 0 while appends run
   * on this connection (':memory:', or before the first append).
   */
  get writerBusySeconds(): number {
    return this.#appends.writerBusySeconds;
  }

  /** What the pipelined appends hold in memory now: for tests. */
  get appendsInFlight(): { orgs: number; treeHashes: number } {
    return this.#appends.inFlight;
  }

  #readTreeHashesSync(orgId: string, indexes: readonly number[]): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const idx of indexes) {
      const r = this.#s.readTreeHash.get(orgId, idx) as Row | undefined;
      if (r) out.set(idx, r.hash as Uint8Array);
    }
    return out;
  }

  #readEvent(row: Row): EventRecord {
    const targets = (this.#s.getTargets.all(row.org_id, row.chain_index) as Row[]).map((t) => ({
      type: t.target_type as string,
      id: t.target_id as string,
    }));
    return toEvent(row, targets);
  }

  async getEvent(projectId: string, eventId: string): Promise<EventRecord | null> {
    const row = this.#s.getEvent.get(eventId, projectId) as Row | undefined;
    return row ? this.#readEvent(row) : null;
  }

  async getEventsByIds(projectId: string, ids: readonly string[]): Promise<EventRecord[]> {
    const out: EventRecord[] = [];
    for (const id of ids) {
      const row = this.#s.getEvent.get(id, projectId) as Row | undefined;
      if (row) out.push(this.#readEvent(row));
    }
    return out;
  }

  async readTreeHashes(
    orgId: string,
    indexes: readonly number[],
  ): Promise<Map<number, Uint8Array>> {
    return this.#readTreeHashesSync(orgId, indexes);
  }

  async latestCheckpoint(orgId: string): Promise<CheckpointRecord | null> {
    const row = this.#s.latestCheckpoint.get(orgId) as Row | undefined;
    return row ? toCheckpoint(row) : null;
  }

  async findIdempotency(projectId: string, keys: readonly string[]): Promise<IdempotencyRecord[]> {
    const out: IdempotencyRecord[] = [];
    for (const key of keys) {
      const row = this.#s.findIdempotency.get(projectId, key) as Row | undefined;
      if (row) {
        out.push({
          projectId: row.project_id as string,
          key: row.key as string,
          requestHash: row.request_hash as string,
          eventIds: JSON.parse(row.event_ids as string) as string[],
          createdAt: row.created_at as number,
        });
      }
    }
    return out;
  }

  // --- event queries: delegate to ./event-query.ts (EventQueryStore)
  async listEvents(projectId: string, query: EventQuery): Promise<EventRecord[]> {
    return listEvents(this.#db, projectId, query);
  }

  // --- log reads: delegate to ./log-reads.ts (LogReadStore)
  scanLog(orgId: string, fromIndex: number, limit: number, options?: { signatures?: boolean }) {
    return this.#reads.scanLog(orgId, fromIndex, limit, options);
  }
  scanTreeHashes(orgId: string, fromIndex: number, toIndex: number) {
    return this.#reads.scanTreeHashes(orgId, fromIndex, toIndex);
  }
  scanPackedLog(orgId: string, fromIndex: number, toIndex: number) {
    return this.#reads.scanPackedLog(orgId, fromIndex, toIndex);
  }
  checkpointAt(orgId: string, treeSize: number) {
    return this.#reads.checkpointAt(orgId, treeSize);
  }
  listCheckpoints(orgId: string, afterSize: number, upToSize: number) {
    return this.#reads.listCheckpoints(orgId, afterSize, upToSize);
  }
  findHash(projectId: string, hash: Uint8Array) {
    return this.#reads.findHash(projectId, hash);
  }
  listOrgIds(options: { limit: number; afterId?: string }) {
    return this.#reads.listOrgIds(options);
  }
  rotateOrgKey(orgId: string, newKey: OrgKeyRecord, retireKeyId: string, at: number) {
    return this.#reads.rotateOrgKey(orgId, newKey, retireKeyId, at);
  }

  // --- webhooks: delegate to ./webhooks.ts (WebhookStore)
  /** Webhook statements (./webhooks.ts), prepared on first use like #s. */
  get #webhooks(): SqliteWebhooks {
    this.#webhookStore ??= new SqliteWebhooks(this.#db);
    return this.#webhookStore;
  }
  insertWebhook(webhook: WebhookRecord) {
    return this.#webhooks.insertWebhook(webhook);
  }
  getWebhook(projectId: string, id: string) {
    return this.#webhooks.getWebhook(projectId, id);
  }
  listWebhooks(projectId: string, options: { limit: number; afterId?: string }) {
    return this.#webhooks.listWebhooks(projectId, options);
  }
  updateWebhook(projectId: string, id: string, patch: WebhookPatch, at: number) {
    return this.#webhooks.updateWebhook(projectId, id, patch, at);
  }
  rotateWebhookSecret(
    projectId: string,
    id: string,
    sealedSecret: Uint8Array,
    previousExpiresAt: number,
    at: number,
  ) {
    return this.#webhooks.rotateWebhookSecret(projectId, id, sealedSecret, previousExpiresAt, at);
  }
  deleteWebhook(projectId: string, id: string) {
    return this.#webhooks.deleteWebhook(projectId, id);
  }
  webhookLag(webhookId: string) {
    return this.#webhooks.webhookLag(webhookId);
  }
  listDeliveryAttempts(webhookId: string, limit: number) {
    return this.#webhooks.listDeliveryAttempts(webhookId, limit);
  }
  insertDeliveryAttempts(attempts: readonly DeliveryAttemptRecord[]) {
    return this.#webhooks.insertDeliveryAttempts(attempts);
  }
  claimWebhooks(owner: string, now: number, leaseMs: number, limit: number) {
    return this.#webhooks.claimWebhooks(owner, now, leaseMs, limit);
  }
  pendingCursors(webhookId: string) {
    return this.#webhooks.pendingCursors(webhookId);
  }
  saveDeliveryProgress(progress: DeliveryProgress) {
    return this.#webhooks.saveDeliveryProgress(progress);
  }
  releaseWebhookLease(webhookId: string, owner: string) {
    return this.#webhooks.releaseWebhookLease(webhookId, owner);
  }

  // --- exports: delegate to ./exports.ts (ExportStore)
  #exportStore: SqliteExports | undefined;
  /** Export statements (./exports.ts), prepared on first use like #s. */
  get #exports(): SqliteExports {
    this.#exportStore ??= new SqliteExports(this.#db);
    return this.#exportStore;
  }
  insertExport(record: ExportRecord) {
    return this.#exports.insertExport(record);
  }
  getExport(projectId: string, id: string) {
    return this.#exports.getExport(projectId, id);
  }
  getExportById(id: string) {
    return this.#exports.getExportById(id);
  }
  startExport(id: string, owner: string, at: number) {
    return this.#exports.startExport(id, owner, at);
  }
  updateExportProgress(id: string, owner: string, progress: ExportProgress, at: number) {
    return this.#exports.updateExportProgress(id, owner, progress, at);
  }
  finishExport(id: string, owner: string, outcome: ExportOutcome, at: number, expiresAt: number) {
    return this.#exports.finishExport(id, owner, outcome, at, expiresAt);
  }
  heartbeatExports(owner: string, at: number) {
    return this.#exports.heartbeatExports(owner, at);
  }
  failStaleExports(staleBefore: number, error: string, at: number, expiresAt: number) {
    return this.#exports.failStaleExports(staleBefore, error, at, expiresAt);
  }
  listExpiredExports(now: number, limit: number) {
    return this.#exports.listExpiredExports(now, limit);
  }
  markExportExpired(id: string) {
    return this.#exports.markExportExpired(id);
  }
  writeExportChunk(id: string, seq: number, data: Uint8Array) {
    return this.#exports.writeExportChunk(id, seq, data);
  }
  readExportChunks(id: string, fromSeq: number, limit: number) {
    return this.#exports.readExportChunks(id, fromSeq, limit);
  }
  deleteExportChunks(id: string) {
    return this.#exports.deleteExportChunks(id);
  }
  countEvents(projectId: string, filter: EventFilter) {
    return this.#exports.countEvents(projectId, filter);
  }
  listExportEvents(projectId: string, query: EventQuery) {
    return this.#exports.listExportEvents(projectId, query);
  }
  listExportPositions(projectId: string, query: EventQuery) {
    return this.#exports.listExportPositions(projectId, query);
  }
  readExportRange(orgId: string, fromIndex: number, toIndex: number) {
    return this.#exports.readExportRange(orgId, fromIndex, toIndex);
  }

  // --- portal: delegate to ./portal.ts (PortalStore)
  #portalStore: SqlitePortal | undefined;
  /** Portal statements (./portal.ts), prepared on first use like #s. */
  get #portal(): SqlitePortal {
    this.#portalStore ??= new SqlitePortal(this.#db);
    return this.#portalStore;
  }
  getProjectBranding(projectId: string) {
    return this.#portal.getProjectBranding(projectId);
  }
  updateProjectBranding(projectId: string, patch: BrandingPatch) {
    return this.#portal.updateProjectBranding(projectId, patch);
  }
  insertPortalLink(link: PortalLinkRecord) {
    return this.#portal.insertPortalLink(link);
  }
  consumePortalLink(tokenHash: string, now: number) {
    return this.#portal.consumePortalLink(tokenHash, now);
  }
  insertPortalSession(session: PortalSessionRecord) {
    return this.#portal.insertPortalSession(session);
  }
  findPortalSession(tokenHash: string) {
    return this.#portal.findPortalSession(tokenHash);
  }
  revokePortalSession(projectId: string, id: string, at: number) {
    return this.#portal.revokePortalSession(projectId, id, at);
  }
}
