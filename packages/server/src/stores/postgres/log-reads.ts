import type { Pool, PoolClient } from 'pg';
import { storedHashCount } from '@logproof/core';
import type { HashMatch, LogReadStore, LogRow, PackedLogRange } from '../../store/log-read-port.js';
import type { CheckpointRecord, OrgKeyRecord, StoredTreeHash } from '../../store/records.js';
import { toCheckpoint } from '../row-mappers.js';

type Row = Record<string, unknown>;

const SCAN_LOG = (columns: string) => `
SELECT id, chain_index, canonical, leaf_hash, hash, previous_hash${columns}
FROM events WHERE org_id = $1 AND chain_index >= $2 AND chain_index < $3
ORDER BY chain_index`;
const SCAN_HASHES = SCAN_LOG('');
const SCAN_SIGNED = SCAN_LOG(', signature, key_id');

// PackedLogRange: the database concatenates a chunk's columns, so a chunk of
// 10,000 events crosses the wire as a few values, not 10,000 rows.
const SCAN_PACKED_LOG = `
SELECT count(*)::int AS rows,
  string_agg(previous_hash || leaf_hash || hash, ''::bytea ORDER BY chain_index) AS row_hashes,
  string_agg(decode('00', 'hex') || convert_to(canonical, 'UTF8'), ''::bytea ORDER BY chain_index) AS leaf_inputs,
  array_agg(octet_length(canonical) ORDER BY chain_index) AS lengths
FROM events WHERE org_id = $1 AND chain_index >= $2 AND chain_index < $3`;
const SCAN_PACKED_TREE = `
SELECT count(*)::int AS n, string_agg(hash, ''::bytea ORDER BY idx) AS hashes
FROM tree_hashes WHERE org_id = $1 AND idx >= $2 AND idx < $3`;

const EMPTY = new Uint8Array(0);

// Two lookups, each on its own index (migration 3); `hash` wins.
const FIND_HASH = `
(SELECT 'chain' AS kind, org_id, id, chain_index FROM events WHERE hash = $1 AND project_id = $2 LIMIT 1)
UNION ALL
(SELECT 'leaf' AS kind, org_id, id, chain_index FROM events WHERE leaf_hash = $1 AND project_id = $2 LIMIT 1)`;

const CURRENT_KEYS = `
SELECT DISTINCT ON (org_id) org_id, key_id FROM org_keys
WHERE org_id = ANY($1::text[]) AND retired_at IS NULL
ORDER BY org_id, created_at DESC, key_id DESC`;

function toLogRow(row: Row): LogRow {
  return {
    id: row.id as string,
    chainIndex: row.chain_index as number,
    canonical: row.canonical as string,
    leafHash: row.leaf_hash as Uint8Array,
    hash: row.hash as Uint8Array,
    previousHash: row.previous_hash as Uint8Array,
    signature: (row.signature as Uint8Array | undefined) ?? null,
    keyId: (row.key_id as string | undefined) ?? null,
  };
}

/**
 * The current signing key id of each org, for the append path. It MUST run
 * as its own statement after the org rows were locked: under READ COMMITTED
 * a statement that waited for a lock held by a rotation would still read
 * org_keys from its own, older snapshot, while the next statement sees what
 * the rotation committed.
 */
export async function readCurrentKeyIds(
  c: PoolClient,
  orgIds: readonly string[],
): Promise<Map<string, string>> {
  const rows = (await c.query<Row>(CURRENT_KEYS, [orgIds])).rows;
  return new Map(rows.map((r) => [r.org_id as string, r.key_id as string]));
}

/** LogReadStore on PostgreSQL: single statements on the pool, and one transaction for a rotation. */
export class PostgresLogReads implements LogReadStore {
  constructor(
    private readonly pool: Pool,
    private readonly transaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  async #rows(text: string, values: readonly unknown[]): Promise<Row[]> {
    return (await this.pool.query<Row>(text, values as unknown[])).rows;
  }

