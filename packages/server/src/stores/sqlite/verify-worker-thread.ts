// The thread of SqliteVerifyWorker (./verify-worker.ts): checks chunks of a
// whole-log verification on its own read-only connection. It shares nothing
// with the server but the database file and, per run, a control buffer; what
// it finds is only taken by the verifier when the chunk's start matches what
// the verifier recomputed (LogVerifier.acceptPackedRange).
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import {
  checkPackedRange,
  frontierHashIndexes,
  hashToText,
  type PackedRangeStart,
} from '../../services/packed-range-check.js';
import type { PackedRangeCheck } from '../../services/packed-range-helper.js';
import { SqliteLogReads } from './log-reads.js';
import {
  CONTROL,
  FREE,
  TAKEN,
  type VerifyRunMessage,
  type VerifyWorkerReply,
} from './verify-worker-protocol.js';

const { filename } = workerData as { filename: string };
const db = new Database(filename, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');
const reads = new SqliteLogReads(db);
const eventHash = db
  .prepare('SELECT hash FROM events WHERE org_id = ? AND chain_index = ?')
  .pluck();
const treeHash = db.prepare('SELECT hash FROM tree_hashes WHERE org_id = ? AND idx = ?').pluck();

/** The stored start of a range at `from`: null when a stored value it needs is missing. */
function storedStart(run: VerifyRunMessage, from: number): PackedRangeStart | null {
  if (from === 0) return { previous: run.genesis, frontier: [] };
  const previous = eventHash.get(run.orgId, from - 1) as Uint8Array | undefined;
  if (previous === undefined) return null;
  const frontier: string[] = [];
  for (const index of frontierHashIndexes(from)) {
    const hash = treeHash.get(run.orgId, index) as Uint8Array | undefined;
    if (hash === undefined) return null;
    frontier.push(hashToText(hash));
  }
  return { previous: hashToText(previous), frontier };
}

async function checkChunk(
  run: VerifyRunMessage,
  from: number,
  to: number,
): Promise<PackedRangeCheck | null> {
  const start = storedStart(run, from);
  if (start === null) return null;
  const [packed, checkpoints] = await Promise.all([
    reads.scanPackedLog(run.orgId, from, to),
    reads.listCheckpoints(run.orgId, from, to),
  ]);
  const sizes = checkpoints.map((cp) => cp.treeSize);
  const end = checkPackedRange(from, to, packed, start, sizes);
  return end === null ? null : { start, end };
}

/** Takes the last free chunk of the window past the last one the verifier is done with. */
function takeChunk(run: VerifyRunMessage, control: Int32Array): number | null {
  for (;;) {
    if (Atomics.load(control, CONTROL.stop) !== 0) return null;
    const done = Atomics.load(control, CONTROL.done);
    if (done >= run.chunks) return null;
    for (let k = Math.min(run.chunks, done + run.window) - 1; k >= done; k--) {
      if (Atomics.compareExchange(control, CONTROL.chunks + k, FREE, TAKEN) === FREE) return k;
    }
    // The verifier wakes this on each chunk it is done with, and on stop.
    Atomics.wait(control, CONTROL.done, done, 1000);
  }
}

const port = parentPort!;
port.on('message', async (run: VerifyRunMessage) => {
  const control = new Int32Array(run.control);
  for (let k = takeChunk(run, control); k !== null; k = takeChunk(run, control)) {
    const from = run.from + k * run.chunkSize;
    const to = Math.min(run.end, from + run.chunkSize);
    let check: PackedRangeCheck | null = null;
    try {
      check = await checkChunk(run, from, to);
    } catch {
      // The verifier checks the chunk itself and meets whatever this was.
      check = null;
    }
    port.postMessage({ run: run.run, chunk: k, check } satisfies VerifyWorkerReply);
  }
  port.postMessage({ run: run.run, finished: true } satisfies VerifyWorkerReply);
});
