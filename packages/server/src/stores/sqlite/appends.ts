import { MerkleFrontier } from '@logproof/core';
import type Database from 'better-sqlite3';
import { assertLogWriteFits } from '../../store/append-guard.js';
import type { LogHead, LogWrite } from '../../store/records.js';
import {
  StoreConflictError,
  type AppendBuilder,
  type AppendTarget,
  type LockedLog,
} from '../../store/store.js';
import {
  CURRENT_KEY_ID,
  INSERT_CHECKPOINT,
  INSERT_EVENT,
  INSERT_IDEMPOTENCY,
  INSERT_TARGET,
  INSERT_TREE_HASH,
  isUniqueViolation,
  MARK_HASHES_PENDING,
} from './append-sql.js';
import { SqliteAppendWriter, WriterFailedError } from './append-writer.js';
import { packIdempotency, packLog } from './append-writer-protocol.js';
import { insertEventTerms } from './event-terms.js';
import { HashIndexer } from './hash-index.js';

// The append path of SqliteStore: on the writer thread, pipelined
// (./append-writer.ts), or on the store's own connection in one synchronous
// transaction (':memory:', no thread, or a group the thread refused).

type Row = Record<string, unknown>;

/** The store's error for a job the writer thread did not commit (other than head_moved). */
function writerError(error: unknown): unknown {
  if (!(error instanceof WriterFailedError)) return error;
  const f = error.failure;
  if (f.kind === 'idempotency') return new StoreConflictError('idempotency', { cause: error });
  const code = f.kind === 'error' ? f.code : undefined;
  return Object.assign(new Error(f.message, { cause: error }), code ? { code } : {});
}

/** The state of an org's log that in-flight appends will leave, once they commit. */
interface InflightLog {
  /** The first and the last append job that built on this state. */
  readonly firstJob: number;
  lastJob: number;
  head: LogHead;
  /** The tree hashes those jobs write, for the frontier of the next one. */
  readonly treeHashes: Map<number, Uint8Array>;
}

function prepareStatements(db: Database.Database) {
  return {
    head: db.prepare('SELECT tree_size, head_hash, root_hash FROM orgs WHERE id = ?'),
    currentKeyId: db.prepare(CURRENT_KEY_ID).pluck(),
    updateHead: db.prepare(
      'UPDATE orgs SET tree_size = ?, head_hash = ?, root_hash = ? WHERE id = ? AND tree_size = ?',
    ),
    insertEvent: db.prepare(INSERT_EVENT),
    insertTarget: db.prepare(INSERT_TARGET),
    insertTreeHash: db.prepare(INSERT_TREE_HASH),
    insertCheckpoint: db.prepare(INSERT_CHECKPOINT),
    insertIdempotency: db.prepare(INSERT_IDEMPOTENCY),
    markHashesPending: db.prepare(MARK_HASHES_PENDING),
    readTreeHash: db.prepare('SELECT hash FROM tree_hashes WHERE org_id = ? AND idx = ?').pluck(),
  };
}

export interface SqliteAppendsOptions {
  /** The database file, or ':memory:'. */
  readonly filename: string;
  /** Commit on a writer thread; see SqliteStoreOptions.appendThread. */
  readonly thread: boolean;
  /** The writer thread's script, for tests; the compiled one by default. */
  readonly threadScript?: URL | undefined;
  /** HashIndexer's chunk (./hash-index.ts), for tests; its default when absent. */
  readonly hashIndexChunk?: number | undefined;
}

export class SqliteAppends {
  readonly #db: Database.Database;
  readonly #options: SqliteAppendsOptions;
  #stmts: ReturnType<typeof prepareStatements> | undefined;
  #writer: SqliteAppendWriter | null = null;
  /** Indexes hashes of the appends committed on this connection (the thread has its own). */
  #hashIndexer: HashIndexer | undefined;
  #appendJobs = 0;
  readonly #inflight = new Map<string, InflightLog>();

  constructor(db: Database.Database, options: SqliteAppendsOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** Statements are prepared on first use, after migrations made the tables. */
  get #s(): ReturnType<typeof prepareStatements> {
    this.#stmts ??= prepareStatements(this.#db);
    return this.#stmts;
  }

  /** Lets the groups in flight commit, then ends the writer thread. */
  async close(): Promise<void> {
    this.#hashIndexer?.close();
    await this.#writer?.close();
  }

  /** Store.append (the port says what it guarantees). */
  async append<T>(targets: readonly AppendTarget[], build: AppendBuilder<T>): Promise<T> {
    const writer = this.#appendWriter();
    return writer
      ? this.#appendOnThread(writer, targets, build)
      : this.#appendInline(targets, build);
  }

