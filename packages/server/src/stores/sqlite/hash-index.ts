import type Database from 'better-sqlite3';

// Fills hash_index (migration 9), the lookup of GET /v1/hashes/{hex}, after
// the appends committed rather than in them. In the append transaction, one
// index entry per hash went to a random page of a large b-tree: two pages
// written per event, at every commit. Here an org's events are indexed a few
// thousand at a time, sorted by hash, off the path a request waits on; while
// the index is not much larger than the batch, its entries also share pages.
// Until then the events are found in the org's tail (log-reads.ts findHash),
// so no lookup ever misses an acknowledged event.
//
// Runs where the appends commit: on the append writer thread, or on the
// store's own connection when appends run there (':memory:', no thread).
// Every step is one transaction that checks hash_index_pending under the
// write lock, so a step is never applied twice and never skips an event.

/** Index an org's log once this many of its events are not indexed. */
export const HASH_INDEX_CHUNK = 4096;
/**
 * How long a step should hold the write lock, which appends wait for: this,
 * or as long as the commit it follows took, if longer (a batch of 1000 that
 * took 70 ms is not hurt by a step as long; a single event is). The events a
 * step takes are sized to it by the rate of the step before: the larger the
 * index, the more pages each event's entries touch.
 */
const STEP_TARGET_MS = 20;
/**
 * With no append for this long, index whatever is left. Not the short gaps
 * between the groups of a steady load: filling them one group at a time cost
 * more than it saved (bench/append-cpu.mjs, batches 5.7-6.0k events/s against
 * 7.0-7.2k at 1 s).
 */
const IDLE_MS = 1000;

export interface HashIndexerOptions {
  /** HASH_INDEX_CHUNK by default (also when undefined); tests set a small one. */
  readonly chunk?: number | undefined;
  /** Told of a step that failed (it is tried again later); a process warning by default. */
  readonly onError?: (error: unknown) => void;
  /** Told how long each step held the connection, in ms (the writer thread's busy time). */
  readonly onStep?: (ms: number) => void;
}

export class HashIndexer {
  readonly #chunk: number;
  readonly #onError: (error: unknown) => void;
  readonly #onStep: ((ms: number) => void) | undefined;
  readonly #s: ReturnType<typeof prepare>;
  readonly #step: Database.Transaction<(orgId: string, limit: number) => number>;
  /** Events per ms of the step before; unknown (Infinity) until one ran. */
  #rate = Number.POSITIVE_INFINITY;
  #idle: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(db: Database.Database, options: HashIndexerOptions = {}) {
    this.#chunk = options.chunk ?? HASH_INDEX_CHUNK;
    if (!Number.isSafeInteger(this.#chunk) || this.#chunk < 1) {
      throw new RangeError(`hash index chunk must be a positive integer, got ${this.#chunk}`);
    }
    this.#onError =
      options.onError ??
      ((error) =>
        process.emitWarning(
          `hash index step failed, tried again later: ${error instanceof Error ? error.message : String(error)}`,
          'LogproofHashIndexWarning',
        ));
    this.#onStep = options.onStep;
    const s = (this.#s = prepare(db));
    // Returns how many events it indexed.
    this.#step = db.transaction((orgId: string, limit: number): number => {
      const indexed = s.pending.get(orgId) as number | undefined;
      if (indexed === undefined) return 0;
      const size = s.treeSize.get(orgId) as number;
      const to = Math.min(size, indexed + limit);
      if (to > indexed) s.insert.run({ org: orgId, from: indexed, to });
      if (to === size) s.done.run(orgId);
      else s.advance.run(to, orgId);
      return to - indexed;
    });
  }

  /**
   * An append of `added` events to orgId's log committed in `commitMs`,
   * leaving it treeSize long. Once a chunk of the org's events are not
   * indexed, every commit is followed by a step of at least as many events as
   * it added, so that the unindexed tail (which a lookup scans) stays about a
   * chunk long under any load; the rest is indexed once appends go idle.
   * Never throws: the append is committed whatever happens here.
   */
  committed(orgId: string, treeSize: number, added: number, commitMs = 0): void {
    if (this.#closed) return;
    try {
      const indexed = this.#s.pending.get(orgId) as number | undefined;
      if (indexed !== undefined && treeSize - indexed >= this.#chunk) {
        this.#index(orgId, Math.max(added, this.#eventsIn(Math.max(STEP_TARGET_MS, commitMs))));
      }
    } catch (error) {
      this.#onError(error);
    }
    this.#scheduleIdle();
  }

  /** How many events a step should take to last about `ms`, at the last step's rate. */
  #eventsIn(ms: number): number {
    const n = Math.floor(this.#rate * ms);
    return Math.min(4 * this.#chunk, Math.max(Math.ceil(this.#chunk / 64), n));
  }

  /** One step, timed to size the next ones. */
  #index(orgId: string, limit: number): void {
    const started = performance.now();
    let n = 0;
    try {
      n = this.#step.immediate(orgId, limit);
    } finally {
      this.#onStep?.(performance.now() - started);
    }
    if (n === 0) return;
    this.#rate = n / Math.max(performance.now() - started, 0.01);
  }

  /** Indexes whatever is left once appends go idle (at start, after a crash say). */
  #scheduleIdle(): void {
    if (this.#idle) this.#idle.refresh();
    else this.#idle = setTimeout(() => this.#drain(), IDLE_MS).unref();
  }

  /** One chunk of one pending org, then yields (appends come first) and goes on. */
  #drain(): void {
    this.#idle = null;
    if (this.#closed) return;
    try {
      const orgId = this.#s.anyPending.get() as string | undefined;
      if (orgId === undefined) return;
      this.#index(orgId, this.#eventsIn(STEP_TARGET_MS));
    } catch (error) {
      // SQLITE_BUSY from another process, say: tried again at the next idle.
      this.#onError(error);
      return;
    }
    setImmediate(() => {
      if (this.#idle === null) this.#drain();
    });
  }

  /** Starts indexing what is left, as after an append (the writer thread at start). */
  start(): void {
    this.#scheduleIdle();
  }

  /** Stops: no step starts after this. */
  close(): void {
    this.#closed = true;
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
  }
}

function prepare(db: Database.Database) {
  return {
    pending: db.prepare('SELECT indexed_size FROM hash_index_pending WHERE org_id = ?').pluck(),
    anyPending: db.prepare('SELECT org_id FROM hash_index_pending LIMIT 1').pluck(),
    treeSize: db.prepare('SELECT tree_size FROM orgs WHERE id = ?').pluck(),
    // Sorted, so that the entries go into the b-tree in key order.
    insert: db.prepare(
      `INSERT INTO hash_index (hash, org_id, chain_index)
       SELECT * FROM (
         SELECT hash, org_id, chain_index FROM events WHERE org_id = @org AND chain_index >= @from AND chain_index < @to
         UNION ALL
         SELECT leaf_hash, org_id, chain_index FROM events WHERE org_id = @org AND chain_index >= @from AND chain_index < @to
       )
       ORDER BY 1`,
    ),
    advance: db.prepare('UPDATE hash_index_pending SET indexed_size = ? WHERE org_id = ?'),
    done: db.prepare('DELETE FROM hash_index_pending WHERE org_id = ?'),
  };
}
