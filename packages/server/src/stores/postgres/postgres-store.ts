import { assertLogWriteFits } from '../../store/append-guard.js';
import { MerkleFrontier } from '@logproof/core';
import { DatabaseError, Pool, TypeOverrides, types, type PoolClient } from 'pg';
import type {
  ApiKeyRecord,
  AppendWrite,
  CheckpointRecord,
  EventRecord,
  EventTargetRef,
  IdempotencyRecord,
  LogHead,
  OrgKeyRecord,
  OrgRecord,
  ProjectRecord,
  Scope,
} from '../../store/records.js';
import {
  StoreConflictError,
  type AppendBuilder,
  type AppendTarget,
  type LockedLog,
  type Store,
} from '../../store/store.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { eventTermColumns } from './event-terms.js';
import { PostgresLogReads, readCurrentKeyIds } from './log-reads.js';
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
import { toCheckpoint, toEvent, toOrgKey } from '../row-mappers.js';

// Several server processes may share one database. What keeps them from
// forking an org's chain is the row lock on the org (SELECT ... FOR UPDATE)
// that every append takes first, held until its transaction ends; nothing
// here relies on state in this process.

type Row = Record<string, unknown>;

/** Any stable 64-bit number; only migrate() takes this advisory lock. */
const MIGRATION_LOCK_KEY = 0x6c6f6770726f6f66n; // 'logproof'

function isUniqueViolation(error: unknown, table: string): boolean {
  return error instanceof DatabaseError && error.code === '23505' && error.table === table;
}

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

function toProject(row: Row): ProjectRecord {
  return { id: row.id as string, name: row.name as string, createdAt: row.created_at as number };
}

function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    name: row.name as string,
    prefix: row.prefix as string,
    secretHash: row.secret_hash as string,
    scopes: row.scopes as Scope[],
    createdAt: row.created_at as number,
    revokedAt: (row.revoked_at as number | null) ?? null,
  };
}

function toOrg(row: Row): OrgRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    externalId: row.external_id as string,
    name: row.name as string,
    metadata: row.metadata as Record<string, string>,
    createdAt: row.created_at as number,
    treeSize: row.tree_size as number,
    headHash: row.head_hash as Uint8Array,
    rootHash: row.root_hash as Uint8Array,
  };
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

// Multi-row inserts pass one array per column and unnest them server-side:
// one round trip per table however large the batch (up to 1000+ events),
// and no statement text that grows with it.

/** One array per field, in the order of `fields`: the parameters of an `unnest` insert. */
function columnsOf<R, K extends keyof R>(rows: readonly R[], fields: readonly K[]): unknown[][] {
  return fields.map((field) => rows.map((row) => row[field]));
}

/** The record fields of INSERT_EVENTS' columns, in order. */
// prettier-ignore
const EVENT_FIELDS = [
  'orgId', 'chainIndex', 'id', 'projectId', 'canonical', 'leafHash', 'hash', 'previousHash',
  'signature', 'keyId', 'action', 'actorId', 'actorType', 'occurredAt', 'createdAt', 'outcome',
  'entryType',
] as const satisfies ReadonlyArray<keyof EventRecord>;

/** The record fields of INSERT_CHECKPOINTS' columns, in order. */
// prettier-ignore
const CHECKPOINT_FIELDS = [
  'orgId', 'treeSize', 'rootHash', 'note', 'keyId', 'createdAt',
] as const satisfies ReadonlyArray<keyof CheckpointRecord>;

/**
 * Everything one group commit writes, in ONE statement and so one round trip
 * (there were six): data-modifying CTEs run together and the statement fails
 * or succeeds as a whole. Empty arrays insert nothing (an append of
 * idempotency records alone, or events without targets). The UPDATE moves
 * each head only from the size it was locked at; its row count tells whether
 * every head moved.
 */