  async scanLog(
    orgId: string,
    fromIndex: number,
    limit: number,
    options: { signatures?: boolean } = {},
  ): Promise<LogRow[]> {
    const text = options.signatures ? SCAN_SIGNED : SCAN_HASHES;
    return (await this.#rows(text, [orgId, fromIndex, fromIndex + limit])).map(toLogRow);
  }

  async scanTreeHashes(
    orgId: string,
    fromIndex: number,
    toIndex: number,
  ): Promise<StoredTreeHash[]> {
    const rows = await this.#rows(
      'SELECT idx, hash FROM tree_hashes WHERE org_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx',
      [orgId, fromIndex, toIndex],
    );
    return rows.map((r) => ({ index: r.idx as number, hash: r.hash as Uint8Array }));
  }

  async scanPackedLog(orgId: string, fromIndex: number, toIndex: number): Promise<PackedLogRange> {
    const [[log], [tree]] = await Promise.all([
      this.#rows(SCAN_PACKED_LOG, [orgId, fromIndex, toIndex]),
      this.#rows(SCAN_PACKED_TREE, [orgId, storedHashCount(fromIndex), storedHashCount(toIndex)]),
    ]);
    return {
      rows: (log?.rows as number | undefined) ?? 0,
      rowHashes: (log?.row_hashes as Uint8Array | null | undefined) ?? EMPTY,
      leafInputs: (log?.leaf_inputs as Uint8Array | null | undefined) ?? EMPTY,
      canonicalLengths: (log?.lengths as number[] | null | undefined) ?? [],
      treeHashCount: (tree?.n as number | undefined) ?? 0,
      treeHashes: (tree?.hashes as Uint8Array | null | undefined) ?? EMPTY,
    };
  }

  async checkpointAt(orgId: string, treeSize: number): Promise<CheckpointRecord | null> {
    const row = (
      await this.#rows('SELECT * FROM checkpoints WHERE org_id = $1 AND tree_size = $2', [
        orgId,
        treeSize,
      ])
    )[0];
    return row ? toCheckpoint(row) : null;
  }

  async listCheckpoints(
    orgId: string,
    afterSize: number,
    upToSize: number,
  ): Promise<CheckpointRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM checkpoints WHERE org_id = $1 AND tree_size > $2 AND tree_size <= $3 ORDER BY tree_size',
      [orgId, afterSize, upToSize],
    );
    return rows.map(toCheckpoint);
  }

  async findHash(projectId: string, hash: Uint8Array): Promise<HashMatch | null> {
    const rows = await this.#rows(FIND_HASH, [hash, projectId]);
    const row = rows.find((r) => r.kind === 'chain') ?? rows[0];
    if (!row) return null;
    return {
      kind: row.kind as 'chain' | 'leaf',
      orgId: row.org_id as string,
      eventId: row.id as string,
      chainIndex: row.chain_index as number,
    };
  }

  async listOrgIds(options: { limit: number; afterId?: string }): Promise<string[]> {
    const rows = await this.#rows('SELECT id FROM orgs WHERE id > $1 ORDER BY id LIMIT $2', [
      options.afterId ?? '',
      options.limit,
    ]);
    return rows.map((r) => r.id as string);
  }

  async rotateOrgKey(
    orgId: string,
    newKey: OrgKeyRecord,
    retireKeyId: string,
    at: number,
  ): Promise<boolean> {
    if (newKey.orgId !== orgId) throw new Error('rotateOrgKey: the new key belongs to another org');
    return this.transaction(async (c) => {
      // The append path's lock: appends before this commit signed with the
      // old key, appends after it read the new key id under the same lock.
      const locked = await c.query('SELECT id FROM orgs WHERE id = $1 FOR UPDATE', [orgId]);
      if (locked.rowCount !== 1) return false;
      const current = (await readCurrentKeyIds(c, [orgId])).get(orgId);
      if (current !== retireKeyId) return false;
      await c.query('UPDATE org_keys SET retired_at = $1 WHERE org_id = $2 AND key_id = $3', [
        at,
        orgId,
        retireKeyId,
      ]);
      await c.query(
        'INSERT INTO org_keys (org_id, key_id, public_key, sealed_seed, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          newKey.orgId,
          newKey.keyId,
          newKey.publicKey,
          newKey.sealedSeed,
          newKey.createdAt,
          newKey.retiredAt,
        ],
      );
      return true;
    });
  }
}
