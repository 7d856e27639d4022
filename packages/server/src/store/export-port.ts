import type { EventFilter, EventQuery } from '../query/event-filter.js';

/** What an export writes (API.md "Exports"). */
export const EXPORT_FORMATS = ['csv', 'ndjson', 'json', 'bundle', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * A background export's life: `queued` (accepted, waiting for a slot),
 * `running`, then `succeeded` (the file can be downloaded) or `failed`;
 * `expired` once its file was deleted.
 */
export type ExportStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'expired';

/** One background export job (POST /v1/exports) and its file. */
export interface ExportRecord {
  readonly id: string;
  readonly projectId: string;
  /** The org the filter names (resolved to its id), or null for every org of the project. */
  readonly orgId: string | null;
  readonly format: ExportFormat;
  /** The filter parameters and order exactly as accepted, to show back and to rerun. */
  readonly params: Readonly<Record<string, string>>;
  readonly status: ExportStatus;
  /** Matching events counted when the job started (progress is rowCount / rowsTotal). */
  readonly rowsTotal: number | null;
  /** Events written so far; the final count once succeeded. */
  readonly rowCount: number;
  readonly byteCount: number;
  /** SHA-256 (hex) of the whole file, once succeeded. */
  readonly sha256: string | null;
  /** Why it failed, for people. */
  readonly error: string | null;
  /** The server process that runs (or queued) it. */
  readonly owner: string | null;
  /** Last sign of life from the owner; a job silent for long is failed by any process's sweep. */
  readonly heartbeatAt: number | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** When the file is deleted (and the job marked expired). */
  readonly expiresAt: number;
}

/** How a job ended. */
export type ExportOutcome =
  | {
      readonly status: 'succeeded';
      readonly rowCount: number;
      readonly byteCount: number;
      readonly sha256: string;
    }
  | { readonly status: 'failed'; readonly error: string };

/** What a running job reports as it goes. */
export interface ExportProgress {
  /** Matching events, once counted (null or absent: unchanged). */
  readonly rowsTotal?: number | null;
  readonly rowCount: number;
  readonly byteCount: number;
}

/**
 * One event as an export writes it: the stored canonical bytes, the derived
 * members as text, and its place in the listing order; none of the query
 * columns. The derived members come as an export writes them (hex, base64),
 * converted by the database where it can (hex(), encode()): at millions of
 * rows, a Buffer per hash and its conversion in JavaScript cost more than
 * the rest of the row (bench/export-bench.mjs).
 */
export interface ExportEventRow {
  readonly orgId: string;
  readonly chainIndex: number;
  readonly occurredAt: number;
  readonly canonical: string;
  /** leaf_hash, hash and previous_hash as lowercase hex (PROOFS.md §3). */
  readonly leafHashHex: string;
  readonly hashHex: string;
  readonly previousHashHex: string;
  /** The Ed25519 signature, standard base64 with padding, no line breaks. */
  readonly signatureBase64: string;
  readonly keyId: string;
}

/** An event's place in the listing order: what a bundle's plan reads, without its bytes. */
export interface ExportPosition {
  readonly orgId: string;
  readonly chainIndex: number;
  readonly occurredAt: number;
}

/** One piece of an export file kept in the database. */
export interface ExportChunk {
  readonly seq: number;
  readonly data: Uint8Array;
}

/**
 * Export jobs and, for deployments where every server process must serve
 * every file (PostgreSQL), the export files themselves in chunks.
 * Implemented in stores/<kind>/exports.ts; the adapters delegate to it, and
 * both pass test/store-exports-contract.ts.
 *
 * Ownership: a job is changed only by the process named in `owner`
 * (`startExport`, `updateExportProgress`, `finishExport` MUST NOT touch a job
 * owned by another process or no longer in the expected status), except by
 * `failStaleExports`, which any process may run to fail the jobs of a
 * process that stopped.
 */
export interface ExportStore {
  insertExport(record: ExportRecord): Promise<void>;
  /** The job, within its project only (null for another project's). */
  getExport(projectId: string, id: string): Promise<ExportRecord | null>;
  /** The job by id alone, for the presigned download (whose signature was checked first). */
  getExportById(id: string): Promise<ExportRecord | null>;
  /** queued -> running, when it is queued and owned by `owner`; false otherwise. */
  startExport(id: string, owner: string, at: number): Promise<boolean>;
  /** Records progress and a heartbeat of a running job of `owner`; false when it is not. */
  updateExportProgress(
    id: string,
    owner: string,
    progress: ExportProgress,
    at: number,
  ): Promise<boolean>;
  /** running -> succeeded or failed, for `owner`; `expiresAt` is when its file goes. */
  finishExport(
    id: string,
    owner: string,
    outcome: ExportOutcome,
    at: number,
    expiresAt: number,
  ): Promise<boolean>;
  /** Sets heartbeat_at of every queued or running job of `owner`. */
  heartbeatExports(owner: string, at: number): Promise<void>;
  /**
   * Fails every queued or running job whose heartbeat is older than
   * `staleBefore` (its process stopped); returns their ids.
   */
  failStaleExports(
    staleBefore: number,
    error: string,
    at: number,
    expiresAt: number,
  ): Promise<string[]>;
  /** Ids of succeeded or failed jobs whose expires_at has passed (their files are to be deleted). */
  listExpiredExports(now: number, limit: number): Promise<string[]>;
  /** Marks a job expired (after its file was deleted). */
  markExportExpired(id: string): Promise<void>;

  /** Stores chunk `seq` of a job's file (chunks are written in order, each once). */
  writeExportChunk(id: string, seq: number, data: Uint8Array): Promise<void>;
  /** Chunks with seq >= fromSeq, ascending, at most `limit`. */
  readExportChunks(id: string, fromSeq: number, limit: number): Promise<ExportChunk[]>;
  deleteExportChunks(id: string): Promise<void>;

  /**
   * The same rows, in the same order, as `listEvents(projectId, query)`
   * (EventQueryStore), read for writing out: one statement per page, only
   * the columns an export writes (targets are in the canonical bytes), so
   * that an export of millions of events is not bound by the listing's
   * per-row work. MUST NOT return another project's events.
   */
  listExportEvents(projectId: string, query: EventQuery): Promise<ExportEventRow[]>;

  /**
   * The positions of the rows `listExportEvents` returns for the same
   * arguments, in the same order: for planning a bundle, which needs no
   * event's bytes (reading them would double its cost). MUST NOT return
   * another project's events.
   */
  listExportPositions(projectId: string, query: EventQuery): Promise<ExportPosition[]>;

  /**
   * The events of `orgId` with fromIndex <= chain_index < toIndex, ascending
   * by chain_index, as an export writes them (bundles and PDF reports follow
   * chain order). A missing event is left out: the caller, which planned
   * these indexes, MUST treat a gap as damage.
   */
  readExportRange(orgId: string, fromIndex: number, toIndex: number): Promise<ExportEventRow[]>;

  /**
   * How many events of the project `filter` selects (what `listEvents` would
   * walk through); for progress only.
   */
  countEvents(projectId: string, filter: EventFilter): Promise<number>;
}
