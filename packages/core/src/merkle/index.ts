// RFC 6962 Merkle tree: stored-hash addressing, frontier, proofs from stored
// hashes, verification, compact ranges and an in-memory tree (PROOFS.md §4, §7).
// bits.ts, limits.ts' assertions and hash-pages.ts stay internal.
export { MAX_TREE_SIZE } from './limits.js';
export {
  readerFromMap,
  splitStoredHashIndex,
  storedHashCount,
  storedHashIndex,
  type HashReader,
} from './stored-hash.js';
export { compactRange, compactRangeIndexes, rootFromRangeProof } from './compact-range.js';
export {
  consistencyProof,
  consistencyProofIndexes,
  inclusionProof,
  inclusionProofIndexes,
  treeHash,
  treeHashIndexes,
} from './stored-proofs.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify-proofs.js';
export { MerkleFrontier } from './merkle-frontier.js';
export { MerkleTree } from './merkle-tree.js';
