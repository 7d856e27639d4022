import type { CheckpointRecord, EventRecord, OrgKeyRecord, StoredTreeHash } from './records.js';

/**
 * One row of an org's log, as a verifier reads it: the stored canonical bytes
 * and the stored hashes, none of the query columns; the signature and its
 * key id only when asked for (they are a quarter of the bytes read).
 */
export interface LogRow extends Pick<
  EventRecord,
  'id' | 'chainIndex' | 'canonical' | 'leafHash' | 'hash' | 'previousHash'
> {
  readonly signature: Uint8Array | null;
  readonly keyId: string | null;
}

/**
 * A range of an org's log packed into a few byte strings, for a verifier's
 * fast path: a whole-log verification reads millions of rows, and one object
 * and three buffers per row were most of its cost (bench/verify-bench.mjs).
 * Everything is in ascending order; a verifier MUST treat whatever does not
 * match (a missing row, a length that does not add up, another order) as a
 * reason to read the range with `scanLog`, so the packing can cost time but
 * never hide a problem.
 */
export interface PackedLogRange {
  /** Event rows found in [from, to). */
  readonly rows: number;
  /** Per row: previous_hash || leaf_hash || hash (96 bytes when the row is whole). */
  readonly rowHashes: Uint8Array;
  /** Per row: 0x00 || canonical bytes, the RFC 6962 leaf input (PROOFS.md §3). */
  readonly leafInputs: Uint8Array;
  /** Per row: the byte length of its canonical bytes. */
  readonly canonicalLengths: readonly number[];
  /** Stored tree hashes found in [storedHashCount(from), storedHashCount(to)). */
  readonly treeHashCount: number;
  /** Those tree hashes, by ascending index (32 bytes each when whole). */
  readonly treeHashes: Uint8Array;
}

/** Where a hash was issued (GET /v1/hashes/{hex}). */
export interface HashMatch {
  /** `chain`: an event's `hash`; `leaf`: an event's `leaf_hash` (PROOFS.md §3). */
  readonly kind: 'chain' | 'leaf';
  readonly orgId: string;
  readonly eventId: string;
  readonly chainIndex: number;
}

/**
 * Reads for verification (API.md "Verification"): log ranges, stored tree
 * hashes, checkpoints by size, hash lookups, and key rotation. Implemented in
 * stores/<kind>/log-reads.ts; the adapters delegate to it, and both pass
 * test/store-log-reads-contract.ts.
 *
 * Range reads are bounded by their arguments so that a verifier streams a log
 * of any length in constant memory. They MUST NOT fill gaps: a row missing
 * from the database is simply absent from the answer, which is how a verifier
 * notices it.
 */
export interface LogReadStore {
  /**
   * The org's events with `fromIndex <= chain_index < fromIndex + limit`, in
   * ascending chain_index order (at most `limit` rows); `signature` and
   * `keyId` are null unless `options.signatures`.
   */
  scanLog(
    orgId: string,
    fromIndex: number,
    limit: number,
    options?: { signatures?: boolean },
  ): Promise<LogRow[]>;

  /**
   * The org's stored Merkle tree hashes with `fromIndex <= idx < toIndex`
   * (stored-hash indexes, see the core's `storedHashIndex`), ascending.
   */
  scanTreeHashes(orgId: string, fromIndex: number, toIndex: number): Promise<StoredTreeHash[]>;

  /**
   * The org's events with `fromIndex <= chain_index < toIndex` and the stored
   * tree hashes their leaves created, packed (see {@link PackedLogRange}).
   */
  scanPackedLog(orgId: string, fromIndex: number, toIndex: number): Promise<PackedLogRange>;

  /** The checkpoint signed at exactly `treeSize`, or null when none was. */
  checkpointAt(orgId: string, treeSize: number): Promise<CheckpointRecord | null>;

  /**
   * The org's checkpoints with `afterSize < tree_size <= upToSize`, ascending
   * by size (pass -1 to include the empty tree's).
   */
  listCheckpoints(orgId: string, afterSize: number, upToSize: number): Promise<CheckpointRecord[]>;

  /**
   * The event of the project whose `hash` (preferred) or `leaf_hash` is
   * `hash`, or null. MUST NOT find another project's events.
   */
  findHash(projectId: string, hash: Uint8Array): Promise<HashMatch | null>;

  /** The ids of every org of every project, ascending (keyset pages), for the self-audit. */
  listOrgIds(options: { limit: number; afterId?: string }): Promise<string[]>;

  /**
   * In ONE transaction that holds the org's log lock (the lock `append`
   * takes, so a rotation is ordered against every append): sets `retired_at`
   * of `retireKeyId` and inserts `newKey`. When `retireKeyId` is not the org's
   * current (unretired) key, nothing is written and it resolves false.
   */
  rotateOrgKey(
    orgId: string,
    newKey: OrgKeyRecord,
    retireKeyId: string,
    at: number,
  ): Promise<boolean>;
}
