import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { LogproofError } from '../errors.js';
import { emptyRoot } from '../hashes.js';
import { splitPoint } from './bits.js';
import { compactRangeIndexes, foldSubtree, pushRangeIndexes } from './compact-range.js';
import { assertTreeNumber } from './limits.js';
import { readStoredHashes, type HashReader } from './stored-hash.js';

// Roots and proofs answered from stored hashes (see stored-hash.ts), in two
// phases so that an async store can prefetch: `...Indexes` says which stored
// hashes are needed, the function of the same name computes the answer from
// one synchronous read of exactly those. Each proof element is the MTH of an
// RFC 6962 subtree D[lo:hi]; its hash is folded from the compact range of
// [lo, hi), so every answer costs O(log n) reads and, except on the ragged
// right edge, no hashing at all.

/** Leaves [lo, hi) of an RFC 6962 subtree whose MTH is one proof element. */
type Span = readonly [lo: number, hi: number];

/**
 * Stored-hash indexes needed by {@link treeHash}: the compact range [0, n).
 *
 * @example
 * ```ts
 * treeHashIndexes(13); // [14, 21, 22]: subtrees [0, 8), [8, 12) and leaf 12
 * ```
 */
export function treeHashIndexes(treeSize: number): number[] {
  return compactRangeIndexes(0, assertTreeNumber(treeSize, 'tree size'));
}

/**
 * RFC 6962 §2.1 MTH(D[0:n]) from stored hashes; the empty tree's root is
 * SHA-256 of the empty string.
 *
 * @example
 * ```ts
 * const root = treeHash(13, readerFromMap(await db.hashes(treeHashIndexes(13))));
 * ```
 */
export function treeHash(
  treeSize: number,
  read: HashReader,
  crypto: CryptoProvider = nobleCrypto,
): Uint8Array {
  const indexes = treeHashIndexes(treeSize);
  if (indexes.length === 0) return emptyRoot(crypto);
  return foldSubtree(readStoredHashes(read, indexes), 0, indexes.length, crypto);
}

/**
 * Stored-hash indexes needed by {@link inclusionProof}.
 *
 * @example
 * ```ts
 * const proof = inclusionProof(5, 13, readerFromMap(await db.hashes(inclusionProofIndexes(5, 13))));
 * ```
 */
export function inclusionProofIndexes(leafIndex: number, treeSize: number): number[] {
  return indexesOf(planInclusion(leafIndex, treeSize)).indexes;
}

/**
 * RFC 6962 §2.1.1 PATH(m, D[0:n]): the audit path of leaf `leafIndex` in the
 * tree of `treeSize` leaves, sibling hashes from the leaf upwards.
 *
 * @example
 * ```ts
 * const proof = inclusionProof(5, 13, tree.read);
 * verifyInclusion(5, 13, leafHash5, proof, root13);
 * ```
 */
export function inclusionProof(
  leafIndex: number,
  treeSize: number,
  read: HashReader,
  crypto: CryptoProvider = nobleCrypto,
): Uint8Array[] {
  return hashSpans(planInclusion(leafIndex, treeSize), read, crypto);
}

/**
 * Stored-hash indexes needed by {@link consistencyProof}.
 *
 * @example
 * ```ts
 * consistencyProofIndexes(0, 13); // []: nothing to prove from the empty tree
 * ```
 */
export function consistencyProofIndexes(fromSize: number, toSize: number): number[] {
  return indexesOf(planConsistency(fromSize, toSize)).indexes;
}

/**
 * RFC 6962 §2.1.2 PROOF(m, D[0:n]): proves that the tree of `fromSize` leaves
 * is a prefix of the tree of `toSize` leaves. Empty when `fromSize` is 0 or
 * equals `toSize`.
 *
 * @example
 * ```ts
 * const proof = consistencyProof(7, 13, tree.read);
 * verifyConsistency(7, 13, proof, root7, root13);
 * ```
 */
export function consistencyProof(
  fromSize: number,
  toSize: number,
  read: HashReader,
  crypto: CryptoProvider = nobleCrypto,
): Uint8Array[] {
  return hashSpans(planConsistency(fromSize, toSize), read, crypto);
}

/** RFC 6962 §2.1.1 PATH(m, D[0:n]) as the subtrees whose MTHs it lists, leaf upwards. */
function planInclusion(leafIndex: number, treeSize: number): Span[] {
  assertTreeNumber(treeSize, 'tree size');
  if (treeSize === 0) throw new LogproofError('ERR_TREE_RANGE', 'the empty tree has no leaves');
  assertTreeNumber(leafIndex, 'leaf index', treeSize - 1);
  // Walk down from the root (top-down is iterative); the path lists the
  // sibling of each step, from the deepest one up.
  const spans: Span[] = [];
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (leafIndex < lo + k) {
      spans.push([lo + k, hi]);
      hi = lo + k;
    } else {
      spans.push([lo, lo + k]);
      lo += k;
    }
  }
  return spans.reverse();
}

/** RFC 6962 §2.1.2 SUBPROOF(m, D[0:n], true) as subtrees, in proof order. */
function planConsistency(fromSize: number, toSize: number): Span[] {
  assertTreeNumber(toSize, 'to size');
  assertTreeNumber(fromSize, 'from size', toSize);
  if (fromSize === 0 || fromSize === toSize) return [];
  const spans: Span[] = [];
  let lo = 0;
  let hi = toSize;
  // RFC 6962's b: true while D[lo:hi] is still a subtree the verifier already
  // knows the hash of (the old root's own left edge), so it need not be sent.
  let known = true;
  while (fromSize !== hi) {
    const k = splitPoint(hi - lo);
    if (fromSize <= lo + k) {
      spans.push([lo + k, hi]);
      hi = lo + k;
    } else {
      spans.push([lo, lo + k]);
      lo += k;
      known = false;
    }
  }
  if (!known) spans.push([lo, hi]);
  return spans.reverse();
}

function indexesOf(spans: readonly Span[]): { indexes: number[]; counts: number[] } {
  const indexes: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    counts.push(pushRangeIndexes(span[0], span[1], indexes));
  }
  return { indexes, counts };
}

function hashSpans(spans: readonly Span[], read: HashReader, crypto: CryptoProvider): Uint8Array[] {
  const { indexes, counts } = indexesOf(spans);
  const hashes = readStoredHashes(read, indexes);
  const proof: Uint8Array[] = [];
  let from = 0;
  for (const count of counts) {
    proof.push(foldSubtree(hashes, from, count, crypto));
    from += count;
  }
  return proof;
}