const WRITE_APPEND = `
WITH new_events AS (
  INSERT INTO events (org_id, chain_index, id, project_id, canonical, leaf_hash, hash, previous_hash,
    signature, key_id, action, actor_id, actor_type, occurred_at, created_at, outcome, entry_type)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bytea[],
    $7::bytea[], $8::bytea[], $9::bytea[], $10::text[], $11::text[], $12::text[], $13::text[],
    $14::bigint[], $15::bigint[], $16::text[], $17::text[])
), new_targets AS (
  INSERT INTO event_targets (org_id, chain_index, position, target_type, target_id)
  SELECT * FROM unnest($18::text[], $19::bigint[], $20::int[], $21::text[], $22::text[])
), new_tree_hashes AS (
  INSERT INTO tree_hashes (org_id, idx, hash)
  SELECT * FROM unnest($23::text[], $24::bigint[], $25::bytea[])
), new_checkpoints AS (
  INSERT INTO checkpoints (org_id, tree_size, root_hash, note, key_id, created_at)
  SELECT * FROM unnest($26::text[], $27::bigint[], $28::bytea[], $29::text[], $30::text[], $31::bigint[])
), new_idempotency_keys AS (
  INSERT INTO idempotency_keys (project_id, key, request_hash, event_ids, created_at)
  SELECT project_id, key, request_hash, event_ids::jsonb, created_at
  FROM unnest($32::text[], $33::text[], $34::text[], $35::text[], $36::bigint[])
    AS t(project_id, key, request_hash, event_ids, created_at)
), new_terms AS (
  INSERT INTO event_terms (project_id, field, value, occurred_at, org_id, chain_index)
  SELECT * FROM unnest($42::text[], $43::text[], $44::text[], $45::bigint[], $46::text[], $47::bigint[])
)
UPDATE orgs SET tree_size = n.tree_size, head_hash = n.head_hash, root_hash = n.root_hash
FROM unnest($37::text[], $38::bigint[], $39::bigint[], $40::bytea[], $41::bytea[])
  AS n(id, locked_size, tree_size, head_hash, root_hash)
WHERE orgs.id = n.id AND orgs.tree_size = n.locked_size`;

const INSERT_CHECKPOINTS = `
INSERT INTO checkpoints (org_id, tree_size, root_hash, note, key_id, created_at)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::text[], $5::text[], $6::bigint[])`;

/** Row locks in ascending id order (ORDER BY runs before FOR UPDATE), so writers never deadlock. */
const LOCK_HEADS =
  'SELECT id, tree_size, head_hash, root_hash FROM orgs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE';

