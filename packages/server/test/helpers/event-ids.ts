// The ids of an org's events in chain order, read from the database. The API
// has no list endpoint yet (GET /v1/events), and after a crash the log may hold
// events that were committed but never acknowledged; to check the whole chain
// and tree we need their ids. Everything else is then read through the API.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';

export type Backend = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

export async function eventIdsInChainOrder(backend: Backend, orgId: string): Promise<string[]> {
  const sql = 'SELECT id, chain_index FROM events WHERE org_id = $1 ORDER BY chain_index';
  let rows: Array<{ id: string; chain_index: number | string }>;
  if (backend.kind === 'sqlite') {
    const db = new Database(join(backend.dataDir, 'logproof.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      rows = db.prepare(sql.replace('$1', '?')).all(orgId) as typeof rows;
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: backend.url });
    await client.connect();
    try {
      rows = (await client.query<{ id: string; chain_index: string }>(sql, [orgId])).rows;
    } finally {
      await client.end();
    }
  }
  // Dense from 0 is what the caller checks; here only that the order is the chain's.
  return rows.map((r) => r.id);
}
