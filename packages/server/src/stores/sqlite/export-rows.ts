import type Database from 'better-sqlite3';
import type { EventQuery } from '../../query/event-filter.js';
import type { ExportEventRow, ExportPosition } from '../../store/export-port.js';

// The rows of an export (ExportStore.listExportEvents) on SQLite.
//
// Per row, what costs at a million rows (bench/export-bench.mjs, CPU time):
// a BLOB becomes a Buffer (about 0.7 µs each), a TEXT a string (one per
// column), and the listing's access path looks each event up by primary key
// from a secondary index entry (about twice the cost of reading the same
// events in primary-key order). So the hashes and the signature come as one
// string of hex, and an export of one org (the common case: "my org's log",
// perhaps in a time window) reads its rows by primary-key range.

/**
 * The hashes and the signature as one string of uppercase hex: the four
 * values run together when each has its usual length (32, 32, 32 and 64
 * bytes), comma-separated otherwise (a damaged row may hold a hash of
 * another length, which must be exported as it is, not shift its
 * neighbours). `||` makes text of the blobs, whose bytes hex() writes as
 * they are (the same hex as of each blob: checked on a million rows, and
 * by test/exports-store.test.ts). One hex() of the values run together,
 * lowercased in JavaScript, costs about 0.25 µs a row less than four hex()
 * joined by commas and lower() (at a million rows, on 2.1 µs a row for the
 * whole statement; about 5% of a CSV or NDJSON export's CPU time).
 */
const HEX =
  'CASE WHEN length(leaf_hash) = 32 AND length(hash) = 32 AND length(previous_hash) = 32' +
  ' AND length(signature) = 64 THEN hex(leaf_hash || hash || previous_hash || signature)' +
  " ELSE hex(leaf_hash) || ',' || hex(hash) || ',' || hex(previous_hash) || ',' || hex(signature) END";

/** The columns an export reads: the hashes and the signature as HEX. */
export const EXPORT_COLUMNS = `org_id, chain_index, occurred_at, canonical, ${HEX}, key_id`;

/** The derived members of a row as HEX reads them, lowercase. */
function splitHex(upper: string): [string, string, string, string] {
  const text = upper.toLowerCase();
  // Slices of the one string (no copies) when every hash is 32 bytes and the
  // signature 64; never the comma-separated form, whose length is odd.
  if (text.length === 320) {
    return [text.slice(0, 64), text.slice(64, 128), text.slice(128, 192), text.slice(192)];
  }
  const [leafHash = '', hash = '', previousHash = '', signature = ''] = text.split(',');
  return [leafHash, hash, previousHash, signature];
}

/** A row read with EXPORT_COLUMNS (raw mode), as the port has it. */
export function toExportRow(r: unknown[]): ExportEventRow {
  return exportRow(
    r[0] as string,
    r[1] as number,
    r[2] as number,
    r[3] as string,
    r[4] as string,
    r[5] as string,
  );
}

function exportRow(
  orgId: string,
  chainIndex: number,
  occurredAt: number,
  canonical: string,
  hex: string,
  keyId: string,
): ExportEventRow {
  const [leafHashHex, hashHex, previousHashHex, signatureHex] = splitHex(hex);
  return {
    orgId,
    chainIndex,
    occurredAt,
    canonical,
    leafHashHex,
    hashHex,
    previousHashHex,
    signatureBase64: Buffer.from(signatureHex, 'hex').toString('base64'),
    keyId,
  };
}

/**
 * The columns OrgWindowReader reads by primary-key range: org_id it already
 * has (the filter's), and a string the same in every row still costs one
 * per row.
 */
const RANGE_COLUMNS = `chain_index, occurred_at, canonical, ${HEX}, key_id`;

/** Chain index column of a row read with RANGE_COLUMNS. */
const CHAIN_INDEX = 0;

