// The statements an append writes, shared by the store's own connection
// (sqlite-store.ts, event-terms.ts) and the append writer thread
// (append-writer-apply.ts), so that the two paths can never write differently.

export const INSERT_EVENT = `INSERT INTO events (org_id, chain_index, id, project_id, canonical, leaf_hash, hash, previous_hash,
   signature, key_id, action, actor_id, actor_type, occurred_at, created_at, outcome, entry_type)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const INSERT_TARGET =
  'INSERT INTO event_targets (org_id, chain_index, position, target_type, target_id) VALUES (?, ?, ?, ?, ?)';

export const INSERT_TERM =
  'INSERT INTO event_terms (project_id, field, value, occurred_at, org_id, chain_index) VALUES (?, ?, ?, ?, ?, ?)';

export const INSERT_TREE_HASH = 'INSERT INTO tree_hashes (org_id, idx, hash) VALUES (?, ?, ?)';

export const INSERT_CHECKPOINT =
  'INSERT INTO checkpoints (org_id, tree_size, root_hash, note, key_id, created_at) VALUES (?, ?, ?, ?, ?, ?)';

export const INSERT_IDEMPOTENCY =
  'INSERT INTO idempotency_keys (project_id, key, request_hash, event_ids, created_at) VALUES (?, ?, ?, ?, ?)';

/**
 * Once per org log of an append: the org now has events that hash_index does
 * not hold (migration 9). A row already there keeps its older, lower size.
 */
export const MARK_HASHES_PENDING =
  'INSERT OR IGNORE INTO hash_index_pending (org_id, indexed_size) VALUES (?, ?)';

/** The org's current (unretired) signing key, as SqliteLogReads.currentKeyIdSync reads it. */
export const CURRENT_KEY_ID =
  'SELECT key_id FROM org_keys WHERE org_id = ? AND retired_at IS NULL ORDER BY created_at DESC, key_id DESC LIMIT 1';

/** A PRIMARY KEY or UNIQUE constraint refused an insert (an idempotency key taken, say). */
export function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || error.code === 'SQLITE_CONSTRAINT_UNIQUE')
  );
}
