import {
  equalBytes,
  LogproofError,
  MAX_TREE_SIZE,
  nodeHash,
  type CryptoProvider,
} from '@logproof/core';

/** SHA-256 of the bytes a core hash function lays out ({@link WebCryptoEngine.hash}). */
export type HashLayout = (layout: (crypto: CryptoProvider) => unknown) => Promise<Uint8Array>;

/** As the core's merkle/limits.ts assertTreeNumber, message included. */
function assertTreeNumber(value: number, name: string, max = MAX_TREE_SIZE): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new LogproofError(
      'ERR_TREE_RANGE',
      `${name} must be an integer from 0 to ${max}, got ${String(value)}`,
    );
  }
}

/**
 * The core's `verifyInclusion` (RFC 6962 §2.1.1, RFC 9162 §2.1.3.2) with an
 * asynchronous hash. It exists only because the core's CryptoProvider is
 * synchronous and WebCrypto's digest is not, so the core's own loop cannot
 * await it. It follows core's merkle/verify-proofs.ts step for step (same
 * split of the path, same error codes), and every node's bytes are still laid
 * out by the core's `nodeHash`; the property tests hold it to the core's
 * verdict on random trees. Takes `treeSize` and `root` from a signed checkpoint.
 */
export async function verifyInclusionAsync(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  hash: HashLayout,
): Promise<void> {
  assertTreeNumber(treeSize, 'tree size');
  if (treeSize === 0) throw new LogproofError('ERR_TREE_RANGE', 'the empty tree has no leaves');
  assertTreeNumber(leafIndex, 'leaf index', treeSize - 1);
  if ([leaf, root, ...proof].some((h) => h.length !== 32)) {
    throw new LogproofError('ERR_PROOF_MALFORMED', 'every hash of a proof is 32 bytes');
  }
  // `inner`: the levels below the one where the paths to the leaf and to the
  // last leaf meet; `border`: one left sibling per one bit of the index above
  // it, on the tree's right edge (core's decomposeInclusionProof). Halving is
  // exact for safe integers, where JS bit operators stop at 32 bits.
  let inner = 0;
  let index = leafIndex;
  for (let last = treeSize - 1; index !== last; last = Math.floor(last / 2)) {
    index = Math.floor(index / 2);
    inner++;
  }
  let border = 0;
  for (; index > 0; index = Math.floor(index / 2)) border += index % 2;
  if (proof.length !== inner + border) {
    throw new LogproofError(
      'ERR_PROOF_MALFORMED',
      `inclusion proof for leaf ${leafIndex} in tree size ${treeSize} has ${inner + border} hashes, got ${proof.length}`,
    );
  }
  let node = leaf;
  index = leafIndex;
  for (const [level, sibling] of proof.entries()) {
    const child = node;
    // Below `inner`, bit `level` of the index says whether the sibling is on the left.
    const onRight = level < inner && index % 2 === 0;
    node = await hash((c) => (onRight ? nodeHash(child, sibling, c) : nodeHash(sibling, child, c)));
    index = Math.floor(index / 2);
  }
  if (!equalBytes(node, root)) {
    throw new LogproofError(
      'ERR_PROOF_MISMATCH',
      `inclusion proof for leaf ${leafIndex} does not lead to the root of tree size ${treeSize}`,
    );
  }
}
