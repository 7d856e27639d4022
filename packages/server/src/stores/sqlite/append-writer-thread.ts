// The thread of SqliteAppendWriter (./append-writer.ts): commits the group
// commits that SqliteStore.append built, one transaction each, in the order
// they arrive, on a write connection of its own with the store's durability
// settings (WAL, synchronous=FULL). It answers a job only after its COMMIT
// returned, that is after the WAL was synced.
import type Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { WriterJobError, jobWriter } from './append-writer-apply.js';
import { EVENT_FIELDS, type WriterJob, type WriterReply } from './append-writer-protocol.js';
import { openWriteConnection } from './connection.js';
import { HashIndexer } from './hash-index.js';

const { filename, hashIndexChunk, busy } = workerData as {
  filename: string;
  hashIndexChunk: number | undefined;
  busy: SharedArrayBuffer;
};
const db: Database.Database = openWriteConnection(filename);
const write = jobWriter(db);
// The time this thread spends in jobs and index steps, in µs, which
// SqliteAppendWriter.busySeconds reads (a metric: its rate is how saturated
// this thread is).
const busyMicros = new BigInt64Array(busy);
const addBusy = (ms: number): void => {
  Atomics.add(busyMicros, 0, BigInt(Math.round(ms * 1000)));
};
// Indexes the hashes of what this thread committed, after answering (./hash-index.ts).
const hashIndexer = new HashIndexer(db, { chunk: hashIndexChunk, onStep: addBusy });
hashIndexer.start();

parentPort!.on('message', (job: WriterJob | { type: 'close' }) => {
  if (job.type === 'close') {
    hashIndexer.close();
    db.close();
    parentPort!.close();
    return;
  }
  let reply: WriterReply;
  const started = performance.now();
  try {
    write(job);
    reply = { type: 'done', id: job.id };
  } catch (error) {
    reply = {
      type: 'failed',
      id: job.id,
      failure:
        error instanceof WriterJobError
          ? error.failure
          : {
              kind: 'error',
              message: error instanceof Error ? error.message : String(error),
              ...(error instanceof Error && 'code' in error && typeof error.code === 'string'
                ? { code: error.code }
                : {}),
            },
    };
  }
  const ms = performance.now() - started;
  addBusy(ms);
  parentPort!.postMessage(reply);
  if (reply.type === 'done') {
    for (const log of job.logs) {
      hashIndexer.committed(log.orgId, log.newTreeSize, log.events.length / EVENT_FIELDS, ms);
    }
  }
});
