import type { PackedRangeEnd, PackedRangeStart } from './packed-range-check.js';

/**
 * A helper's check of one chunk: checkPackedRange's `end` from a `start` the
 * helper read from the stored rows (the hash of the event before the chunk,
 * the stored tree hashes of the frontier). LogVerifier.acceptPackedRange
 * takes it only when `start` is where the verifier stands.
 */
export interface PackedRangeCheck {
  readonly start: PackedRangeStart;
  readonly end: PackedRangeEnd;
}

/**
 * A whole-log verification shared with another thread (on SQLite, a worker
 * with its own read-only connection). The log from `from` to `end` is cut
 * into chunks of `chunkSize` events, chunk k being [from + k * chunkSize,
 * min(end, from + (k + 1) * chunkSize)). The verifier goes through the
 * chunks in order, checking those it takes and accepting the helper's; the
 * helper takes chunks a little ahead of it.
 */
export interface PackedRangeRun {
  /**
   * Takes chunk k for the caller, which MUST ask for the chunks in order.
   * False when the helper took it first: then `result(k)` gives its check.
   */
  take(k: number): boolean;
  /**
   * The helper's check of chunk k, which the helper took. Null when the
   * chunk did not match, or the helper failed or took too long: the caller
   * then checks the chunk itself.
   */
  result(k: number): Promise<PackedRangeCheck | null>;
  /** Chunk k is done with: the helper may take chunks further ahead. */
  done(k: number): void;
  /** Ends the run; chunks not yet taken are left to the caller. Idempotent. */
  end(): void;
}

export interface PackedRangeHelper {
  /** Starts sharing a verification of the org's log (see {@link PackedRangeRun}); null when it cannot help. */
  begin(orgId: string, from: number, end: number, chunkSize: number): PackedRangeRun | null;
  /** Stops the helper; runs begun after this get no help. */
  close(): Promise<void>;
}
