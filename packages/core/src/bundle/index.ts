// Evidence bundles: one JSON document that verifies offline (PROOFS.md §7).
// bundle-shape.ts, bundle-problem.ts and verify-events.ts stay internal.
export {
  BUNDLE_FORMAT,
  BUNDLE_LIMITS,
  type BundleEvent,
  type BundleRangeProof,
  type BundleReport,
  type EvidenceBundle,
} from './bundle-format.js';
export {
  bundleHashIndexes,
  createBundle,
  type BundleForm,
  type BundleProofSource,
  type CreateBundleInput,
} from './create-bundle.js';
export { parseTrustedKeys, type TrustedKeys } from './trusted-keys.js';
export { verifyBundle } from './verify-bundle.js';
