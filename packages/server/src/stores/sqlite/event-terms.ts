import type Database from 'better-sqlite3';
import type { LogWrite } from '../../store/records.js';
import { INSERT_TERM } from './append-sql.js';

// Writes the event_terms rows (migration 7) of appended events, inside the
// append transaction of sqlite-store.ts, so that an event and its terms are
// committed together or not at all.

const statements = new WeakMap<Database.Database, Database.Statement>();

/** Inserts the term rows of the log's events; the caller holds the write transaction. */
export function insertEventTerms(db: Database.Database, log: LogWrite): void {
  let insert = statements.get(db);
  if (!insert) statements.set(db, (insert = db.prepare(INSERT_TERM)));
  log.events.forEach((e, i) => {
    for (const t of log.terms[i]!) {
      insert.run(e.projectId, t.field, t.value, e.occurredAt, e.orgId, e.chainIndex);
    }
  });
}
