import type { Pool } from 'pg';
import type { EventFilter, EventQuery } from '../../query/event-filter.js';
import { buildListEventsSql } from '../../query/sql-builder.js';
import { POSTGRES_DIALECT } from '../../query/sql-dialect.js';
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

// ExportStore for PostgreSQL: the adapter (postgres-store.ts) delegates here.
// Every statement is one round trip; a job row is only ever changed by its
// owner (WHERE owner = $n), so processes sharing the database never race on it.

type Row = Record<string, unknown>;

function toExport(row: Row): ExportRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    orgId: (row.org_id as string | null) ?? null,
    format: row.format as ExportFormat,
    params: row.params as Record<string, string>,
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

/** The columns an export reads, the derived members as text (ExportEventRow). */
const EXPORT_COLUMNS =
  'org_id, chain_index, occurred_at, canonical,' +
  " encode(leaf_hash, 'hex'), encode(hash, 'hex'), encode(previous_hash, 'hex')," +
  // encode(…, 'base64') breaks lines every 76 characters (RFC 2045); a signature is 88.
  " translate(encode(signature, 'base64'), E'\\n', ''), key_id";

function toExportRow(r: unknown[]): ExportEventRow {
  return {
    orgId: r[0] as string,
    chainIndex: r[1] as number,
    occurredAt: r[2] as number,
    canonical: r[3] as string,
    leafHashHex: r[4] as string,
    hashHex: r[5] as string,
    previousHashHex: r[6] as string,
    signatureBase64: r[7] as string,
    keyId: r[8] as string,
  };
}

/**
 * The listing's own statement (query/sql-builder.ts) as a subquery, of which
 * only `columns` are read; the outer ORDER BY restates the listing order (a
 * subquery does not promise to keep it). Rows come back as arrays (pg's
 * rowMode), one round trip per page.
 */
function exportRowsSql(listing: string, order: 'asc' | 'desc', columns: string): string {
  const d = order === 'asc' ? 'ASC' : 'DESC';
  return `SELECT ${columns} FROM (${listing}) AS page ORDER BY occurred_at ${d}, org_id ${d}, chain_index ${d}`;
}

