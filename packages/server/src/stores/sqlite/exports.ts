import type Database from 'better-sqlite3';
import type { EventFilter, EventQuery } from '../../query/event-filter.js';
import { buildListEventsSql } from '../../query/sql-builder.js';
import { SQLITE_DIALECT } from '../../query/sql-dialect.js';
import {
  EXPORT_COLUMNS,
  exportRowsSql,
  isOrgWindow,
  OrgWindowReader,
  toExportRow,
} from './export-rows.js';
import type {
  ExportChunk,
  ExportEventRow,
  ExportFormat,
  ExportPosition,
  ExportOutcome,
  ExportProgress,
  ExportRecord,
  ExportStatus,
  ExportStore,
} from '../../store/export-port.js';

// ExportStore for SQLite: the adapter (sqlite-store.ts) delegates here.

type Row = Record<string, unknown>;

function toExport(row: Row): ExportRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    orgId: (row.org_id as string | null) ?? null,
    format: row.format as ExportFormat,
    params: JSON.parse(row.params as string) as Record<string, string>,
    status: row.status as ExportStatus,
    rowsTotal: (row.rows_total as number | null) ?? null,
    rowCount: row.row_count as number,
    byteCount: row.byte_count as number,
    sha256: (row.sha256 as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    owner: (row.owner as string | null) ?? null,
    heartbeatAt: (row.heartbeat_at as number | null) ?? null,
    createdAt: row.created_at as number,
    startedAt: (row.started_at as number | null) ?? null,
    finishedAt: (row.finished_at as number | null) ?? null,
    expiresAt: row.expires_at as number,
  };
}

