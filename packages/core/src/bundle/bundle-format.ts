import type { StoredEvent } from '../event/index.js';

/** The `format` member of every v1 evidence bundle (PROOFS.md §7). */
export const BUNDLE_FORMAT = 'logproof.bundle/v1';

/**
 * Size bounds {@link verifyBundle} enforces before any hashing, so a hostile
 * bundle costs work linear in its size and never more: every event is
 * bounded by the event schema, every proof by the tree height.
 *
 * @example
 * ```ts
 * if (events.length > BUNDLE_LIMITS.maxEvents) splitIntoBundles(events);
 * ```
 */
export const BUNDLE_LIMITS = Object.freeze({
  /** Most events in one bundle (a larger export is several bundles). */
  maxEvents: 1_000_000,
  /**
   * Most hashes in one inclusion proof, `left` or `right`: an RFC 6962 path
   * in a tree of at most 2^52 leaves has at most 52, a compact range at most
   * 2 * 52. 128 leaves room and still bounds the work.
   */
  maxProofHashes: 128,
  /** Most entries in `verifier_keys` (one per key rotation). */
  maxVerifierKeys: 100,
  /** Longest `checkpoint` note, in UTF-16 code units (a checkpoint is ~200 bytes). */
  maxCheckpointLength: 65_536,
  /** Longest `origin` and verifier key string. */
  maxOriginLength: 1024,
  /** Longest `org` (an org id, API.md). */
  maxOrgLength: 256,
} as const);

/** One event of a bundle: the event as the API returns it, with its audit path. */
export interface BundleEvent {
  /** The event exactly as the API returns it (PROOFS.md §2). */
  event: StoredEvent;
  /**
   * RFC 6962 PATH(chain_index, D[0:tree size]) as lowercase hex, from the
   * leaf upwards; absent when the bundle carries a `range_proof`.
   */
  inclusion_proof?: string[];
}

/**
 * The compact ranges around a contiguous run of events (PROOFS.md §7): the
 * RFC 6962 subtree hashes covering [0, start) and [end, tree size), left to
 * right, as transparency-dev/merkle `compact` decomposes them.
 */
export interface BundleRangeProof {
  /** chain_index of the run's first event. */
  start: number;
  /** Compact range [0, start), largest subtree first. */
  left: string[];
  /** Compact range [start + events, tree size), left to right. */
  right: string[];
}

/**
 * A PROOFS.md §7 evidence bundle: one JSON document that verifies offline
 * against a verifier key obtained out of band.
 */
export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  /** The org's log origin, `<LOGPROOF_ORIGIN>/<org id>` (PROOFS.md §1). */
  origin: string;
  /** The org id (`org_...`). */
  org: string;
  /**
   * The verifier keys of exactly the keys that sign the checkpoint or an
   * event of the bundle. Informational only: a verifier trusts the keys its
   * caller passes, never these (see {@link verifyBundle}).
   */
  verifier_keys: string[];
  /** The signed checkpoint note (PROOFS.md §5) whose tree holds every event. */
  checkpoint: string;
  /** The events, sorted by chain_index, each once. */
  events: BundleEvent[];
  /** Present instead of per-event proofs when the events are one contiguous run. */
  range_proof?: BundleRangeProof;
}

/** What {@link verifyBundle} proved. */
export interface BundleReport {
  valid: true;
  /** The log's origin, as its signed checkpoint states it. */
  origin: string;
  /** Size of the checkpoint's tree. */
  treeSize: number;
  /** The checkpoint's RFC 6962 root, 64 lowercase hex digits. */
  rootHash: string;
  /** Number of events verified. */
  events: number;
  /** chain_index of the first event. */
  firstIndex: number;
  /** chain_index of the last event. */
  lastIndex: number;
  /** IDs (8 hex digits) of the trusted keys that signed the checkpoint or an event, in first use order. */
  keyIds: string[];
}
