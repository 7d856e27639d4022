import type Database from 'better-sqlite3';
import type { EventQuery } from '../../query/event-filter.js';
import { buildListEventsSql, buildTermProbes } from '../../query/sql-builder.js';
import { SQLITE_DIALECT } from '../../query/sql-dialect.js';
import type { EventRecord } from '../../store/records.js';
import { toEvent } from '../row-mappers.js';

// EventQueryStore for SQLite: the adapter (sqlite-store.ts) delegates here.

type Row = Record<string, unknown>;

const TARGETS_SQL =
  'SELECT target_type, target_id FROM event_targets WHERE org_id = ? AND chain_index = ? ORDER BY position';

/**
 * Prepared statements by SQL text, per database. The text depends only on
 * which filters are present (values are parameters), so there are few
 * distinct ones; the bound keeps a stream of odd queries from growing it.
 */
const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();
const MAX_CACHED_STATEMENTS = 256;

function prepare(db: Database.Database, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) statementCache.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** One page of a listing (EventQueryStore.listEvents). */
export function listEvents(
  db: Database.Database,
  projectId: string,
  query: EventQuery,
): EventRecord[] {
  const targets = prepare(db, TARGETS_SQL);
  // One synchronous read transaction: the page and its targets come from one snapshot.
  return db.transaction(() => {
    // Which prefix terms are rare enough to drive the read (sql-builder.ts).
    const selective = new Set<string>();
    for (const probe of buildTermProbes(SQLITE_DIALECT, projectId, query.filter)) {
      const row = prepare(db, probe.statement.sql).get(...probe.statement.params) as Row;
      if (row.selective === 1) selective.add(probe.key);
    }
    const { sql, params } = buildListEventsSql(SQLITE_DIALECT, projectId, query, selective);
    return (prepare(db, sql).all(...params) as Row[]).map((row) =>
      toEvent(
        row,
        (targets.all(row.org_id, row.chain_index) as Row[]).map((t) => ({
          type: t.target_type as string,
          id: t.target_id as string,
        })),
      ),
    );
  })();
}
