import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { equalBytes } from '../encoding.js';
import { LogproofError } from '../errors.js';
import { emptyRoot, nodeHash } from '../hashes.js';
import { bitLength, getBit, popCount, powerOfTwo, shiftRight, trailingZeros, xor } from './bits.js';
import { assertHash, assertHashList, assertTreeNumber } from './limits.js';

// Proof verification, after transparency-dev/merkle proof/verify.go, which
// computes the same thing as RFC 9162 §2.1.3.2 and §2.1.4.2 but knows the
// exact proof length up front: a proof of the wrong length is
// ERR_PROOF_MALFORMED before any hashing, one that hashes to another root is
// ERR_PROOF_MISMATCH. Every input is attacker-controlled and checked, so these
// throw nothing but LogproofError.

/**
 * Splits the audit path of leaf `index` in a tree of `size` leaves (RFC 6962
 * §2.1.1) into `inner` siblings, below the level where the paths to `index`
 * and to the last leaf `size - 1` meet, and `border` left siblings above it,
 * on the right edge of the tree: one per one bit of `index` there, because an
 * edge node that is a left child has no right sibling yet and is promoted.
 */
function decomposeInclusionProof(index: number, size: number): { inner: number; border: number } {
  const inner = bitLength(xor(index, size - 1));
  return { inner, border: popCount(shiftRight(index, inner)) };
}

/**
 * The root that `proof`, the RFC 6962 audit path of leaf `leafIndex` in a
 * tree of `treeSize` leaves, leads to from `leafHash`. Use
 * {@link verifyInclusion} to compare it with a known root.
 *
 * Throws `ERR_TREE_RANGE` (index or size), `ERR_HASH_FORMAT` (leaf hash) or
 * `ERR_PROOF_MALFORMED` (wrong length or element size).
 *
 * @example
 * ```ts
 * const root = rootFromInclusionProof(5, 13, leafHash5, proof);
 * ```
 */
export function rootFromInclusionProof(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  crypto: CryptoProvider = nobleCrypto,
): Uint8Array {
  assertTreeNumber(treeSize, 'tree size');
  if (treeSize === 0) throw new LogproofError('ERR_TREE_RANGE', 'the empty tree has no leaves');
  assertTreeNumber(leafIndex, 'leaf index', treeSize - 1);
  assertHash(leafHash, 'leaf hash');
  assertHashList(proof, 'inclusion proof');
  const { inner, border } = decomposeInclusionProof(leafIndex, treeSize);
  if (proof.length !== inner + border) {
    throw new LogproofError(
      'ERR_PROOF_MALFORMED',
      `inclusion proof for leaf ${leafIndex} in tree size ${treeSize} has ${inner + border} hashes, got ${proof.length}`,
    );
  }
  // Below `inner`, bit i of the index says whether the sibling is on the left.
  let hash = leafHash;
  for (let i = 0; i < inner; i++) {
    hash =
      getBit(leafIndex, i) === 0
        ? nodeHash(hash, proof[i]!, crypto)
        : nodeHash(proof[i]!, hash, crypto);
  }
  for (let i = inner; i < proof.length; i++) hash = nodeHash(proof[i]!, hash, crypto);
  return hash === leafHash ? new Uint8Array(hash) : hash;
}

/**
 * Checks that `proof` shows leaf `leafHash` at `leafIndex` in the tree of
 * `treeSize` leaves whose root is `root` (RFC 6962 §2.1.1, RFC 9162 §2.1.3.2).
 * Returns nothing; throws `ERR_PROOF_MISMATCH` when the proof leads to another
 * root, and the errors of {@link rootFromInclusionProof} for bad input.
 *
 * The size is not bound by the proof alone: a path can be valid for two
 * adjacent sizes. Take `treeSize` and `root` together from a signed checkpoint.
 *
 * @example
 * ```ts
 * verifyInclusion(5, checkpoint.size, leafHash(canonical), proof, checkpoint.root);
 * ```
 */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): void {
  assertHash(root, 'root');
  const computed = rootFromInclusionProof(leafIndex, treeSize, leafHash, proof, crypto);
  if (!equalBytes(computed, root)) {
    throw new LogproofError(
      'ERR_PROOF_MISMATCH',
      `inclusion proof for leaf ${leafIndex} does not lead to the root of tree size ${treeSize}`,
    );
  }
}

