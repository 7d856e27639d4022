import type { CryptoProvider, TrustedKeys } from '@logproof/core';

/** One failed check and why, in words for a person. */
export interface VerificationProblem {
  check: string;
  detail: string;
}

/** A verified checkpoint's fields, root in hex. */
export interface CheckpointSummary {
  origin: string;
  tree_size: number;
  root_hash: string;
}

/** The checks {@link verifyEvent} runs (the names `GET /v1/events/{id}/verify` uses). */
export interface EventChecks {
  /** The event has exactly the stored-event shape, and its canonical bytes match the server's when given. */
  canonical: boolean;
  /** `leaf_hash` is SHA-256(0x00 || canonical bytes) (PROOFS.md §3). */
  leaf_hash: boolean;
  /** `hash` is SHA-256(previous_hash || leaf hash), from 32 zero bytes at index 0, and links to `previous` when given. */
  chain_link: boolean;
  /** Ed25519 signature over the canonical bytes by a trusted key of the event's org (PROOFS.md §6). */
  signature: boolean;
}

/** What {@link verifyEvent} found. `valid` is true only when every check passed. */
export interface EventVerification {
  valid: boolean;
  event_id: string | null;
  checks: EventChecks;
  problems: VerificationProblem[];
}

/** What {@link verifyEventInclusion} found. */
export interface InclusionVerification {
  valid: boolean;
  checks: { checkpoint: boolean; inclusion: boolean };
  /** The checkpoint, when its signature verified. */
  checkpoint: CheckpointSummary | null;
  problems: VerificationProblem[];
}

/** What {@link verifyEventProof} found: every event check, the checkpoint and the inclusion. */
export interface EventProofVerification {
  valid: boolean;
  event_id: string | null;
  checks: EventChecks & { checkpoint: boolean; inclusion: boolean };
  checkpoint: CheckpointSummary | null;
  problems: VerificationProblem[];
}

/** What {@link verifyCheckpointNote} found. */
export interface CheckpointVerification {
  valid: boolean;
  checkpoint: CheckpointSummary | null;
  problems: VerificationProblem[];
}

/** What {@link verifyConsistencyBetween} found. */
export interface ConsistencyVerification {
  valid: boolean;
  checks: { old_checkpoint: boolean; new_checkpoint: boolean; consistency: boolean };
  old: CheckpointSummary | null;
  new: CheckpointSummary | null;
  problems: VerificationProblem[];
}

/** An RFC 6962 audit path for one leaf (what the API's inclusion proofs hold). */
export interface InclusionProofInput {
  leaf_index: number;
  tree_size: number;
  hashes: readonly string[];
}

/** The answer of `GET /v1/events/{id}/verify`, or anything shaped like it. */
export interface EventProofInput {
  event_id: string;
  checkpoint: string;
  inclusion_proof: InclusionProofInput;
  /** The event itself, when the server includes it. */
  event?: unknown;
}

/** A consistency proof: its hashes, or the API's `{ from_size, to_size, hashes }`. */
export type ConsistencyProofInput =
  readonly string[] | { from_size: number; to_size: number; hashes: readonly string[] };

/** Options common to the verifiers. */
export interface CryptoOption {
  /** Hash and Ed25519 provider; the pure-JS `nobleCrypto` by default. */
  crypto?: CryptoProvider | undefined;
}

/** Options of {@link verifyEvent}. */
export interface VerifyEventOptions extends CryptoOption {
  /** The org's verifier keys, obtained out of band (all of them after a rotation). */
  verifierKeys: TrustedKeys;
  /** The bytes `GET /v1/events/{id}/canonical` returned, to compare with the event's own. */
  canonical?: Uint8Array | undefined;
  /** The event at `chain_index - 1`, to check the link to it. */
  previous?: unknown;
}
