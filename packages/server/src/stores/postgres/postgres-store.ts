import { DatabaseError, Pool, TypeOverrides, types, type PoolClient } from 'pg';
import type {
  ApiKeyRecord,
  CheckpointRecord,
  EventRecord,
  EventTargetRef,
  IdempotencyRecord,
  OrgKeyRecord,
  OrgRecord,
  ProjectRecord,
} from '../../store/records.js';
import type { AppendBuilder, AppendTarget, Store } from '../../store/store.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { PostgresAppends } from './appends.js';
import { PostgresTenancy } from './tenancy.js';
import { PostgresLogReads } from './log-reads.js';
import { PostgresWebhooks } from './webhooks.js';
import type {
  DeliveryAttemptRecord,
  DeliveryProgress,
  WebhookPatch,
  WebhookRecord,
} from '../../store/webhook-port.js';
import { PostgresExports } from './exports.js';
import { PostgresPortal } from './portal.js';
import type {
  BrandingPatch,
  PortalLinkRecord,
  PortalSessionRecord,
} from '../../store/portal-port.js';
import type { ExportOutcome, ExportProgress, ExportRecord } from '../../store/export-port.js';
import type { EventFilter } from '../../query/event-filter.js';
import { listEvents } from './event-query.js';
import type { EventQuery } from '../../store/event-query-port.js';
import { toCheckpoint, toEvent, type Row } from '../row-mappers.js';

// Several server processes may share one database. What keeps them from
// forking an org's chain is the row lock on the org (SELECT ... FOR UPDATE)
// that every append takes first, held until its transaction ends; nothing
// here relies on state in this process.

/** Any stable 64-bit number; only migrate() takes this advisory lock. */
const MIGRATION_LOCK_KEY = 0x6c6f6770726f6f66n; // 'logproof'

/**
 * int8 arrives as a string (it can exceed 2^53). Every BIGINT here is a time
 * in milliseconds, a count or a position below 2^53 (the core's
 * MAX_TREE_SIZE), so anything else means a corrupt row: fail loudly.
 */
function parseSafeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} is not a safe integer`);
  return n;
}

/** A type-parser set for this pool only: the global `pg.types` stays untouched. */
function createTypeParsers(): TypeOverrides {
  const overrides = new TypeOverrides();
  overrides.setTypeParser(types.builtins.INT8, parseSafeInteger);
  return overrides;
}

function toIdempotency(row: Row): IdempotencyRecord {
  return {
    projectId: row.project_id as string,
    key: row.key as string,
    requestHash: row.request_hash as string,
    eventIds: row.event_ids as string[],
    createdAt: row.created_at as number,
  };
}

export interface PostgresStoreOptions {
  /** e.g. `postgres://user@host:5432/logproof`. */
  readonly connectionString: string;
  /** Pool size (pg's default, 10, when absent). */
  readonly max?: number;
}