/**
 * The listing's own statement (query/sql-builder.ts: filters, access path,
 * order, keyset position and limit) as a subquery, of which only the
 * columns an export writes are read, as arrays (raw mode). The outer ORDER
 * BY restates the listing order, which a subquery does not promise to keep.
 */
export function exportRowsSql(
  listing: string,
  order: 'asc' | 'desc',
  columns = EXPORT_COLUMNS,
): string {
  const d = order === 'asc' ? 'ASC' : 'DESC';
  return `SELECT ${columns} FROM (${listing}) ORDER BY occurred_at ${d}, org_id ${d}, chain_index ${d}`;
}

/** The filters this reader serves: one org, optionally a time window, nothing else. */
export function isOrgWindow(query: EventQuery): boolean {
  const f = query.filter;
  return (
    f.orgId !== null &&
    f.action === null &&
    f.actorId === null &&
    f.actorType === null &&
    f.targetId === null &&
    f.targetType === null &&
    f.outcome === null &&
    f.q === null &&
    (query.after === null || query.after.orgId === f.orgId)
  );
}

/** Read at most this many rows per row wanted: past it, events are too far out of chain order. */
const MAX_SPAN_FACTOR = 4;

const KEYS = (order: 'ASC' | 'DESC', columns: string) =>
  // events_by_org_time (org_id, occurred_at, chain_index) is the listing's
  // own index for these filters, so the order is the listing's: with one
  // org, (occurred_at, org_id, chain_index) is (occurred_at, chain_index).
  // Covering: no row is read. The start is one row value (the keyset
  // position, or the window's edge), which SQLite seeks to: with a separate
  // bound on occurred_at it seeks to the instant and steps over every event
  // of that instant before the position (a batch of 1,000 events shares one
  // millisecond: that made this query 2.5 times slower at a million rows).
  order === 'ASC'
    ? `SELECT ${columns} FROM events INDEXED BY events_by_org_time
       WHERE org_id = ? AND (occurred_at, chain_index) > (?, ?) AND occurred_at <= ?
       ORDER BY occurred_at ASC, chain_index ASC LIMIT ?`
    : `SELECT ${columns} FROM events INDEXED BY events_by_org_time
       WHERE org_id = ? AND (occurred_at, chain_index) < (?, ?) AND occurred_at >= ?
       ORDER BY occurred_at DESC, chain_index DESC LIMIT ?`;

/** [occurred_at, chain_index] of an event. */
type Key = [number, number];

/** The statements of KEYS by order. */
type KeyStatements = Record<'asc' | 'desc', Database.Statement>;

/**
 * One org's export in the listing order, read without the listing's
 * per-row lookups: the positions of a page come from the listing's index
 * alone (covering), and the rows (listExportEvents) by primary-key range,
 * put back in listing order. While occurred_at grows with chain_index
 * (events sent as they happen) the range is the page; when it is much wider
 * (events far out of chain order) `rows` gives up (null) and the caller
 * reads the page by the listing's statement.
 */
export class OrgWindowReader {
  readonly #keys: KeyStatements;
  /**
   * KEYS of chain_index alone, one number per row (pluck): a page's rows
   * need no more, and an array per row made this query cost a quarter of
   * the reads (bench/export-bench.mjs).
   */
  readonly #chainIndexes: KeyStatements;
  readonly #orgOfProject: Database.Statement;
  readonly #pageRange: Database.Statement;
  readonly #range: Database.Statement;
  /** One snapshot for both statements: another process may append between them. */
  readonly #rows: (projectId: string, query: EventQuery) => ExportEventRow[] | null;

