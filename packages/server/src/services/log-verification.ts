import type { MerkleFrontier } from '@logproof/core';

// What a LogVerifier reports (log-verifier.ts re-exports these types).

/** What a problem is about (API.md "Verification", POST /v1/orgs/{org}/verify). */
export type LogCheck =
  /** No row at this chain_index: deleted. */
  | 'missing'
  /** The stored canonical bytes are not JSON, or name another event or position. */
  | 'canonical'
  /** SHA-256(0x00 || canonical) is not the stored leaf_hash (PROOFS.md §3). */
  | 'leaf_hash'
  /** previous_hash / hash do not chain (PROOFS.md §3). */
  | 'chain_link'
  /** The Ed25519 event signature does not verify (PROOFS.md §6). */
  | 'signature'
  /** A stored Merkle tree hash differs from the one recomputed from the leaves. */
  | 'tree_hash'
  /** The recomputed RFC 6962 root differs from a signed checkpoint's. */
  | 'root'
  /** A checkpoint's signature, format or stored columns are wrong, or it is missing. */
  | 'checkpoint'
  /** The org's stored log head differs from the recomputed one. */
  | 'head';

export interface LogProblem {
  /** The first chain_index the problem concerns; null when it concerns no event. */
  readonly chainIndex: number | null;
  readonly eventId: string | null;
  readonly check: LogCheck;
  readonly detail: string;
}

/**
 * The verified prefix of a log, from which a later run can continue: its
 * size, the hash of its last event and its Merkle frontier.
 */
export interface VerifiedPrefix {
  readonly size: number;
  readonly headHash: Uint8Array;
  readonly frontier: MerkleFrontier;
  /**
   * The frontier's hashes (largest subtree first), which MerkleFrontier does
   * not expose: a run continued without them takes the row-by-row path.
   */
  readonly frontierHashes?: readonly Uint8Array[];
}

export interface LogVerification {
  readonly valid: boolean;
  readonly treeSize: number;
  /** The recomputed root; null when a lost leaf made it impossible. */
  readonly rootHash: Uint8Array | null;
  /** Event rows checked. */
  readonly checked: number;
  readonly problems: readonly LogProblem[];
  /** More problems were found than are listed. */
  readonly truncated: boolean;
  /** The smallest chain_index any problem names (listed or not); null when none does. */
  readonly firstBadIndex: number | null;
  /** Where the next run may continue from; null unless the log verified. */
  readonly prefix: VerifiedPrefix | null;
}