/**
 * Checks that `proof`, an RFC 6962 §2.1.2 consistency proof, shows the tree of
 * `fromSize` leaves with root `fromRoot` to be a prefix of the tree of
 * `toSize` leaves with root `toRoot` (RFC 9162 §2.1.4.2). From size 0 the
 * proof is empty and `fromRoot` must be the empty tree's root; from equal
 * sizes it is empty and the roots must be equal.
 *
 * Throws `ERR_TREE_RANGE` (fromSize > toSize, bad sizes), `ERR_HASH_FORMAT`
 * (roots), `ERR_PROOF_MALFORMED` (wrong length or element size) or
 * `ERR_PROOF_MISMATCH` (does not lead to both roots).
 *
 * @example
 * ```ts
 * verifyConsistency(old.size, latest.size, proof, old.root, latest.root);
 * ```
 */
export function verifyConsistency(
  fromSize: number,
  toSize: number,
  proof: readonly Uint8Array[],
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): void {
  assertTreeNumber(toSize, 'to size');
  assertTreeNumber(fromSize, 'from size', toSize);
  assertHashList(proof, 'consistency proof');
  assertHash(fromRoot, 'from root');
  assertHash(toRoot, 'to root');
  if (fromSize === 0 || fromSize === toSize) {
    if (proof.length !== 0) {
      throw new LogproofError(
        'ERR_PROOF_MALFORMED',
        `consistency proof from ${fromSize} to ${toSize} must be empty, got ${proof.length} hashes`,
      );
    }
    // Every tree extends the empty one, but a claimed empty root must still be
    // THE empty root (RFC 6962 §2.1), or a tampered checkpoint would pass.
    if (fromSize === 0 && !equalBytes(fromRoot, emptyRoot(crypto))) {
      throw mismatch('from root is not the root of the empty tree');
    }
    if (fromSize === toSize && !equalBytes(fromRoot, toRoot)) {
      throw mismatch(`trees of the same size ${toSize} have different roots`);
    }
    return;
  }

  // The proof is the audit path of leaf fromSize - 1 in the new tree from
  // level `shift` up, where 2^shift is the largest power of two dividing
  // fromSize: the subtree [fromSize - 2^shift, fromSize) is complete in both
  // trees, and its hash (the seed) comes first unless it is the whole old
  // tree, whose root the verifier already has (RFC 6962 §2.1.2, b = true).
  const path = decomposeInclusionProof(fromSize - 1, toSize);
  const shift = trailingZeros(fromSize);
  const inner = path.inner - shift;
  const seedKnown = fromSize === powerOfTwo(shift);
  const start = seedKnown ? 0 : 1;
  if (proof.length !== start + inner + path.border) {
    throw new LogproofError(
      'ERR_PROOF_MALFORMED',
      `consistency proof from ${fromSize} to ${toSize} has ${start + inner + path.border} hashes, got ${proof.length}`,
    );
  }
  const seed = seedKnown ? fromRoot : proof[0]!;
  const mask = shiftRight(fromSize - 1, shift);
  // Left siblings are in both trees; right siblings only in the new one.
  let oldHash = seed;
  let newHash = seed;
  for (let i = 0; i < inner; i++) {
    const sibling = proof[start + i]!;
    if (getBit(mask, i) === 1) {
      oldHash = nodeHash(sibling, oldHash, crypto);
      newHash = nodeHash(sibling, newHash, crypto);
    } else {
      newHash = nodeHash(newHash, sibling, crypto);
    }
  }
  for (let i = start + inner; i < proof.length; i++) {
    oldHash = nodeHash(proof[i]!, oldHash, crypto);
    newHash = nodeHash(proof[i]!, newHash, crypto);
  }
  if (!equalBytes(oldHash, fromRoot))
    throw mismatch(`consistency proof does not lead to the root of size ${fromSize}`);
  if (!equalBytes(newHash, toRoot))
    throw mismatch(`consistency proof does not lead to the root of size ${toSize}`);
}

function mismatch(message: string): LogproofError {
  return new LogproofError('ERR_PROOF_MISMATCH', message);
}