const INSERT = `
INSERT INTO exports (id, project_id, org_id, format, params, status, rows_total, row_count,
  byte_count, sha256, error, owner, heartbeat_at, created_at, started_at, finished_at, expires_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;

export class PostgresExports implements ExportStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async #rows(text: string, values: readonly unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(text, values as unknown[])).rows;
  }

  async #changed(text: string, values: readonly unknown[]): Promise<boolean> {
    return (await this.#pool.query(text, values as unknown[])).rowCount === 1;
  }

  async insertExport(e: ExportRecord): Promise<void> {
    await this.#rows(INSERT, [
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
    ]);
  }

  async getExport(projectId: string, id: string): Promise<ExportRecord | null> {
    const row = (
      await this.#rows('SELECT * FROM exports WHERE project_id = $1 AND id = $2', [projectId, id])
    )[0];
    return row ? toExport(row) : null;
  }

  async getExportById(id: string): Promise<ExportRecord | null> {
    const row = (await this.#rows('SELECT * FROM exports WHERE id = $1', [id]))[0];
    return row ? toExport(row) : null;
  }

  startExport(id: string, owner: string, at: number): Promise<boolean> {
    return this.#changed(
      `UPDATE exports SET status = 'running', started_at = $1, heartbeat_at = $1
       WHERE id = $2 AND owner = $3 AND status = 'queued'`,
      [at, id, owner],
    );
  }

  updateExportProgress(
    id: string,
    owner: string,
    progress: ExportProgress,
    at: number,
  ): Promise<boolean> {
    return this.#changed(
      `UPDATE exports SET rows_total = coalesce($1, rows_total), row_count = $2, byte_count = $3,
         heartbeat_at = $4
       WHERE id = $5 AND owner = $6 AND status = 'running'`,
      [progress.rowsTotal ?? null, progress.rowCount, progress.byteCount, at, id, owner],
    );
  }

  finishExport(
    id: string,
    owner: string,
    outcome: ExportOutcome,
    at: number,
    expiresAt: number,
  ): Promise<boolean> {
    if (outcome.status === 'succeeded') {
      return this.#changed(
        `UPDATE exports SET status = 'succeeded', row_count = $1, byte_count = $2, sha256 = $3,
           finished_at = $4, heartbeat_at = $4, expires_at = $5
         WHERE id = $6 AND owner = $7 AND status = 'running'`,
        [outcome.rowCount, outcome.byteCount, outcome.sha256, at, expiresAt, id, owner],
      );
    }
    return this.#changed(
      `UPDATE exports SET status = 'failed', error = $1, finished_at = $2, heartbeat_at = $2,
         expires_at = $3
       WHERE id = $4 AND owner = $5 AND status IN ('queued', 'running')`,
      [outcome.error, at, expiresAt, id, owner],
    );
  }

  async heartbeatExports(owner: string, at: number): Promise<void> {
    await this.#rows(
      `UPDATE exports SET heartbeat_at = $1 WHERE owner = $2 AND status IN ('queued', 'running')`,
      [at, owner],
    );
  }

  async failStaleExports(
    staleBefore: number,
    error: string,
    at: number,
    expiresAt: number,
  ): Promise<string[]> {
    const rows = await this.#rows(
      `UPDATE exports SET status = 'failed', error = $1, finished_at = $2, expires_at = $3
       WHERE status IN ('queued', 'running') AND heartbeat_at < $4 RETURNING id`,
      [error, at, expiresAt, staleBefore],
    );
    return rows.map((r) => r.id as string);
  }

  async listExpiredExports(now: number, limit: number): Promise<string[]> {
    const rows = await this.#rows(
      `SELECT id FROM exports WHERE status IN ('succeeded', 'failed') AND expires_at <= $1
       ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id as string);
  }

  async markExportExpired(id: string): Promise<void> {
    await this.#rows(`UPDATE exports SET status = 'expired' WHERE id = $1`, [id]);
  }

  async writeExportChunk(id: string, seq: number, data: Uint8Array): Promise<void> {
    await this.#rows('INSERT INTO export_chunks (export_id, seq, data) VALUES ($1, $2, $3)', [
      id,
      seq,
      data,
    ]);
  }

  async readExportChunks(id: string, fromSeq: number, limit: number): Promise<ExportChunk[]> {
    const rows = await this.#rows(
      'SELECT seq, data FROM export_chunks WHERE export_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
      [id, fromSeq, limit],
    );
    return rows.map((r) => ({ seq: r.seq as number, data: r.data as Uint8Array }));
  }

  async deleteExportChunks(id: string): Promise<void> {
    await this.#rows('DELETE FROM export_chunks WHERE export_id = $1', [id]);
  }

  async listExportEvents(projectId: string, query: EventQuery): Promise<ExportEventRow[]> {
    return (await this.#listing(projectId, query, EXPORT_COLUMNS)).map(toExportRow);
  }

  async listExportPositions(projectId: string, query: EventQuery): Promise<ExportPosition[]> {
    const rows = await this.#listing(projectId, query, 'org_id, chain_index, occurred_at');
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
    const result = await this.#pool.query<unknown[]>({
      text: `SELECT ${EXPORT_COLUMNS} FROM events
             WHERE org_id = $1 AND chain_index >= $2 AND chain_index < $3 ORDER BY chain_index`,
      values: [orgId, fromIndex, toIndex],
      rowMode: 'array',
    });
    return result.rows.map(toExportRow);
  }

  async #listing(projectId: string, query: EventQuery, columns: string): Promise<unknown[][]> {
    const { sql, params } = buildListEventsSql(POSTGRES_DIALECT, projectId, query);
    const result = await this.#pool.query<unknown[]>({
      text: exportRowsSql(sql, query.order, columns),
      values: params as unknown[],
      rowMode: 'array',
    });
    return result.rows;
  }

  async countEvents(projectId: string, filter: EventFilter): Promise<number> {
    // The listing's own statement (same filters, same access path), counted.
    const { sql, params } = buildListEventsSql(POSTGRES_DIALECT, projectId, {
      filter,
      order: 'asc',
      limit: Number.MAX_SAFE_INTEGER,
      after: null,
    });
    const row = (await this.#rows(`SELECT count(*) AS n FROM (${sql}) AS c`, params))[0]!;
    return row.n as number;
  }
}
