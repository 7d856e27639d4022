import { Worker } from 'node:worker_threads';
import type { PackedLog, WriterFailure, WriterJob, WriterReply } from './append-writer-protocol.js';

// better-sqlite3 is synchronous: on the request thread, a group commit's
// inserts and its COMMIT (WAL writes and fsync) stopped everything else, and
// they were about 40% of that thread's time per appended event
// (bench/append-cpu-bench.mjs). This thread does them instead, on its own
// write connection, while the request thread reads the next requests and
// builds the next group. Jobs are committed one after the other, in the order
// they were sent; each is answered only after its COMMIT returned.

/**
 * The compiled thread script: beside this file in dist/, and from the
 * TypeScript sources (under the test runner, which cannot load .ts in a
 * worker) the one `npm run build` put in dist/.
 */
function defaultScript(): URL {
  const here = new URL(import.meta.url);
  return here.pathname.endsWith('.ts')
    ? new URL('../../../dist/stores/sqlite/append-writer-thread.js', here)
    : new URL('./append-writer-thread.js', here);
}

/** The thread answered that a job wrote nothing, and why. */
export class WriterFailedError extends Error {
  override readonly name = 'WriterFailedError';
  constructor(readonly failure: WriterFailure) {
    super(failure.message);
  }
}

/** The thread stopped; what it was sending may or may not have committed, none of it was acknowledged. */
export class WriterStoppedError extends Error {
  override readonly name = 'WriterStoppedError';
}

export interface SqliteAppendWriterOptions {
  /** The database file (not ':memory:', which another connection cannot open). */
  readonly filename: string;
  /** The thread's script; the compiled append-writer-thread.js by default. */
  readonly script?: URL;
  /** HashIndexer's chunk (./hash-index.ts); its default when absent. */
  readonly hashIndexChunk?: number | undefined;
}

interface Waiting {
  resolve(): void;
  reject(error: Error): void;
}

export class SqliteAppendWriter {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  /** µs the thread spent in jobs and hash-index steps; it adds, this thread reads. */
  readonly #busy = new BigInt64Array(new SharedArrayBuffer(8));
  #nextId = 1;
  #stopped: Error | null = null;
  #exited: Promise<void>;

  constructor(options: SqliteAppendWriterOptions) {
    this.#worker = new Worker(options.script ?? defaultScript(), {
      workerData: {
        filename: options.filename,
        hashIndexChunk: options.hashIndexChunk,
        busy: this.#busy.buffer,
      },
    });
    this.#worker.on('message', (reply: WriterReply) => {
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) this.#worker.unref();
      if (reply.type === 'done') waiting.resolve();
      else waiting.reject(new WriterFailedError(reply.failure));
    });
    this.#worker.on('error', (error) => this.#stop(error));
    this.#exited = new Promise((done) => {
      this.#worker.once('exit', (code) => {
        this.#stop(new WriterStoppedError(`the append writer thread exited (code ${code})`));
        done();
      });
    });
    // An idle writer does not keep the process alive; one with jobs does.
    this.#worker.unref();
  }

  /** False once the thread stopped (an error, an exit or close): then nothing can be sent. */
  get running(): boolean {
    return this.#stopped === null;
  }

  /**
   * Seconds the thread has spent committing jobs and indexing hashes since it
   * started: over an interval, its increase divided by the interval is how
   * busy the thread was (1 is saturated: appends wait for it). It stays as it
   * was once the thread stopped.
   */
  get busySeconds(): number {
    return Number(Atomics.load(this.#busy, 0)) / 1e6;
  }

  /** Jobs sent and not answered yet. */
  get inFlight(): number {
    return this.#waiting.size;
  }

  /**
   * Commits one group in one transaction. Resolves once it is durably
   * committed; rejects with WriterFailedError when it wrote nothing, or with
   * WriterStoppedError when the thread stopped before answering.
   */
  run(logs: PackedLog[], idempotency: unknown[]): Promise<void> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const job: WriterJob = { type: 'append', id: this.#nextId++, logs, idempotency };
    return new Promise<void>((resolve, reject) => {
      // Transferred, not copied: each bin is a buffer of its own (packLog).
      this.#worker.postMessage(
        job,
        logs.map((l) => l.bin.buffer as ArrayBuffer),
      );
      this.#waiting.set(job.id, { resolve, reject });
      if (this.#waiting.size === 1) this.#worker.ref();
    });
  }

  /** Lets the jobs already sent commit, then closes the thread's connection and ends it. */
  async close(): Promise<void> {
    if (this.#stopped) return this.#exited;
    this.#worker.ref();
    this.#worker.postMessage({ type: 'close' });
    await this.#exited;
  }

  /** Ends the thread at once (tests: a thread that dies under load). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
    await this.#exited;
  }

  #stop(error: Error): void {
    this.#stopped ??=
      error instanceof WriterStoppedError
        ? error
        : new WriterStoppedError(`the append writer thread failed: ${error.message}`, {
            cause: error,
          });
    for (const w of this.#waiting.values()) w.reject(this.#stopped);
    this.#waiting.clear();
  }
}
