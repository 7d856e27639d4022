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
 * The columns an export reads; the hashes and the signature as one string,
 * lowercase hex, comma-separated (a damaged row may hold a hash of another
 * length, which must be exported as it is, not shift its neighbours).
 */
export const EXPORT_COLUMNS =
  'org_id, chain_index, occurred_at, canonical,' +
  " lower(hex(leaf_hash) || ',' || hex(hash) || ',' || hex(previous_hash) || ',' || hex(signature))," +
  ' key_id';

/** The derived members of a row as EXPORT_COLUMNS reads them. */
function splitHex(text: string): [string, string, string, string] {
  // Slices of the one string (no copies) when every hash is 32 bytes and the signature 64.
  if (text.length === 323 && text[64] === ',' && text[129] === ',' && text[194] === ',') {
    return [text.slice(0, 64), text.slice(65, 129), text.slice(130, 194), text.slice(195)];
  }
  const [leafHash = '', hash = '', previousHash = '', signature = ''] = text.split(',');
  return [leafHash, hash, previousHash, signature];
}

/** Chain index column of a row read with EXPORT_COLUMNS. */
const CHAIN_INDEX = 1;

/** A row read with EXPORT_COLUMNS (raw mode), as the port has it. */
export function toExportRow(r: unknown[]): ExportEventRow {
  const [leafHashHex, hashHex, previousHashHex, signatureHex] = splitHex(r[4] as string);
  return {
    orgId: r[0] as string,
    chainIndex: r[1] as number,
    occurredAt: r[2] as number,
    canonical: r[3] as string,
    leafHashHex,
    hashHex,
    previousHashHex,
    signatureBase64: Buffer.from(signatureHex, 'hex').toString('base64'),
    keyId: r[5] as string,
  };
}

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

const KEYS = (order: 'ASC' | 'DESC') =>
  // events_by_org_time (org_id, occurred_at, chain_index) is the listing's
  // own index for these filters, so the order is the listing's: with one
  // org, (occurred_at, org_id, chain_index) is (occurred_at, chain_index).
  // Covering: no row is read. The start is one row value (the keyset
  // position, or the window's edge), which SQLite seeks to: with a separate
  // bound on occurred_at it seeks to the instant and steps over every event
  // of that instant before the position (a batch of 1,000 events shares one
  // millisecond: that made this query 2.5 times slower at a million rows).
  order === 'ASC'
    ? `SELECT occurred_at, chain_index FROM events INDEXED BY events_by_org_time
       WHERE org_id = ? AND (occurred_at, chain_index) > (?, ?) AND occurred_at <= ?
       ORDER BY occurred_at ASC, chain_index ASC LIMIT ?`
    : `SELECT occurred_at, chain_index FROM events INDEXED BY events_by_org_time
       WHERE org_id = ? AND (occurred_at, chain_index) < (?, ?) AND occurred_at >= ?
       ORDER BY occurred_at DESC, chain_index DESC LIMIT ?`;

/** [occurred_at, chain_index] of an event, as KEYS reads it. */
type Key = [number, number];

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
  readonly #keys: Record<'asc' | 'desc', Database.Statement>;
  readonly #orgOfProject: Database.Statement;
  readonly #pageRange: Database.Statement;
  readonly #range: Database.Statement;
  /** One snapshot for both statements: another process may append between them. */
  readonly #rows: (projectId: string, query: EventQuery) => ExportEventRow[] | null;

  constructor(db: Database.Database) {
    this.#keys = {
      asc: db.prepare(KEYS('ASC')).raw(),
      desc: db.prepare(KEYS('DESC')).raw(),
    };
    this.#orgOfProject = db.prepare('SELECT 1 FROM orgs WHERE id = ? AND project_id = ?').pluck();
    // project_id: the contract's "never another project's events", checked
    // on each row although an org's events are all of its project.
    this.#pageRange = db
      .prepare(
        `SELECT ${EXPORT_COLUMNS} FROM events
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
    return this.#readKeys(query).map(([occurredAt, chainIndex]) => ({
      orgId,
      chainIndex,
      occurredAt,
    }));
  }

  /** Rows fromIndex <= chain_index < toIndex of the org, ascending (readExportRange). */
  range(orgId: string, fromIndex: number, toIndex: number): ExportEventRow[] {
    return (this.#range.all(orgId, fromIndex, toIndex) as unknown[][]).map(toExportRow);
  }

  #readKeys(query: EventQuery): Key[] {
    const { filter, after, limit } = query;
    const from = filter.from ?? Number.MIN_SAFE_INTEGER;
    // occurred_at is in whole milliseconds: < to is <= to - 1.
    const to = filter.to === null ? Number.MAX_SAFE_INTEGER : filter.to - 1;
    const keys = this.#keys[query.order];
    if (query.order === 'asc') {
      // Strictly after both the window's start and the keyset position.
      const start: Key =
        after === null || after.occurredAt < from
          ? [from, -1]
          : [after.occurredAt, after.chainIndex];
      return keys.all(filter.orgId, ...start, to, limit) as Key[];
    }
    const start: Key =
      after === null || after.occurredAt > to
        ? [to, Number.MAX_SAFE_INTEGER]
        : [after.occurredAt, after.chainIndex];
    return keys.all(filter.orgId, ...start, from, limit) as Key[];
  }

  #readRows(projectId: string, query: EventQuery): ExportEventRow[] | null {
    const keys = this.#readKeys(query);
    if (keys.length === 0) return [];
    let first = keys[0]![1];
    let last = first;
    for (const [, k] of keys) {
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
    for (const [, k] of keys) {
      const r = byIndex[k - first];
      // Not there: another project's (or the listing would not find it either); let it decide.
      if (r === undefined) return null;
      rows.push(toExportRow(r));
    }
    return rows;
  }
}
