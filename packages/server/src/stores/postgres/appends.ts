import { MerkleFrontier } from '@logproof/core';
import { DatabaseError, type PoolClient } from 'pg';
import { assertLogWriteFits } from '../../store/append-guard.js';
import type { AppendWrite, CheckpointRecord, EventRecord, LogHead } from '../../store/records.js';
import {
  StoreConflictError,
  type AppendBuilder,
  type AppendTarget,
  type LockedLog,
} from '../../store/store.js';
import type { Row } from '../row-mappers.js';
import { eventTermColumns } from './event-terms.js';
import { readCurrentKeyIds } from './log-reads.js';

// The append path of PostgresStore (Store.append, and readTreeHashes over the
// tree hashes it writes): the adapter (postgres-store.ts) delegates here.

function isUniqueViolation(error: unknown, table: string): boolean {
  return error instanceof DatabaseError && error.code === '23505' && error.table === table;
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

/** Store.append (and readTreeHashes) on PostgreSQL: one transaction and one write per group commit. */
export class PostgresAppends {
  constructor(
    private readonly rows: (text: string, values?: readonly unknown[]) => Promise<Row[]>,
    private readonly transaction: <T>(
      work: (client: PoolClient) => Promise<T>,
      begin?: string,
    ) => Promise<T>,
  ) {}

  async append<T>(targets: readonly AppendTarget[], build: AppendBuilder<T>): Promise<T> {
    // The port's "MUST NOT resolve until durably committed", whatever the
    // server's default: wait for the WAL flush (and sync standbys) at COMMIT.
    // Sent with BEGIN as one simple query: one round trip less.
    return this.transaction(async (c) => {
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

  async readTreeHashes(
    orgId: string,
    indexes: readonly number[],
  ): Promise<Map<number, Uint8Array>> {
    if (indexes.length === 0) return new Map();
    const wanted = new Map([[orgId, indexes]]);
    const rows = await this.rows(SELECT_TREE_HASHES, hashRequestParams(wanted));
    return collectHashes(rows, wanted).get(orgId)!;
  }
}

/** Also writes an org's first checkpoint, for createOrg (./tenancy.ts). */
export async function insertCheckpoints(
  c: PoolClient,
  cps: readonly CheckpointRecord[],
): Promise<void> {
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
