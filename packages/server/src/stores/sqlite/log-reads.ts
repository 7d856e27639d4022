import type Database from 'better-sqlite3';
import { storedHashCount } from '@logproof/core/merkle'; // loaded by ./verify-worker-thread.ts too
import type { HashMatch, LogReadStore, LogRow, PackedLogRange } from '../../store/log-read-port.js';
import type { CheckpointRecord, OrgKeyRecord, StoredTreeHash } from '../../store/records.js';
import { toCheckpoint } from '../row-mappers.js';
import { CURRENT_KEY_ID } from './append-sql.js';

type Row = Record<string, unknown>;

// The range scans read rows as arrays (better-sqlite3's raw mode) and only
// the columns asked for: a whole-log verification reads millions of rows, and
// row objects and blobs are most of its cost (bench/verify-bench.mjs).
const SCAN_LOG = (columns: string) =>
  `SELECT id, chain_index, canonical, leaf_hash, hash, previous_hash${columns} FROM events
   WHERE org_id = ? AND chain_index >= ? AND chain_index < ? ORDER BY chain_index`;

// The packed range reads (PackedLogRange): SQLite concatenates a chunk's
// columns itself, so a chunk of 10,000 events is three values, not 10,000
// row arrays and 30,000 buffers. Concatenating BLOBs as text keeps their
// bytes; CAST back to BLOB returns them unchanged. The rows come in primary
// key order (the range scan's); a verifier re-reads the range row by row
// whenever they do not line up, so that order is a speed matter only.
const SCAN_PACKED_LOG = `SELECT count(*),
  CAST(group_concat(previous_hash || leaf_hash || hash, '') AS BLOB),
  CAST(group_concat(char(0) || canonical, '') AS BLOB),
  group_concat(octet_length(canonical), ',')
  FROM events WHERE org_id = ? AND chain_index >= ? AND chain_index < ?`;
const SCAN_PACKED_TREE = `SELECT count(*), CAST(group_concat(hash, '') AS BLOB)
  FROM tree_hashes WHERE org_id = ? AND idx >= ? AND idx < ?`;

const EMPTY = new Uint8Array(0);

/** "12,7,300" -> [12, 7, 300], without the garbage of split(). */
function parseLengths(list: string | null): number[] {
  const out: number[] = [];
  if (list === null) return out;
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list.charCodeAt(i);
    if (c === 44) {
      out.push(n);
      n = 0;
    } else {
      n = n * 10 + (c - 48);
    }
  }
  out.push(n);
  return out;
}

function toLogRow(row: unknown[]): LogRow {
  return {
    id: row[0] as string,
    chainIndex: row[1] as number,
    canonical: row[2] as string,
    leafHash: row[3] as Uint8Array,
    hash: row[4] as Uint8Array,
    previousHash: row[5] as Uint8Array,
    signature: (row[6] as Uint8Array | undefined) ?? null,
    keyId: (row[7] as string | undefined) ?? null,
  };
}

