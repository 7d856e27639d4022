import { GENESIS_PREVIOUS_HASH } from '@logproof/core';
import { Worker } from 'node:worker_threads';
import { hashToText } from '../../services/packed-range-check.js';
import type {
  PackedRangeCheck,
  PackedRangeHelper,
  PackedRangeRun,
} from '../../services/packed-range-helper.js';
import {
  CONTROL,
  FREE,
  TAKEN,
  type VerifyRunMessage,
  type VerifyWorkerReply,
} from './verify-worker-protocol.js';

// A whole-log verification without event signatures is reading and hashing,
// one core's worth (bench/verify-bench.mjs: a third each SQLite reads and
// SHA-256, most of the rest checkPackedRange). Its chunks can be checked
// independently from the stored values at each chunk's start, so a second
// thread with its own read-only connection checks the chunks it takes while
// the verifier checks the others; the verifier takes a chunk of the worker's
// only when that start is the one it recomputed itself (see
// LogVerifier.acceptPackedRange), so the worker can make a run faster but
// never change its outcome. Measured at 1M events on 2 cores (load 1.3-1.5):
// 262k events/s before, 446k with the worker, for about 8% more CPU (the
// worker's own start and the two threads sharing the machine).
//
// The verifier takes chunks from the front, the worker from the back of a
// window past the last chunk done, so they rarely want the same one; the
// worker's results wait in this thread until the verifier gets to them, at
// most `window` of them.

/**
 * The compiled thread script: beside this file in dist/, and from the
 * TypeScript sources (under the test runner, which cannot load .ts in a
 * worker) the one `npm run build` put in dist/.
 */
function defaultScript(): URL {
  const here = new URL(import.meta.url);
  return here.pathname.endsWith('.ts')
    ? new URL('../../../dist/stores/sqlite/verify-worker-thread.js', here)
    : new URL('./verify-worker-thread.js', here);
}

export interface SqliteVerifyWorkerOptions {
  /** The database file (not ':memory:', which another connection cannot open). */
  readonly filename: string;
  /** Chunks the worker may check ahead of the verifier (each kept until taken). Default 8. */
  readonly window?: number;
  /**
   * How long the verifier waits for a chunk the worker took before checking
   * it itself and giving the worker up. Default 30000 ms.
   */
  readonly timeoutMs?: number;
  /** The thread's script; the compiled verify-worker-thread.js by default. */
  readonly script?: URL;
}

class WorkerRun implements PackedRangeRun {
  readonly #control: Int32Array;
  readonly #timeoutMs: number;
  readonly #onTimeout: () => void;
  readonly #results = new Map<number, PackedRangeCheck | null>();
  readonly #waiting = new Map<number, (check: PackedRangeCheck | null) => void>();
  #over = false;

  constructor(control: SharedArrayBuffer, timeoutMs: number, onTimeout: () => void) {
    this.#control = new Int32Array(control);
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
  }

  take(k: number): boolean {
    return Atomics.compareExchange(this.#control, CONTROL.chunks + k, FREE, TAKEN) === FREE;
  }

  result(k: number): Promise<PackedRangeCheck | null> {
    if (this.#results.has(k)) {
      const check = this.#results.get(k)!;
      this.#results.delete(k);
      return Promise.resolve(check);
    }
    if (this.#over) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(k);
        resolve(null);
        this.#onTimeout();
      }, this.#timeoutMs);
      this.#waiting.set(k, (check) => {
        clearTimeout(timer);
        resolve(check);
      });
    });
  }

  done(k: number): void {
    Atomics.store(this.#control, CONTROL.done, k + 1);
    Atomics.notify(this.#control, CONTROL.done);
  }

  end(): void {
    Atomics.store(this.#control, CONTROL.stop, 1);
    Atomics.notify(this.#control, CONTROL.done);
    this.fail();
  }

  /** The worker's check of chunk k arrived. */
  deliver(k: number, check: PackedRangeCheck | null): void {
    const waiting = this.#waiting.get(k);
    if (waiting) {
      this.#waiting.delete(k);
      waiting(check);
    } else if (!this.#over) {
      this.#results.set(k, check);
    }
  }

  /** No more checks will come: whoever waits checks the chunk itself. */
  fail(): void {
    this.#over = true;
    this.#results.clear();
    for (const resolve of this.#waiting.values()) resolve(null);
    this.#waiting.clear();
  }
}

/**
 * The SQLite store's {@link PackedRangeHelper}: a worker thread, started on
 * first use, with its own read-only connection to the database file. It does
 * not keep the process alive; after {@link SqliteVerifyWorker.close}, or once
 * the worker failed or hung, verifications run in the calling thread alone.
 */
export class SqliteVerifyWorker implements PackedRangeHelper {
  readonly #filename: string;
  readonly #window: number;
  readonly #timeoutMs: number;
  readonly #script: URL;
  readonly #runs = new Map<number, WorkerRun>();
  #worker: Worker | null = null;
  #closed = false;
  #lastRun = 0;

  constructor(options: SqliteVerifyWorkerOptions) {
    this.#filename = options.filename;
    this.#window = Math.max(1, options.window ?? 8);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#script = options.script ?? defaultScript();
  }

  begin(orgId: string, from: number, end: number, chunkSize: number): PackedRangeRun | null {
    const worker = this.#start();
    if (!worker || !(chunkSize > 0) || end <= from) return null;
    const id = ++this.#lastRun;
    const chunks = Math.ceil((end - from) / chunkSize);
    const control = new SharedArrayBuffer(4 * (CONTROL.chunks + chunks));
    const run = new WorkerRun(control, this.#timeoutMs, () => this.#fail());
    this.#runs.set(id, run);
    const message: VerifyRunMessage = {
      run: id,
      orgId,
      from,
      end,
      chunkSize,
      genesis: hashToText(GENESIS_PREVIOUS_HASH),
      chunks,
      window: this.#window,
      control,
    };
    worker.postMessage(message);
    return {
      take: (k) => run.take(k),
      result: (k) => run.result(k),
      done: (k) => run.done(k),
      end: () => {
        this.#runs.delete(id);
        run.end();
      },
    };
  }

  /** Stops the worker; verifications go on in the calling thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    this.#failRuns();
    await worker?.terminate();
  }

  /** The worker, started on first use (a process that never verifies a long log pays nothing). */
  #start(): Worker | null {
    if (this.#worker || this.#closed) return this.#worker;
    let worker: Worker;
    try {
      worker = new Worker(this.#script, {
        workerData: { filename: this.#filename },
        // A worker inherits the process's flags, but a script file refuses
        // --input-type (a process started with `node --input-type=module -e`).
        execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
      });
    } catch {
      this.#fail();
      return null;
    }
    worker.on('message', (reply: VerifyWorkerReply) => {
      if ('chunk' in reply) this.#runs.get(reply.run)?.deliver(reply.chunk, reply.check);
    });
    // Without an 'error' listener a crash in the worker would throw here.
    worker.on('error', () => this.#fail());
    worker.on('exit', () => {
      if (this.#worker === worker) this.#fail();
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  /** Gives the worker up for good: a worker that failed once is not trusted with speed again. */
  #fail(): void {
    this.#closed = true;
    void this.#worker?.terminate();
    this.#worker = null;
    this.#failRuns();
  }

  #failRuns(): void {
    for (const run of this.#runs.values()) run.fail();
    this.#runs.clear();
  }
}