/** The shared store for several server processes: one PostgreSQL database. */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly #pool: Pool;
  readonly #tenancy: PostgresTenancy;
  readonly #appends: PostgresAppends;
  readonly #reads: PostgresLogReads;
  readonly #webhooks: PostgresWebhooks;

  constructor(options: PostgresStoreOptions) {
    this.#pool = new Pool({
      connectionString: options.connectionString,
      ...(options.max === undefined ? {} : { max: options.max }),
      types: createTypeParsers(),
    });
    // An idle client that loses its connection is dropped by the pool and
    // the next query opens a new one; without a listener the 'error' event
    // would crash the process instead.
    this.#pool.on('error', () => {});
    const rows = (text: string, values?: readonly unknown[]) => this.#rows(text, values);
    this.#tenancy = new PostgresTenancy(rows, (work) => this.#transaction(work));
    this.#appends = new PostgresAppends(rows, (work, begin) => this.#transaction(work, begin));
    this.#reads = new PostgresLogReads(this.#pool, (work) => this.#transaction(work));
    this.#webhooks = new PostgresWebhooks(this.#pool, (work) => this.#transaction(work));
  }

  /**
   * Runs `work` in one transaction on one client; rolls back when it throws.
   * `begin` opens it: a simple query (no parameters), so it may hold several
   * statements (`BEGIN; SET LOCAL ...`) and still cost one round trip.
   */
  async #transaction<T>(work: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable: destroy it rather than pool it.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async #rows(text: string, values: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#pool.query<Row>(text, values as unknown[])).rows;
  }

  async migrate(): Promise<{ applied: number[] }> {
    return this.#transaction(async (c) => {
      // The lock comes first, before even CREATE TABLE IF NOT EXISTS (which
      // races on the catalog): a second process waits here until the first
      // commits, then sees every version already applied.
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const done = new Set(
        (await c.query<Row>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version as number,
        ),
      );
      const applied: number[] = [];
      for (const m of POSTGRES_MIGRATIONS) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
          [m.version, m.name, Date.now()],
        );
        applied.push(m.version);
      }
      return { applied };
    });
  }

  async checkReady(): Promise<void> {
    const latest = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;
    let current: unknown = null;
    try {
      current = (await this.#rows('SELECT max(version) AS v FROM schema_migrations'))[0]?.v ?? null;
    } catch (error) {
      // 42P01 undefined_table: reachable, but never migrated.
      if (!(error instanceof DatabaseError && error.code === '42P01')) throw error;
    }
    if (current !== latest)
      throw new Error(`migrations pending: at ${String(current)}, want ${latest}`);
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }

  // --- tenancy: delegate to ./tenancy.ts (TenancyStore)
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

  // --- appends: delegate to ./appends.ts (the append path and the tree hashes it writes)
  append<T>(targets: readonly AppendTarget[], build: AppendBuilder<T>): Promise<T> {
    return this.#appends.append(targets, build);
  }
  readTreeHashes(orgId: string, indexes: readonly number[]) {
    return this.#appends.readTreeHashes(orgId, indexes);
  }

  async getEvent(projectId: string, eventId: string): Promise<EventRecord | null> {
    return (await this.getEventsByIds(projectId, [eventId]))[0] ?? null;
  }

  async getEventsByIds(projectId: string, ids: readonly string[]): Promise<EventRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.#rows(
      'SELECT * FROM events WHERE project_id = $1 AND id = ANY($2::text[])',
      [projectId, ids],
    );
    if (rows.length === 0) return [];
    const targetRows = await this.#rows(
      `SELECT t.org_id, t.chain_index, t.target_type, t.target_id
       FROM event_targets t
       JOIN unnest($1::text[], $2::bigint[]) AS e(org_id, chain_index)
         ON t.org_id = e.org_id AND t.chain_index = e.chain_index
       ORDER BY t.org_id, t.chain_index, t.position`,
      [rows.map((r) => r.org_id), rows.map((r) => r.chain_index)],
    );
    const targets = new Map<string, EventTargetRef[]>();
    for (const t of targetRows) {
      const key = `${String(t.chain_index)} ${t.org_id as string}`;
      let list = targets.get(key);
      if (!list) targets.set(key, (list = []));
      list.push({ type: t.target_type as string, id: t.target_id as string });
    }
    const byId = new Map<string, EventRecord>();
    for (const r of rows) {
      const key = `${String(r.chain_index)} ${r.org_id as string}`;
      byId.set(r.id as string, toEvent(r, targets.get(key) ?? []));
    }
    const out: EventRecord[] = [];
    for (const id of ids) {
      const event = byId.get(id);
      if (event) out.push(event);
    }
    return out;
  }

  async latestCheckpoint(orgId: string): Promise<CheckpointRecord | null> {
    const row = (
      await this.#rows(
        'SELECT * FROM checkpoints WHERE org_id = $1 ORDER BY tree_size DESC LIMIT 1',
        [orgId],
      )
    )[0];
    return row ? toCheckpoint(row) : null;
  }

  async findIdempotency(projectId: string, keys: readonly string[]): Promise<IdempotencyRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.#rows(
      'SELECT * FROM idempotency_keys WHERE project_id = $1 AND key = ANY($2::text[])',
      [projectId, keys],
    );
    const byKey = new Map(rows.map((r) => [r.key as string, toIdempotency(r)]));
    const out: IdempotencyRecord[] = [];
    for (const key of keys) {
      const record = byKey.get(key);
      if (record) out.push(record);
    }
    return out;
  }

  // --- event queries: delegate to ./event-query.ts (EventQueryStore)
  async listEvents(projectId: string, query: EventQuery): Promise<EventRecord[]> {
    return listEvents(this.#pool, projectId, query);
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
  #exportStore: PostgresExports | undefined;
  get #exports(): PostgresExports {
    this.#exportStore ??= new PostgresExports(this.#pool);
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
  #portalStore: PostgresPortal | undefined;
  get #portal(): PostgresPortal {
    this.#portalStore ??= new PostgresPortal(this.#pool);
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