function prepare(db: Database.Database) {
  return {
    insert: db.prepare(
      `INSERT INTO exports (id, project_id, org_id, format, params, status, rows_total, row_count,
         byte_count, sha256, error, owner, heartbeat_at, created_at, started_at, finished_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: db.prepare('SELECT * FROM exports WHERE project_id = ? AND id = ?'),
    getById: db.prepare('SELECT * FROM exports WHERE id = ?'),
    start: db.prepare(
      `UPDATE exports SET status = 'running', started_at = ?, heartbeat_at = ?
       WHERE id = ? AND owner = ? AND status = 'queued'`,
    ),
    progress: db.prepare(
      `UPDATE exports SET rows_total = coalesce(?, rows_total), row_count = ?, byte_count = ?, heartbeat_at = ?
       WHERE id = ? AND owner = ? AND status = 'running'`,
    ),
    succeed: db.prepare(
      `UPDATE exports SET status = 'succeeded', row_count = ?, byte_count = ?, sha256 = ?,
         finished_at = ?, heartbeat_at = ?, expires_at = ?
       WHERE id = ? AND owner = ? AND status = 'running'`,
    ),
    fail: db.prepare(
      `UPDATE exports SET status = 'failed', error = ?, finished_at = ?, heartbeat_at = ?, expires_at = ?
       WHERE id = ? AND owner = ? AND status IN ('queued', 'running')`,
    ),
    heartbeat: db.prepare(
      `UPDATE exports SET heartbeat_at = ? WHERE owner = ? AND status IN ('queued', 'running')`,
    ),
    stale: db.prepare(
      `UPDATE exports SET status = 'failed', error = ?, finished_at = ?, expires_at = ?
       WHERE status IN ('queued', 'running') AND heartbeat_at < ? RETURNING id`,
    ),
    expired: db
      .prepare(
        `SELECT id FROM exports WHERE status IN ('succeeded', 'failed') AND expires_at <= ?
         ORDER BY expires_at LIMIT ?`,
      )
      .pluck(),
    markExpired: db.prepare(`UPDATE exports SET status = 'expired' WHERE id = ?`),
    writeChunk: db.prepare('INSERT INTO export_chunks (export_id, seq, data) VALUES (?, ?, ?)'),
    readChunks: db.prepare(
      'SELECT seq, data FROM export_chunks WHERE export_id = ? AND seq >= ? ORDER BY seq LIMIT ?',
    ),
    deleteChunks: db.prepare('DELETE FROM export_chunks WHERE export_id = ?'),
  };
}

export class SqliteExports implements ExportStore {
  readonly #db: Database.Database;
  readonly #s: ReturnType<typeof prepare>;
  /** Export statements by SQL text: few distinct ones (the text depends on which filters are present). */
  readonly #listings = new Map<string, Database.Statement>();
  #orgWindowReader: OrgWindowReader | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = prepare(db);
  }

  async insertExport(e: ExportRecord): Promise<void> {
    this.#s.insert.run(
      e.id,
      e.projectId,
      e.orgId,
      e.format,
      JSON.stringify(e.params),
      e.status,
      e.rowsTotal,
      e.rowCount,
      e.byteCount,
      e.sha256,
      e.error,
      e.owner,
      e.heartbeatAt,
      e.createdAt,
      e.startedAt,
      e.finishedAt,
      e.expiresAt,
    );
  }

  async getExport(projectId: string, id: string): Promise<ExportRecord | null> {
    const row = this.#s.get.get(projectId, id) as Row | undefined;
    return row ? toExport(row) : null;
  }

  async getExportById(id: string): Promise<ExportRecord | null> {
    const row = this.#s.getById.get(id) as Row | undefined;
    return row ? toExport(row) : null;
  }

  async startExport(id: string, owner: string, at: number): Promise<boolean> {
    return this.#s.start.run(at, at, id, owner).changes === 1;
  }

  async updateExportProgress(
    id: string,
    owner: string,
    progress: ExportProgress,
    at: number,
  ): Promise<boolean> {
    const { rowsTotal = null, rowCount, byteCount } = progress;
    return this.#s.progress.run(rowsTotal, rowCount, byteCount, at, id, owner).changes === 1;
  }

  async finishExport(
    id: string,
    owner: string,
    outcome: ExportOutcome,
    at: number,
    expiresAt: number,
  ): Promise<boolean> {
    const result =
      outcome.status === 'succeeded'
        ? this.#s.succeed.run(
            outcome.rowCount,
            outcome.byteCount,
            outcome.sha256,
            at,
            at,
            expiresAt,
            id,
            owner,
          )
        : this.#s.fail.run(outcome.error, at, at, expiresAt, id, owner);
    return result.changes === 1;
  }

  async heartbeatExports(owner: string, at: number): Promise<void> {
    this.#s.heartbeat.run(at, owner);
  }

  async failStaleExports(
    staleBefore: number,
    error: string,
    at: number,
    expiresAt: number,
  ): Promise<string[]> {
    return (this.#s.stale.all(error, at, expiresAt, staleBefore) as Row[]).map(
      (r) => r.id as string,
    );
  }

  async listExpiredExports(now: number, limit: number): Promise<string[]> {
    return this.#s.expired.all(now, limit) as string[];
  }

  async markExportExpired(id: string): Promise<void> {
    this.#s.markExpired.run(id);
  }

  async writeExportChunk(id: string, seq: number, data: Uint8Array): Promise<void> {
    this.#s.writeChunk.run(id, seq, data);
  }

  async readExportChunks(id: string, fromSeq: number, limit: number): Promise<ExportChunk[]> {
    return (this.#s.readChunks.all(id, fromSeq, limit) as Row[]).map((r) => ({
      seq: r.seq as number,
      data: r.data as Uint8Array,
    }));
  }

  async deleteExportChunks(id: string): Promise<void> {
    this.#s.deleteChunks.run(id);
  }

  async listExportEvents(projectId: string, query: EventQuery): Promise<ExportEventRow[]> {
    if (isOrgWindow(query)) {
      const rows = this.#orgWindow.rows(projectId, query);
      if (rows !== null) return rows;
    }
    return (this.#listing(projectId, query, EXPORT_COLUMNS) as unknown[][]).map(toExportRow);
  }

  async listExportPositions(projectId: string, query: EventQuery): Promise<ExportPosition[]> {
    if (isOrgWindow(query)) return this.#orgWindow.positions(projectId, query);
    const rows = this.#listing(projectId, query, 'org_id, chain_index, occurred_at') as unknown[][];
    return rows.map((r) => ({
      orgId: r[0] as string,
      chainIndex: r[1] as number,
      occurredAt: r[2] as number,
    }));
  }

  async readExportRange(
    orgId: string,
    fromIndex: number,
    toIndex: number,
  ): Promise<ExportEventRow[]> {
    return this.#orgWindow.range(orgId, fromIndex, toIndex);
  }

  get #orgWindow(): OrgWindowReader {
    this.#orgWindowReader ??= new OrgWindowReader(this.#db);
    return this.#orgWindowReader;
  }

  /** The rows of the listing's statement for `query`, `columns` of each, as arrays. */
  #listing(projectId: string, query: EventQuery, columns: string): unknown[] {
    const { sql, params } = buildListEventsSql(SQLITE_DIALECT, projectId, query);
    const text = exportRowsSql(sql, query.order, columns);
    let statement = this.#listings.get(text);
    if (!statement) {
      if (this.#listings.size >= 64) this.#listings.clear();
      statement = this.#db.prepare(text).raw();
      this.#listings.set(text, statement);
    }
    return statement.all(...params);
  }

  async countEvents(projectId: string, filter: EventFilter): Promise<number> {
    // The listing's own statement (same filters, same access path), counted.
    const { sql, params } = buildListEventsSql(SQLITE_DIALECT, projectId, {
      filter,
      order: 'asc',
      limit: Number.MAX_SAFE_INTEGER,
      after: null,
    });
    const row = this.#db.prepare(`SELECT count(*) AS n FROM (${sql})`).get(...params) as Row;
    return row.n as number;
  }
}
