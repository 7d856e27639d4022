import type { PackedRangeCheck } from '../../services/packed-range-helper.js';

/**
 * The Int32 slots of a run's control buffer (a SharedArrayBuffer): how many
 * chunks the verifier is done with, a stop flag, then one slot per chunk,
 * FREE until a thread takes the chunk with a compare-and-swap to TAKEN. The
 * verifier takes chunks from the front, the worker from the back of the
 * window of chunks past the last one done: neither waits for the other
 * unless it catches up with a chunk the other is checking.
 */
export const CONTROL = { done: 0, stop: 1, chunks: 2 } as const;
export const FREE = 0;
export const TAKEN = 1;

/** One verification run, posted to the worker. */
export interface VerifyRunMessage {
  readonly run: number;
  readonly orgId: string;
  readonly from: number;
  readonly end: number;
  readonly chunkSize: number;
  /** PROOFS.md §3: the previous_hash of chain_index 0, as packed-range-check.ts writes hashes. */
  readonly genesis: string;
  readonly chunks: number;
  /** How many chunks past the last one done the worker may take (bounds memory). */
  readonly window: number;
  readonly control: SharedArrayBuffer;
}

/** The worker's check of a chunk it took, or the end of its part of a run. */
export type VerifyWorkerReply =
  | { readonly run: number; readonly chunk: number; readonly check: PackedRangeCheck | null }
  | { readonly run: number; readonly finished: true };
