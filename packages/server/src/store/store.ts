import type { EventQueryStore } from './event-query-port.js';
import type { ExportStore } from './export-port.js';
import type { LogReadStore } from './log-read-port.js';
import type { PortalStore } from './portal-port.js';
import type { TenancyStore } from './tenancy-port.js';
import type { WebhookStore } from './webhook-port.js';
import type {
  AppendWrite,
  CheckpointRecord,
  EventRecord,
  IdempotencyRecord,
  LogHead,
} from './records.js';

/** One org log an append touches, with the size of the caller's cached Merkle frontier (or -1). */
export interface AppendTarget {
  readonly orgId: string;
  readonly knownTreeSize: number;
}

/** An org's log as the store found it under the lock. */
export interface LockedLog {
  readonly head: LogHead;
  /**
   * The stored tree hashes `MerkleFrontier.indexesFor(head.treeSize)` when the
   * caller's `knownTreeSize` did not match the head; null when it did.
   */
  readonly frontier: ReadonlyMap<number, Uint8Array> | null;
  /**
   * The key id of the org's current (unretired) signing key, read under the
   * lock: a rotation (`rotateOrgKey`, which takes the same lock) is either
   * seen here or commits after this append. Null when the org has none.
   */
  readonly currentKeyId: string | null;
}

/**
 * Builds one group commit from the log heads read under their locks.
 * MUST be synchronous and pure (no I/O): it runs inside the transaction, and
 * a pipelining store may call it again (Store.append).
 */
export type AppendBuilder<T> = (logs: ReadonlyMap<string, LockedLog>) => AppendWrite<T>;

/** Raised by a store when a unique constraint rejects a write. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  constructor(
    readonly constraint: 'idempotency' | 'org_external_id' | 'other',
    options?: { cause?: unknown },
  ) {
    super(`unique constraint violated: ${constraint}`, options);
  }
}

/**
 * The persistence port. Both adapters (SQLite, PostgreSQL) pass the same
 * contract suite (test/store-contract.ts).
 *
 * Durability: every write method MUST NOT resolve until its transaction is
 * durably committed. Concurrency: `append` MUST serialise appends to one org
 * across every process sharing the database (a lock on the org's row in the
 * database, never only in memory), so chain indexes are dense and never reused.
 */
export interface Store
  extends TenancyStore, EventQueryStore, LogReadStore, WebhookStore, ExportStore, PortalStore {
  readonly kind: 'sqlite' | 'postgres';

  /** Applies pending versioned migrations; safe to call from several processes at once. */
  migrate(): Promise<{ applied: number[] }>;
  /** Resolves when the database answers and every migration is applied. */
  checkReady(): Promise<void>;
  close(): Promise<void>;

  /**
   * In ONE transaction: locks the log head of every target org (in ascending
   * org id order, so that two writers never deadlock), calls `build`, writes
   * what it returns, moves each head (only from the head it locked) and
   * commits. The frontier hashes of a target are loaded only when its
   * `knownTreeSize` differs from its head. Throws
   * StoreConflictError('idempotency') when an idempotency key was taken
   * concurrently; nothing at all is written then, nor when `build` throws.
   *
   * A store may pipeline: call the next append's `build` on the head that
   * the appends still in flight will leave, before they committed. Such a
   * store commits a group only if that head (and the current key) is still
   * the org's when its transaction runs; otherwise it calls `build` again on
   * the stored head, under its lock. So `build` may run more than once per
   * append: each run must build from the `logs` it is given, and have no
   * effect outside what it returns.
   */
  append<T>(targets: readonly AppendTarget[], build: AppendBuilder<T>): Promise<T>;

  getEvent(projectId: string, eventId: string): Promise<EventRecord | null>;
  /** Events by id within a project, in the order of `ids` (missing ones skipped). */
  getEventsByIds(projectId: string, ids: readonly string[]): Promise<EventRecord[]>;
  readTreeHashes(orgId: string, indexes: readonly number[]): Promise<Map<number, Uint8Array>>;
  latestCheckpoint(orgId: string): Promise<CheckpointRecord | null>;
  findIdempotency(projectId: string, keys: readonly string[]): Promise<IdempotencyRecord[]>;
}
