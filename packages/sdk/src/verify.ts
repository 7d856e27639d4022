// Offline verification (PROOFS.md §2-§7) with keys obtained out of band:
// nothing the server says is taken on trust, and every input is hostile.
// The synchronous verifiers use the core's pure-JS path (nobleCrypto), the
// *WebCrypto ones the browser's crypto.subtle, falling back to nobleCrypto;
// no Buffer, no node:*, so this module runs unchanged in browsers.
// `@logproof/sdk/verify` is it alone.
export {
  parseVerifierKey,
  verifyBundle,
  type BundleReport,
  type EvidenceBundle,
  type TrustedKeys,
  type VerifierKey,
} from '@logproof/core';
export type {
  CheckpointSummary,
  CheckpointVerification,
  ConsistencyProofInput,
  ConsistencyVerification,
  CryptoOption,
  EventChecks,
  EventProofInput,
  EventProofVerification,
  EventVerification,
  InclusionProofInput,
  InclusionVerification,
  VerificationProblem,
  VerifyEventOptions,
} from './verification/types.js';
export { verifyEvent } from './verification/verify-event.js';
export { verifyEventInclusion, verifyEventProof } from './verification/verify-inclusion.js';
export {
  verifyCheckpointNote,
  verifyConsistencyBetween,
} from './verification/verify-checkpoints.js';
export {
  verifyCheckpointNoteWebCrypto,
  verifyEventProofWebCrypto,
  type VerificationEngine,
  type VerifyEventProofWebCryptoOptions,
  type WebCryptoOption,
} from './verification/verify-webcrypto.js';
export type { SubtleVerifier } from './verification/webcrypto-engine.js';