function prepare(db: Database.Database) {
  return {
    scanLog: db.prepare(SCAN_LOG('')).raw(),
    scanSignedLog: db.prepare(SCAN_LOG(', signature, key_id')).raw(),
    scanTreeHashes: db
      .prepare(
        'SELECT hash FROM tree_hashes WHERE org_id = ? AND idx >= ? AND idx < ? ORDER BY idx',
      )
      .pluck(),
    scanIndexedTreeHashes: db
      .prepare(
        'SELECT idx, hash FROM tree_hashes WHERE org_id = ? AND idx >= ? AND idx < ? ORDER BY idx',
      )
      .raw(),
    scanPackedLog: db.prepare(SCAN_PACKED_LOG).raw(),
    scanPackedTree: db.prepare(SCAN_PACKED_TREE).raw(),
    checkpointAt: db.prepare('SELECT * FROM checkpoints WHERE org_id = ? AND tree_size = ?'),
    listCheckpoints: db.prepare(
      'SELECT * FROM checkpoints WHERE org_id = ? AND tree_size > ? AND tree_size <= ? ORDER BY tree_size',
    ),
    // GET /v1/hashes/{hex}: hash_index, then the tails it does not hold yet
    // (migration 9, ./hash-index.ts); `is_chain` puts a chain hash first.
    findIndexedHash: db.prepare(
      `SELECT e.org_id, e.id, e.chain_index, e.hash = @hash AS is_chain
       FROM hash_index h JOIN events e ON e.org_id = h.org_id AND e.chain_index = h.chain_index
       WHERE h.hash = @hash AND e.project_id = @project
       ORDER BY is_chain DESC LIMIT 1`,
    ),
    unindexedTails: db.prepare(
      `SELECT p.org_id, p.indexed_size FROM hash_index_pending p JOIN orgs o ON o.id = p.org_id
       WHERE o.project_id = ?`,
    ),
    findTailHash: db.prepare(
      `SELECT org_id, id, chain_index, hash = @hash AS is_chain FROM events
       WHERE org_id = @org AND chain_index >= @from AND (hash = @hash OR leaf_hash = @hash)
       ORDER BY is_chain DESC LIMIT 1`,
    ),
    listOrgIds: db.prepare('SELECT id FROM orgs WHERE id > ? ORDER BY id LIMIT ?').pluck(),
    currentKeyId: db.prepare(CURRENT_KEY_ID),
    retireKey: db.prepare(
      'UPDATE org_keys SET retired_at = ? WHERE org_id = ? AND key_id = ? AND retired_at IS NULL',
    ),
    insertKey: db.prepare(
      'INSERT INTO org_keys (org_id, key_id, public_key, sealed_seed, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
  };
}

/**
 * LogReadStore on the embedded SQLite database. better-sqlite3 is
 * synchronous: every read here is one statement, and the rotation one
 * BEGIN IMMEDIATE transaction, which is the lock every append takes too.
 */
export class SqliteLogReads implements LogReadStore {
  readonly #db: Database.Database;
  readonly #s: ReturnType<typeof prepare>;
  /**
   * One read transaction, so that the index and the tails are of one
   * snapshot: an event the indexer moves from a tail into hash_index in
   * between is in one or the other, never in neither.
   */
  readonly #findHash: (projectId: string, hash: Uint8Array) => HashMatch | null;

  constructor(db: Database.Database) {
    this.#db = db;
    const s = (this.#s = prepare(db));
    this.#findHash = db.transaction((projectId: string, hash: Uint8Array) => {
      let row = s.findIndexedHash.get({ hash, project: projectId }) as Row | undefined;
      if (!row) {
        for (const tail of s.unindexedTails.all(projectId) as Row[]) {
          row = s.findTailHash.get({ org: tail.org_id, from: tail.indexed_size, hash }) as
            Row | undefined;
          if (row) break;
        }
      }
      if (!row) return null;
      return {
        kind: row.is_chain ? 'chain' : 'leaf',
        orgId: row.org_id as string,
        eventId: row.id as string,
        chainIndex: row.chain_index as number,
      } satisfies HashMatch;
    });
  }

  /** For the append path, inside its transaction: the org's current signing key id. */
  currentKeyIdSync(orgId: string): string | null {
    const row = this.#s.currentKeyId.get(orgId) as Row | undefined;
    return row ? (row.key_id as string) : null;
  }

  async scanLog(
    orgId: string,
    fromIndex: number,
    limit: number,
    options: { signatures?: boolean } = {},
  ): Promise<LogRow[]> {
    const statement = options.signatures ? this.#s.scanSignedLog : this.#s.scanLog;
    return (statement.all(orgId, fromIndex, fromIndex + limit) as unknown[][]).map(toLogRow);
  }

  async scanTreeHashes(
    orgId: string,
    fromIndex: number,
    toIndex: number,
  ): Promise<StoredTreeHash[]> {
    // Stored hashes are dense, so their indexes need not be read, unless one is missing.
    const hashes = this.#s.scanTreeHashes.all(orgId, fromIndex, toIndex) as Uint8Array[];
    if (hashes.length === Math.max(0, toIndex - fromIndex)) {
      return hashes.map((hash, i) => ({ index: fromIndex + i, hash }));
    }
    const rows = this.#s.scanIndexedTreeHashes.all(orgId, fromIndex, toIndex) as unknown[][];
    return rows.map((r) => ({ index: r[0] as number, hash: r[1] as Uint8Array }));
  }

  async scanPackedLog(orgId: string, fromIndex: number, toIndex: number): Promise<PackedLogRange> {
    const [rows, rowHashes, leafInputs, lengths] = this.#s.scanPackedLog.get(
      orgId,
      fromIndex,
      toIndex,
    ) as [number, Uint8Array | null, Uint8Array | null, string | null];
    const [treeHashCount, treeHashes] = this.#s.scanPackedTree.get(
      orgId,
      storedHashCount(fromIndex),
      storedHashCount(toIndex),
    ) as [number, Uint8Array | null];
    return {
      rows,
      rowHashes: rowHashes ?? EMPTY,
      leafInputs: leafInputs ?? EMPTY,
      canonicalLengths: parseLengths(lengths),
      treeHashCount,
      treeHashes: treeHashes ?? EMPTY,
    };
  }

  async checkpointAt(orgId: string, treeSize: number): Promise<CheckpointRecord | null> {
    const row = this.#s.checkpointAt.get(orgId, treeSize) as Row | undefined;
    return row ? toCheckpoint(row) : null;
  }

  async listCheckpoints(
    orgId: string,
    afterSize: number,
    upToSize: number,
  ): Promise<CheckpointRecord[]> {
    return (this.#s.listCheckpoints.all(orgId, afterSize, upToSize) as Row[]).map(toCheckpoint);
  }

  async findHash(projectId: string, hash: Uint8Array): Promise<HashMatch | null> {
    return this.#findHash(projectId, hash);
  }

  async listOrgIds(options: { limit: number; afterId?: string }): Promise<string[]> {
    return this.#s.listOrgIds.all(options.afterId ?? '', options.limit) as string[];
  }

  async rotateOrgKey(
    orgId: string,
    newKey: OrgKeyRecord,
    retireKeyId: string,
    at: number,
  ): Promise<boolean> {
    const s = this.#s;
    return this.#db
      .transaction((): boolean => {
        if (newKey.orgId !== orgId)
          throw new Error('rotateOrgKey: the new key belongs to another org');
        if (this.currentKeyIdSync(orgId) !== retireKeyId) return false;
        s.retireKey.run(at, orgId, retireKeyId);
        s.insertKey.run(
          newKey.orgId,
          newKey.keyId,
          newKey.publicKey,
          newKey.sealedSeed,
          newKey.createdAt,
          newKey.retiredAt,
        );
        return true;
      })
      .immediate();
  }
}
