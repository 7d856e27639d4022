import type { IdempotencyRecord, LogHead, LogWrite } from '../../store/records.js';

// The messages between SqliteStore and its append writer thread
// (./append-writer.ts, ./append-writer-thread.ts). A group commit travels as
// flat arrays and one byte buffer per org log rather than as objects: the
// structured clone of a thousand EventRecords would copy every property name
// and the whole backing store of every hash view.

/** Bytes per event in PackedLog.bin: leaf hash, chain hash, previous hash, signature. */
export const EVENT_BYTES = 32 + 32 + 32 + 64;
/** Values per event in PackedLog.events. */
export const EVENT_FIELDS = 14;

/** One org log of a group commit, packed. */
export interface PackedLog {
  readonly orgId: string;
  /** The head the builder started from; the thread writes nothing unless it is still the head. */
  readonly expectTreeSize: number;
  /**
   * The org's current signing key id as the builder saw it: a rotation
   * committed since then makes the thread write nothing.
   */
  readonly currentKeyId: string | null;
  /**
   * Per event, EVENT_FIELDS values: chain_index, id, project_id, canonical,
   * action, actor_id, actor_type, occurred_at, created_at, outcome,
   * entry_type, key_id, the number of targets, the number of term rows.
   */
  readonly events: unknown[];
  /** type, id of every target, event after event. */
  readonly targets: string[];
  /** field, value of every term row, event after event. */
  readonly terms: string[];
  /** The Merkle tree hash indexes; their hashes follow the events' bytes in `bin`. */
  readonly treeIndexes: number[];
  /**
   * Per event EVENT_BYTES, then 32 bytes per tree hash, then the expected
   * head hash, the new head hash, the new root hash (also the checkpoint's).
   */
  readonly bin: Uint8Array;
  readonly newTreeSize: number;
  readonly note: string;
  readonly checkpointKeyId: string;
  readonly createdAt: number;
}

export interface WriterJob {
  readonly type: 'append';
  readonly id: number;
  readonly logs: PackedLog[];
  /** project_id, key, request_hash, event_ids (JSON), created_at, record after record. */
  readonly idempotency: unknown[];
}

/** Why the thread wrote nothing. */
export type WriterFailure =
  /** The log head or the org's current key is not the one the builder saw. */
  | { readonly kind: 'head_moved'; readonly orgId: string; readonly message: string }
  /** An idempotency key was taken (a unique constraint). */
  | { readonly kind: 'idempotency'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string; readonly code?: string };

export type WriterReply =
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'failed'; readonly id: number; readonly failure: WriterFailure };

function putHash(bin: Uint8Array, offset: number, hash: Uint8Array, length: number): void {
  if (hash.length !== length) throw new Error(`append: a ${length}-byte value has ${hash.length}`);
  bin.set(hash, offset);
}

/**
 * Packs one org's LogWrite for the thread. `expect` is the head the write was
 * built on and `currentKeyId` the org's current key then (LockedLog).
 */
export function packLog(write: LogWrite, expect: LogHead, currentKeyId: string | null): PackedLog {
  const n = write.events.length;
  const bin = new Uint8Array(n * EVENT_BYTES + write.treeHashes.length * 32 + 3 * 32);
  const events: unknown[] = new Array(n * EVENT_FIELDS);
  const targets: string[] = [];
  const terms: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const e = write.events[i]!;
    const o = i * EVENT_BYTES;
    putHash(bin, o, e.leafHash, 32);
    putHash(bin, o + 32, e.hash, 32);
    putHash(bin, o + 64, e.previousHash, 32);
    putHash(bin, o + 96, e.signature, 64);
    for (const t of e.targets) targets.push(t.type, t.id);
    const eventTerms = write.terms[i]!;
    for (const t of eventTerms) terms.push(t.field, t.value);
    events[at++] = e.chainIndex;
    events[at++] = e.id;
    events[at++] = e.projectId;
    events[at++] = e.canonical;
    events[at++] = e.action;
    events[at++] = e.actorId;
    events[at++] = e.actorType;
    events[at++] = e.occurredAt;
    events[at++] = e.createdAt;
    events[at++] = e.outcome;
    events[at++] = e.entryType;
    events[at++] = e.keyId;
    events[at++] = e.targets.length;
    events[at++] = eventTerms.length;
  }
  let o = n * EVENT_BYTES;
  const treeIndexes: number[] = [];
  for (const h of write.treeHashes) {
    treeIndexes.push(h.index);
    putHash(bin, o, h.hash, 32);
    o += 32;
  }
  putHash(bin, o, expect.headHash, 32);
  putHash(bin, o + 32, write.head.headHash, 32);
  putHash(bin, o + 64, write.head.rootHash, 32);
  return {
    orgId: write.orgId,
    expectTreeSize: expect.treeSize,
    currentKeyId,
    events,
    targets,
    terms,
    treeIndexes,
    bin,
    newTreeSize: write.head.treeSize,
    note: write.checkpoint.note,
    checkpointKeyId: write.checkpoint.keyId,
    createdAt: write.checkpoint.createdAt,
  };
}

export function packIdempotency(records: readonly IdempotencyRecord[]): unknown[] {
  const out: unknown[] = [];
  for (const r of records) {
    out.push(r.projectId, r.key, r.requestHash, JSON.stringify(r.eventIds), r.createdAt);
  }
  return out;
}