  constructor(db: Database.Database) {
    this.#keys = {
      asc: db.prepare(KEYS('ASC', 'occurred_at, chain_index')).raw(),
      desc: db.prepare(KEYS('DESC', 'occurred_at, chain_index')).raw(),
    };
    this.#chainIndexes = {
      asc: db.prepare(KEYS('ASC', 'chain_index')).pluck(),
      desc: db.prepare(KEYS('DESC', 'chain_index')).pluck(),
    };
    this.#orgOfProject = db.prepare('SELECT 1 FROM orgs WHERE id = ? AND project_id = ?').pluck();
    // project_id: the contract's "never another project's events", checked
    // on each row although an org's events are all of its project.
    this.#pageRange = db
      .prepare(
        `SELECT ${RANGE_COLUMNS} FROM events
         WHERE org_id = ? AND chain_index >= ? AND chain_index <= ? AND project_id = ?`,
      )
      .raw();
    this.#range = db
      .prepare(
        `SELECT ${EXPORT_COLUMNS} FROM events
         WHERE org_id = ? AND chain_index >= ? AND chain_index < ? ORDER BY chain_index`,
      )
      .raw();
    this.#rows = db.transaction((projectId: string, query: EventQuery) =>
      this.#readRows(projectId, query),
    );
  }

  /** The page of listExportEvents, or null when the caller must read it by the listing's statement. */
  rows(projectId: string, query: EventQuery): ExportEventRow[] | null {
    return this.#rows(projectId, query);
  }

  /** The page of listExportPositions. */
  positions(projectId: string, query: EventQuery): ExportPosition[] {
    const orgId = query.filter.orgId!;
    // The index has no project_id: the org's is checked instead (an org never changes project).
    if (this.#orgOfProject.get(orgId, projectId) === undefined) return [];
    return (this.#readKeys(this.#keys, query) as Key[]).map(([occurredAt, chainIndex]) => ({
      orgId,
      chainIndex,
      occurredAt,
    }));
  }

  /** Rows fromIndex <= chain_index < toIndex of the org, ascending (readExportRange). */
  range(orgId: string, fromIndex: number, toIndex: number): ExportEventRow[] {
    return (this.#range.all(orgId, fromIndex, toIndex) as unknown[][]).map(toExportRow);
  }

  /** The page's keys, read by `statements` (KEYS). */
  #readKeys(statements: KeyStatements, query: EventQuery): unknown[] {
    const { filter, after, limit } = query;
    const from = filter.from ?? Number.MIN_SAFE_INTEGER;
    // occurred_at is in whole milliseconds: < to is <= to - 1.
    const to = filter.to === null ? Number.MAX_SAFE_INTEGER : filter.to - 1;
    const keys = statements[query.order];
    if (query.order === 'asc') {
      // Strictly after both the window's start and the keyset position.
      const start: Key =
        after === null || after.occurredAt < from
          ? [from, -1]
          : [after.occurredAt, after.chainIndex];
      return keys.all(filter.orgId, ...start, to, limit);
    }
    const start: Key =
      after === null || after.occurredAt > to
        ? [to, Number.MAX_SAFE_INTEGER]
        : [after.occurredAt, after.chainIndex];
    return keys.all(filter.orgId, ...start, from, limit);
  }

  #readRows(projectId: string, query: EventQuery): ExportEventRow[] | null {
    const keys = this.#readKeys(this.#chainIndexes, query) as number[];
    if (keys.length === 0) return [];
    let first = keys[0]!;
    let last = first;
    for (const k of keys) {
      if (k < first) first = k;
      if (k > last) last = k;
    }
    const span = last - first + 1;
    if (span > MAX_SPAN_FACTOR * keys.length) return null;
    const orgId = query.filter.orgId!;
    const byIndex = new Array<unknown[] | undefined>(span);
    for (const r of this.#pageRange.all(orgId, first, last, projectId) as unknown[][]) {
      byIndex[(r[CHAIN_INDEX] as number) - first] = r;
    }
    const rows: ExportEventRow[] = [];
    for (const k of keys) {
      const r = byIndex[k - first];
      // Not there: another project's (or the listing would not find it either); let it decide.
      if (r === undefined) return null;
      rows.push(
        exportRow(orgId, k, r[1] as number, r[2] as string, r[3] as string, r[4] as string),
      );
    }
    return rows;
  }
}
