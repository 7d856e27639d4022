import type { Pool } from 'pg';
import type { EventQuery } from '../../query/event-filter.js';
import { buildListEventsSql, buildTermProbes } from '../../query/sql-builder.js';
import { POSTGRES_DIALECT } from '../../query/sql-dialect.js';
import type { EventRecord, EventTargetRef } from '../../store/records.js';
import { toEvent } from '../row-mappers.js';

// EventQueryStore for PostgreSQL: the adapter (postgres-store.ts) delegates here.

type Row = Record<string, unknown>;

/**
 * The targets of a page in one statement. The page and its targets are
 * read in two statements, but targets are written with their event in one
 * transaction and never change, so a committed event's targets are all there.
 */
const TARGETS_SQL = `
SELECT t.org_id, t.chain_index, t.target_type, t.target_id
FROM event_targets t
JOIN unnest($1::text[], $2::bigint[]) AS e(org_id, chain_index)
  ON t.org_id = e.org_id AND t.chain_index = e.chain_index
ORDER BY t.org_id, t.chain_index, t.position`;

/** One page of a listing (EventQueryStore.listEvents). */
export async function listEvents(
  pool: Pool,
  projectId: string,
  query: EventQuery,
): Promise<EventRecord[]> {
  // Which prefix terms are rare enough to drive the read (sql-builder.ts).
  const selective = new Set<string>();
  for (const probe of buildTermProbes(POSTGRES_DIALECT, projectId, query.filter)) {
    const { rows } = await pool.query<Row>(
      probe.statement.sql,
      probe.statement.params as unknown[],
    );
    if (rows[0]?.selective === 1) selective.add(probe.key);
  }
  const { sql, params } = buildListEventsSql(POSTGRES_DIALECT, projectId, query, selective);
  const rows = (await pool.query<Row>(sql, params as unknown[])).rows;
  if (rows.length === 0) return [];
  const targetRows = (
    await pool.query<Row>(TARGETS_SQL, [rows.map((r) => r.org_id), rows.map((r) => r.chain_index)])
  ).rows;
  const targets = new Map<string, EventTargetRef[]>();
  for (const t of targetRows) {
    const key = `${String(t.chain_index)} ${t.org_id as string}`;
    let list = targets.get(key);
    if (!list) targets.set(key, (list = []));
    list.push({ type: t.target_type as string, id: t.target_id as string });
  }
  return rows.map((r) =>
    toEvent(r, targets.get(`${String(r.chain_index)} ${r.org_id as string}`) ?? []),
  );
}