  /** The writer thread, started on the first append; null when appends run on this connection. */
  #appendWriter(): SqliteAppendWriter | null {
    if (!this.#options.thread || !this.#db.open) return null;
    if (this.#writer === null) {
      const { filename, threadScript } = this.#options;
      this.#writer = new SqliteAppendWriter({
        filename,
        ...(threadScript ? { script: threadScript } : {}),
        hashIndexChunk: this.#options.hashIndexChunk,
      });
    }
    // A thread that stopped (it failed, or was closed) is not started again:
    // appends fall back to this connection, which is correct, only slower.
    return this.#writer.running ? this.#writer : null;
  }

  /**
   * The pipelined append. The group is built here, on the head the appends
   * still in flight will leave (or the stored head when there are none), and
   * committed by the writer thread while this thread goes on with the next
   * requests. The thread writes it only when the org's stored head (size and
   * hash) and current key are still the ones it was built on. When they are
   * not (an earlier group of the pipeline failed, a rotation or another
   * process committed in between), it writes nothing, and the group is built
   * again on this connection under the write lock, as #appendInline does.
   */
  async #appendOnThread<T>(
    writer: SqliteAppendWriter,
    targets: readonly AppendTarget[],
    build: AppendBuilder<T>,
  ): Promise<T> {
    const logs = new Map<string, LockedLog>();
    for (const target of targets) {
      const inflight = this.#inflight.get(target.orgId);
      const head = inflight?.head ?? this.#storedHead(target.orgId);
      let frontier: Map<number, Uint8Array> | null = null;
      if (head.treeSize !== target.knownTreeSize) {
        const indexes = MerkleFrontier.indexesFor(head.treeSize);
        frontier = new Map();
        const missing: number[] = [];
        for (const idx of indexes) {
          const hash = inflight?.treeHashes.get(idx);
          if (hash) frontier.set(idx, hash);
          else missing.push(idx);
        }
        for (const [idx, hash] of this.#readTreeHashesSync(target.orgId, missing)) {
          frontier.set(idx, hash);
        }
      }
      const currentKeyId = (this.#s.currentKeyId.get(target.orgId) as string | undefined) ?? null;
      logs.set(target.orgId, { head, frontier, currentKeyId });
    }
    const w = build(logs);
    const seen = new Set<string>();
    const packed = w.logs.map((log) => {
      if (seen.has(log.orgId)) throw new Error(`append: ${log.orgId} was written twice`);
      seen.add(log.orgId);
      const locked = logs.get(log.orgId);
      assertLogWriteFits(log, locked);
      return packLog(log, locked.head, locked.currentKeyId);
    });
    const idempotency = packIdempotency(w.idempotency);
    const job = ++this.#appendJobs;
    for (const log of w.logs) {
      let inflight = this.#inflight.get(log.orgId);
      if (!inflight) {
        inflight = { firstJob: job, lastJob: job, head: log.head, treeHashes: new Map() };
        this.#inflight.set(log.orgId, inflight);
      }
      inflight.lastJob = job;
      inflight.head = log.head;
      for (const h of log.treeHashes) inflight.treeHashes.set(h.index, h.hash);
    }
    try {
      await writer.run(packed, idempotency);
    } catch (error) {
      // Every later job in flight for these orgs was built on this one and
      // will fail too; the next append starts again from the stored head.
      for (const log of w.logs) {
        const inflight = this.#inflight.get(log.orgId);
        if (inflight && inflight.firstJob <= job) this.#inflight.delete(log.orgId);
      }
      if (error instanceof WriterFailedError && error.failure.kind === 'head_moved') {
        return this.#appendInline(targets, build);
      }
      throw writerError(error);
    }
    for (const log of w.logs) {
      const inflight = this.#inflight.get(log.orgId);
      if (inflight?.lastJob === job) this.#inflight.delete(log.orgId);
      else if (inflight && inflight.firstJob <= job) {
        // Committed, so readable from the database: under a steady load the
        // state never empties, and must not keep every hash ever written.
        for (const h of log.treeHashes) inflight.treeHashes.delete(h.index);
      }
    }
    return w.result;
  }

  /** SqliteAppendWriter.busySeconds of the writer thread; 0 before it started or without one. */
  get writerBusySeconds(): number {
    return this.#writer?.busySeconds ?? 0;
  }

  /** What the pipelined appends hold in memory now: for tests. */
  get inFlight(): { orgs: number; treeHashes: number } {
    let treeHashes = 0;
    for (const log of this.#inflight.values()) treeHashes += log.treeHashes.size;
    return { orgs: this.#inflight.size, treeHashes };
  }

  #storedHead(orgId: string): LogHead {
    const row = this.#s.head.get(orgId) as Row | undefined;
    if (!row) throw new Error(`append: no org ${orgId}`);
    return {
      treeSize: row.tree_size as number,
      headHash: row.head_hash as Uint8Array,
      rootHash: row.root_hash as Uint8Array,
    };
  }

  /**
   * The append on this connection, in one synchronous transaction: for
   * ':memory:', without the thread, and for a group the thread refused.
   */
  async #appendInline<T>(targets: readonly AppendTarget[], build: AppendBuilder<T>): Promise<T> {
    // Groups still in flight on the thread for these orgs were built on a
    // head this commit moves: they will be refused, and the next group must
    // start from the stored head.
    for (const t of targets) this.#inflight.delete(t.orgId);
    const s = this.#s;
    // BEGIN IMMEDIATE takes SQLite's single write lock, which covers every org.
    const run = this.#db.transaction(() => {
      const logs = new Map<string, LockedLog>();
      for (const target of [...targets].sort((a, b) => (a.orgId < b.orgId ? -1 : 1))) {
        const head = this.#storedHead(target.orgId);
        let frontier: Map<number, Uint8Array> | null = null;
        if (head.treeSize !== target.knownTreeSize) {
          frontier = this.#readTreeHashesSync(
            target.orgId,
            MerkleFrontier.indexesFor(head.treeSize),
          );
        }
        const currentKeyId = (s.currentKeyId.get(target.orgId) as string | undefined) ?? null;
        logs.set(target.orgId, { head, frontier, currentKeyId });
      }
      const w = build(logs);
      for (const log of w.logs) this.#writeLog(log, logs.get(log.orgId));
      for (const i of w.idempotency) {
        try {
          s.insertIdempotency.run(
            i.projectId,
            i.key,
            i.requestHash,
            JSON.stringify(i.eventIds),
            i.createdAt,
          );
        } catch (error) {
          if (isUniqueViolation(error))
            throw new StoreConflictError('idempotency', { cause: error });
          throw error;
        }
      }
      const sizes = w.logs.map((l) => [l.orgId, l.head.treeSize, l.events.length] as const);
      return { result: w.result, sizes };
    });
    const started = performance.now();
    const { result, sizes } = run.immediate();
    const ms = performance.now() - started;
    // On the thread's connection when it runs (a group it refused): it indexes
    // these at its next commit or when idle; here otherwise.
    if (!this.#writer?.running) {
      this.#hashIndexer ??= new HashIndexer(this.#db, { chunk: this.#options.hashIndexChunk });
      for (const [orgId, treeSize, added] of sizes) {
        this.#hashIndexer.committed(orgId, treeSize, added, ms);
      }
    }
    return result;
  }

  #writeLog(log: LogWrite, locked: LockedLog | undefined): void {
    assertLogWriteFits(log, locked);
    const s = this.#s;
    for (const e of log.events) {
      s.insertEvent.run(
        e.orgId,
        e.chainIndex,
        e.id,
        e.projectId,
        e.canonical,
        e.leafHash,
        e.hash,
        e.previousHash,
        e.signature,
        e.keyId,
        e.action,
        e.actorId,
        e.actorType,
        e.occurredAt,
        e.createdAt,
        e.outcome,
        e.entryType,
      );
      for (let i = 0; i < e.targets.length; i++) {
        s.insertTarget.run(e.orgId, e.chainIndex, i, e.targets[i]!.type, e.targets[i]!.id);
      }
    }
    insertEventTerms(this.#db, log);
    for (const h of log.treeHashes) s.insertTreeHash.run(log.orgId, h.index, h.hash);
    const c = log.checkpoint;
    s.insertCheckpoint.run(c.orgId, c.treeSize, c.rootHash, c.note, c.keyId, c.createdAt);
    const updated = s.updateHead.run(
      log.head.treeSize,
      log.head.headHash,
      log.head.rootHash,
      log.orgId,
      locked.head.treeSize,
    );
    if (updated.changes !== 1) throw new Error('append: log head moved under the lock');
    s.markHashesPending.run(log.orgId, locked.head.treeSize);
  }

  #readTreeHashesSync(orgId: string, indexes: readonly number[]): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const idx of indexes) {
      const hash = this.#s.readTreeHash.get(orgId, idx) as Uint8Array | undefined;
      if (hash) out.set(idx, hash);
    }
    return out;
  }
}
