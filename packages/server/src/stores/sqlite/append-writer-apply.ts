import type Database from 'better-sqlite3';
import {
  CURRENT_KEY_ID,
  INSERT_CHECKPOINT,
  INSERT_EVENT,
  INSERT_IDEMPOTENCY,
  INSERT_TARGET,
  INSERT_TERM,
  INSERT_TREE_HASH,
  isUniqueViolation,
  MARK_HASHES_PENDING,
} from './append-sql.js';
import {
  EVENT_BYTES,
  EVENT_FIELDS,
  type PackedLog,
  type WriterFailure,
  type WriterJob,
} from './append-writer-protocol.js';

// What the append writer thread does with a job (./append-writer-thread.ts),
// kept apart from the thread so that a test can run it on a connection of its
// own. One job is one transaction: the whole group commit or nothing.

/** A job wrote nothing; `failure` says why. */
export class WriterJobError extends Error {
  override readonly name = 'WriterJobError';
  constructor(readonly failure: WriterFailure) {
    super(failure.message);
  }
}

/** Returns the function that commits one job on `db` (BEGIN IMMEDIATE ... COMMIT), or throws WriterJobError. */
export function jobWriter(db: Database.Database): (job: WriterJob) => void {
  const s = {
    head: db.prepare('SELECT tree_size, head_hash FROM orgs WHERE id = ?'),
    currentKeyId: db.prepare(CURRENT_KEY_ID).pluck(),
    updateHead: db.prepare(
      'UPDATE orgs SET tree_size = ?, head_hash = ?, root_hash = ? WHERE id = ? AND tree_size = ? AND head_hash = ?',
    ),
    insertEvent: db.prepare(INSERT_EVENT),
    insertTarget: db.prepare(INSERT_TARGET),
    insertTerm: db.prepare(INSERT_TERM),
    insertTreeHash: db.prepare(INSERT_TREE_HASH),
    insertCheckpoint: db.prepare(INSERT_CHECKPOINT),
    insertIdempotency: db.prepare(INSERT_IDEMPOTENCY),
    markHashesPending: db.prepare(MARK_HASHES_PENDING),
  };

  const writeLog = (log: PackedLog): void => {
    const bin = Buffer.from(log.bin.buffer, log.bin.byteOffset, log.bin.byteLength);
    const n = log.events.length / EVENT_FIELDS;
    const tail = n * EVENT_BYTES + log.treeIndexes.length * 32;
    const expectHead = bin.subarray(tail, tail + 32);
    const head = s.head.get(log.orgId) as { tree_size: number; head_hash: Buffer } | undefined;
    if (!head) throw new Error(`append: no org ${log.orgId}`);
    if (head.tree_size !== log.expectTreeSize || !head.head_hash.equals(expectHead)) {
      throw new WriterJobError({
        kind: 'head_moved',
        orgId: log.orgId,
        message: `append: the log head of ${log.orgId} moved (at ${head.tree_size}, built on ${log.expectTreeSize})`,
      });
    }
    if (((s.currentKeyId.get(log.orgId) as string | undefined) ?? null) !== log.currentKeyId) {
      throw new WriterJobError({
        kind: 'head_moved',
        orgId: log.orgId,
        message: `append: the signing key of ${log.orgId} was rotated`,
      });
    }
    if (log.newTreeSize !== log.expectTreeSize + n) {
      throw new Error('append: new head does not count the appended events');
    }
    const ev = log.events;
    let target = 0;
    let term = 0;
    for (let i = 0; i < n; i++) {
      const f = i * EVENT_FIELDS;
      const chainIndex = ev[f] as number;
      if (chainIndex !== log.expectTreeSize + i) {
        throw new Error(`append: chain_index ${chainIndex}, want ${log.expectTreeSize + i}`);
      }
      const projectId = ev[f + 2];
      const occurredAt = ev[f + 7];
      const o = i * EVENT_BYTES;
      s.insertEvent.run(
        log.orgId,
        chainIndex,
        ev[f + 1],
        projectId,
        ev[f + 3],
        bin.subarray(o, o + 32),
        bin.subarray(o + 32, o + 64),
        bin.subarray(o + 64, o + 96),
        bin.subarray(o + 96, o + 160),
        ev[f + 11],
        ev[f + 4],
        ev[f + 5],
        ev[f + 6],
        occurredAt,
        ev[f + 8],
        ev[f + 9],
        ev[f + 10],
      );
      const targets = ev[f + 12] as number;
      for (let p = 0; p < targets; p++, target += 2) {
        s.insertTarget.run(log.orgId, chainIndex, p, log.targets[target], log.targets[target + 1]);
      }
      const terms = ev[f + 13] as number;
      for (let t = 0; t < terms; t++, term += 2) {
        s.insertTerm.run(
          projectId,
          log.terms[term],
          log.terms[term + 1],
          occurredAt,
          log.orgId,
          chainIndex,
        );
      }
    }
    let o = n * EVENT_BYTES;
    for (const idx of log.treeIndexes) {
      s.insertTreeHash.run(log.orgId, idx, bin.subarray(o, o + 32));
      o += 32;
    }
    const newHead = bin.subarray(tail + 32, tail + 64);
    const newRoot = bin.subarray(tail + 64, tail + 96);
    s.insertCheckpoint.run(
      log.orgId,
      log.newTreeSize,
      newRoot,
      log.note,
      log.checkpointKeyId,
      log.createdAt,
    );
    const updated = s.updateHead.run(
      log.newTreeSize,
      newHead,
      newRoot,
      log.orgId,
      log.expectTreeSize,
      expectHead,
    );
    if (updated.changes !== 1) throw new Error('append: log head moved under the lock');
    s.markHashesPending.run(log.orgId, log.expectTreeSize);
  };

  const run = db.transaction((job: WriterJob): void => {
    for (const log of job.logs) writeLog(log);
    const r = job.idempotency;
    for (let i = 0; i < r.length; i += 5) {
      try {
        s.insertIdempotency.run(r[i], r[i + 1], r[i + 2], r[i + 3], r[i + 4]);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new WriterJobError({
          kind: 'idempotency',
          message: `unique constraint violated: idempotency (${String(r[i + 1])})`,
        });
      }
    }
  });
  return (job) => run.immediate(job);
}
