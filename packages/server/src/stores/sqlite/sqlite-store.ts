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
} from '../../store/records.js';
import type { AppendBuilder, AppendTarget, Store } from '../../store/store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SqliteLogReads } from './log-reads.js';
import { SqliteWebhooks } from './webhooks.js';
import { SqliteExports } from './exports.js';
import { SqlitePortal } from './portal.js';
import { SqliteTenancy } from './tenancy.js';
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
import type {
  DeliveryAttemptRecord,
  DeliveryProgress,
  WebhookPatch,
  WebhookRecord,
} from '../../store/webhook-port.js';
import { toCheckpoint, toEvent, type Row } from '../row-mappers.js';

// better-sqlite3 is synchronous. Each transaction here runs to completion
// without yielding, so no other request can slip a statement into it; that is
// what makes the embedded store safe without a connection pool.

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database) {
  return {
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
  #tenancyStore: SqliteTenancy | undefined;
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

  // --- tenancy: delegate to ./tenancy.ts (TenancyStore)
  /** Tenancy statements (./tenancy.ts), prepared on first use like #s. */
  get #tenancy(): SqliteTenancy {
    this.#tenancyStore ??= new SqliteTenancy(this.#db);
    return this.#tenancyStore;
  }
  countProjects() {
    return this.#tenancy.countProjects();
  }
  insertProject(project: ProjectRecord) {
    return this.#tenancy.insertProject(project);
  }
  getProject(id: string) {
    return this.#tenancy.getProject(id);
  }
  insertApiKey(key: ApiKeyRecord) {
    return this.#tenancy.insertApiKey(key);
  }
  findApiKeyBySecretHash(secretHash: string) {
    return this.#tenancy.findApiKeyBySecretHash(secretHash);
  }
  listApiKeys(projectId: string) {
    return this.#tenancy.listApiKeys(projectId);
  }
  revokeApiKey(projectId: string, id: string, at: number) {
    return this.#tenancy.revokeApiKey(projectId, id, at);
  }
  createOrg(org: OrgRecord, key: OrgKeyRecord, checkpoint: CheckpointRecord) {
    return this.#tenancy.createOrg(org, key, checkpoint);
  }
  findOrg(projectId: string, idOrExternalId: string) {
    return this.#tenancy.findOrg(projectId, idOrExternalId);
  }
  getOrgById(orgId: string) {
    return this.#tenancy.getOrgById(orgId);
  }
  listOrgs(projectId: string, options: { limit: number; afterId?: string }) {
    return this.#tenancy.listOrgs(projectId, options);
  }
  listOrgKeys(orgId: string) {
    return this.#tenancy.listOrgKeys(orgId);
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