const SELECT_TREE_HASHES = `
SELECT h.org_id, h.idx, h.hash
FROM tree_hashes h JOIN unnest($1::text[], $2::bigint[]) AS w(org_id, idx)
  ON h.org_id = w.org_id AND h.idx = w.idx`;

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

  async countProjects(): Promise<number> {
    return (await this.#rows('SELECT count(*) AS n FROM projects'))[0]!.n as number;
  }

  async insertProject(p: ProjectRecord): Promise<void> {
    await this.#rows('INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)', [
      p.id,
      p.name,
      p.createdAt,
    ]);
  }

  async getProject(id: string): Promise<ProjectRecord | null> {
    const row = (await this.#rows('SELECT * FROM projects WHERE id = $1', [id]))[0];
    return row ? toProject(row) : null;
  }

  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    await this.#rows(
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
    const row = (
      await this.#rows('SELECT * FROM api_keys WHERE secret_hash = $1', [secretHash])
    )[0];
    return row ? toApiKey(row) : null;
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM api_keys WHERE project_id = $1 ORDER BY created_at, id',
      [projectId],
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(projectId: string, id: string, at: number): Promise<ApiKeyRecord | null> {
    const row = (
      await this.#rows(
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
    return this.#transaction(async (c) => {
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
      await this.#rows(
        'SELECT * FROM orgs WHERE project_id = $1 AND (id = $2 OR external_id = $2) ORDER BY id = $2 DESC LIMIT 1',
        [projectId, idOrExternalId],
      )
    )[0];
    return row ? toOrg(row) : null;
  }

  async getOrgById(orgId: string): Promise<OrgRecord | null> {
    const row = (await this.#rows('SELECT * FROM orgs WHERE id = $1', [orgId]))[0];
    return row ? toOrg(row) : null;
  }

  async listOrgs(
    projectId: string,
    options: { limit: number; afterId?: string },
  ): Promise<OrgRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM orgs WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3',
      [projectId, options.afterId ?? '', options.limit],
    );
    return rows.map(toOrg);
  }

  async listOrgKeys(orgId: string): Promise<OrgKeyRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM org_keys WHERE org_id = $1 ORDER BY created_at, key_id',
      [orgId],
    );
    return rows.map(toOrgKey);
  }

  async append<T>(targets: readonly AppendTarget[], build: AppendBuilder<T>): Promise<T> {
    // The port's "MUST NOT resolve until durably committed", whatever the
    // server's default: wait for the WAL flush (and sync standbys) at COMMIT.
    // Sent with BEGIN as one simple query: one round trip less.
    return this.#transaction(async (c) => {
      const logs = await lockLogs(c, targets);
      const w = build(logs);
      try {
        await writeAppend(c, w, logs);
      } catch (error) {
        // Another request took the key since the caller looked it up; the
        // whole transaction rolls back, so nothing of this batch remains.
        if (isUniqueViolation(error, 'idempotency_keys'))
          throw new StoreConflictError('idempotency', { cause: error });
        throw error;
      }
      return w.result;
    }, 'BEGIN; SET LOCAL synchronous_commit = on');
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

  async readTreeHashes(
    orgId: string,
    indexes: readonly number[],
  ): Promise<Map<number, Uint8Array>> {
    if (indexes.length === 0) return new Map();
    const wanted = new Map([[orgId, indexes]]);
    const rows = await this.#rows(SELECT_TREE_HASHES, hashRequestParams(wanted));
    return collectHashes(rows, wanted).get(orgId)!;
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

async function insertCheckpoints(c: PoolClient, cps: readonly CheckpointRecord[]): Promise<void> {
  await c.query(INSERT_CHECKPOINTS, columnsOf(cps, CHECKPOINT_FIELDS));
}

/** Stored hashes by org and index, each org's in the order its indexes were asked. */
function collectHashes(
  rows: readonly Row[],
  wanted: ReadonlyMap<string, readonly number[]>,
): Map<string, Map<number, Uint8Array>> {
  const found = new Map(
    rows.map((r) => [`${String(r.idx)} ${r.org_id as string}`, r.hash as Uint8Array]),
  );
  const out = new Map<string, Map<number, Uint8Array>>();
  for (const [orgId, indexes] of wanted) {
    const hashes = new Map<number, Uint8Array>();
    for (const idx of indexes) {
      const hash = found.get(`${String(idx)} ${orgId}`);
      if (hash) hashes.set(idx, hash);
    }
    out.set(orgId, hashes);
  }
  return out;
}

function hashRequestParams(wanted: ReadonlyMap<string, readonly number[]>): [string[], number[]] {
  const orgIds: string[] = [];
  const indexes: number[] = [];
  for (const [orgId, idxs] of wanted) {
    for (const idx of idxs) {
      orgIds.push(orgId);
      indexes.push(idx);
    }
  }
  return [orgIds, indexes];
}

/**
 * Locks the target orgs' heads and loads, for each head its caller's
 * `knownTreeSize` does not match, the stored hashes of its Merkle frontier.
 * Under READ COMMITTED (the default) a lock that had to wait returns the head
 * the previous holder committed, and the next statement's snapshot sees that
 * holder's tree hashes too; a stricter isolation level would instead fail.
 * The current signing key ids are read the same way, after the lock, so that
 * a key rotation (which takes the same lock) is never missed.
 */
async function lockLogs(
  c: PoolClient,
  targets: readonly AppendTarget[],
): Promise<Map<string, LockedLog>> {
  const known = new Map(targets.map((t) => [t.orgId, t.knownTreeSize]));
  const rows = (
    await c.query<Row>({ name: 'logproof_lock_heads', text: LOCK_HEADS }, [[...known.keys()]])
  ).rows;
  const locked = new Set(rows.map((r) => r.id as string));
  for (const orgId of known.keys())
    if (!locked.has(orgId)) throw new Error(`append: no org ${orgId}`);

  const wanted = new Map<string, number[]>();
  for (const r of rows) {
    const treeSize = r.tree_size as number;
    if (treeSize !== known.get(r.id as string)) {
      wanted.set(r.id as string, MerkleFrontier.indexesFor(treeSize));
    }
  }
  const [orgIds, indexes] = hashRequestParams(wanted);
  const hashRows =
    orgIds.length === 0 ? [] : (await c.query<Row>(SELECT_TREE_HASHES, [orgIds, indexes])).rows;
  const frontiers = collectHashes(hashRows, wanted);
  const keyIds = await readCurrentKeyIds(c, [...known.keys()]);

  const logs = new Map<string, LockedLog>();
  for (const r of rows) {
    const head: LogHead = {
      treeSize: r.tree_size as number,
      headHash: r.head_hash as Uint8Array,
      rootHash: r.root_hash as Uint8Array,
    };
    logs.set(r.id as string, {
      head,
      frontier: frontiers.get(r.id as string) ?? null,
      currentKeyId: keyIds.get(r.id as string) ?? null,
    });
  }
  return logs;
}

/** Writes everything of a group commit (WRITE_APPEND): one statement, whatever the batch size. */
async function writeAppend(
  c: PoolClient,
  write: AppendWrite<unknown>,
  locked: ReadonlyMap<string, LockedLog>,
): Promise<void> {
  const writes = write.logs;
  const seen = new Set<string>();
  for (const w of writes) {
    assertLogWriteFits(w, locked.get(w.orgId));
    if (seen.has(w.orgId)) throw new Error(`append: ${w.orgId} was written twice`);
    seen.add(w.orgId);
  }
  const es = writes.flatMap((w) => w.events);
  const ts = es.flatMap((e) => e.targets.map((t, position) => ({ e, t, position })));
  const hs = writes.flatMap((w) => w.treeHashes.map((h) => ({ orgId: w.orgId, h })));
  const is = write.idempotency;
  // Named: each connection parses and plans the statement once, not per commit.
  const updated = await c.query({ name: 'logproof_write_append', text: WRITE_APPEND }, [
    ...columnsOf(es, EVENT_FIELDS),
    ts.map((x) => x.e.orgId),
    ts.map((x) => x.e.chainIndex),
    ts.map((x) => x.position),
    ts.map((x) => x.t.type),
    ts.map((x) => x.t.id),
    hs.map((x) => x.orgId),
    hs.map((x) => x.h.index),
    hs.map((x) => x.h.hash),
    ...columnsOf(
      writes.map((w) => w.checkpoint),
      CHECKPOINT_FIELDS,
    ),
    is.map((i) => i.projectId),
    is.map((i) => i.key),
    is.map((i) => i.requestHash),
    is.map((i) => JSON.stringify(i.eventIds)),
    is.map((i) => i.createdAt),
    writes.map((w) => w.orgId),
    writes.map((w) => locked.get(w.orgId)!.head.treeSize),
    writes.map((w) => w.head.treeSize),
    writes.map((w) => w.head.headHash),
    writes.map((w) => w.head.rootHash),
    ...eventTermColumns(writes),
  ]);
  if (updated.rowCount !== writes.length)
    throw new Error('append: a log head moved under the lock');
}
