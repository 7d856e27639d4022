import { equalBytes } from '@logproof/core';
import type { LogWrite } from './records.js';
import type { LockedLog } from './store.js';

/**
 * Checks a builder's write against the head the store locked, before any row
 * is written: every event and the checkpoint belong to the locked org, the new
 * events take the next dense chain indexes, the new head counts them, and the
 * checkpoint is of the new root. A faulty builder must never be able to fork
 * or gap a chain, nor sign a root the log does not have.
 */
export function assertLogWriteFits(
  write: LogWrite,
  locked: LockedLog | undefined,
): asserts locked is LockedLog {
  if (!locked) throw new Error(`append: ${write.orgId} was written but not locked`);
  const start = locked.head.treeSize;
  write.events.forEach((e, i) => {
    if (e.orgId !== write.orgId)
      throw new Error(`append: event ${e.id} belongs to ${e.orgId}, not ${write.orgId}`);
    if (e.chainIndex !== start + i)
      throw new Error(`append: event ${e.id} has chain_index ${e.chainIndex}, want ${start + i}`);
  });
  if (write.terms.length !== write.events.length)
    throw new Error('append: the terms do not pair with the events');
  if (write.checkpoint.orgId !== write.orgId) throw new Error('append: checkpoint of another org');
  if (
    write.head.treeSize !== start + write.events.length ||
    write.checkpoint.treeSize !== write.head.treeSize
  ) {
    throw new Error('append: new head does not count the appended events');
  }
  if (!equalBytes(write.checkpoint.rootHash, write.head.rootHash)) {
    throw new Error('append: the checkpoint does not sign the new root');
  }
}
