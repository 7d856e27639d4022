import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { LogproofError } from '../errors.js';
import { emptyRoot, nodeHash } from '../hashes.js';
import { bitLength, powerOfTwo, trailingZeros } from './bits.js';
import { assertHash, assertHashList, assertTreeNumber } from './limits.js';
import { readStoredHashes, storedIndexEndingAt, type HashReader } from './stored-hash.js';

/** A complete aligned subtree: leaves [index * 2^level, (index + 1) * 2^level). */
export interface SubtreeNode {
  readonly level: number;
  readonly index: number;
}

/**
 * The minimal decomposition of [begin, end) into complete aligned subtrees,
 * left to right (transparency-dev/merkle `compact.Decompose`): sizes first
 * grow while `begin` is unaligned, then shrink along the binary digits of what
 * is left. Inputs must already be valid (begin <= end <= MAX_TREE_SIZE).
 */
export function decomposeRange(begin: number, end: number): SubtreeNode[] {
  const nodes: SubtreeNode[] = [];
  for (let position = begin; position < end;) {
    const level = levelAt(position, end);
    const size = powerOfTwo(level);
    nodes.push({ level, index: position / size });
    position += size;
  }
  return nodes;
}

/**
 * Appends the stored-hash indexes of the compact range [begin, end) to `out`
 * and returns how many; {@link decomposeRange} without the objects, for the
 * proof planners (every proof runs it once per element). Inputs must be valid.
 */
export function pushRangeIndexes(begin: number, end: number, out: number[]): number {
  let count = 0;
  for (let position = begin; position < end; count++) {
    const level = levelAt(position, end);
    const size = powerOfTwo(level);
    out.push(storedIndexEndingAt(position + size - 1, level));
    position += size;
  }
  return count;
}

/** The level of the largest subtree that starts at `position` (alignment) and fits before `end`. */
function levelAt(position: number, end: number): number {
  const fits = bitLength(end - position) - 1;
  return position === 0 ? fits : Math.min(fits, trailingZeros(position));
}

/**
 * MTH of an RFC 6962 subtree from its compact range: `count` hashes starting
 * at `hashes[from]`. RFC 6962 §2.1 splits D[lo:hi] at the largest power of two,
 * so the range is one subtree per binary digit of hi - lo, largest first, and
 * the tree hash is their right fold. Always returns a fresh array, so callers
 * never alias a reader's (or the in-memory tree's) storage.
 */
export function foldSubtree(
  hashes: readonly Uint8Array[],
  from: number,
  count: number,
  crypto: CryptoProvider,
): Uint8Array {
  let hash = hashes[from + count - 1]!;
  if (count === 1) return new Uint8Array(hash);
  for (let i = from + count - 2; i >= from; i--) hash = nodeHash(hashes[i]!, hash, crypto);
  return hash;
}

/**
 * Stored-hash indexes of the compact range [begin, end), left to right: the
 * hashes a bundle's `range_proof` carries (PROOFS.md §7).
 *
 * @example
 * ```ts
 * compactRangeIndexes(0, 3); // [2, 3]: the subtree [0, 2) then leaf 2
 * ```
 */
export function compactRangeIndexes(begin: number, end: number): number[] {
  assertRange(begin, end);
  const indexes: number[] = [];
  pushRangeIndexes(begin, end, indexes);
  return indexes;
}

/**
 * The hashes of the compact range [begin, end), left to right, read through
 * `read` (one call). Returned arrays are copies.
 *
 * @example
 * ```ts
 * const left = compactRange(0, start, tree.read);
 * const right = compactRange(start + run.length, size, tree.read);
 * ```
 */
export function compactRange(begin: number, end: number, read: HashReader): Uint8Array[] {
  const hashes = readStoredHashes(read, compactRangeIndexes(begin, end));
  return hashes.map((hash) => new Uint8Array(hash));
}

/**
 * PROOFS.md §7 `range_proof`: the root of a tree of `treeSize` leaves rebuilt
 * from the compact range [0, start) (`left`), the run's own leaf hashes
 * [start, start + leaves.length) and the compact range [end, treeSize)
 * (`right`). The caller compares it with the checkpoint's root.
 *
 * Throws `ERR_TREE_RANGE` when the run does not fit in the tree,
 * `ERR_HASH_FORMAT` for a leaf hash that is not 32 bytes, and
 * `ERR_PROOF_MALFORMED` when `left`/`right` have the wrong count or element size.
 *
 * @example
 * ```ts
 * const root = rootFromRangeProof(size, start, leafHashes, left, right);
 * if (!equalBytes(root, checkpointRoot)) throw new Error('run not in the log');
 * ```
 */
export function rootFromRangeProof(
  treeSize: number,
  start: number,
  leaves: readonly Uint8Array[],
  left: readonly Uint8Array[],
  right: readonly Uint8Array[],
  crypto: CryptoProvider = nobleCrypto,
): Uint8Array {
  assertTreeNumber(treeSize, 'tree size');
  assertTreeNumber(start, 'start', treeSize);
  if (!Array.isArray(leaves)) throw new LogproofError('ERR_HASH_FORMAT', 'leaves must be an array');
  const end = start + leaves.length;
  if (end > treeSize) {
    throw new LogproofError(
      'ERR_TREE_RANGE',
      `run [${start}, ${end}) is beyond tree size ${treeSize}`,
    );
  }
  leaves.forEach((leaf, i) => assertHash(leaf, `leaves[${i}]`));
  assertHashList(left, 'range proof left');
  assertHashList(right, 'range proof right');
  const leftNodes = decomposeRange(0, start);
  const rightNodes = decomposeRange(end, treeSize);
  if (left.length !== leftNodes.length || right.length !== rightNodes.length) {
    throw new LogproofError(
      'ERR_PROOF_MALFORMED',
      `range proof needs ${leftNodes.length} left and ${rightNodes.length} right hashes, ` +
        `got ${left.length} and ${right.length}`,
    );
  }
  if (treeSize === 0) return emptyRoot(crypto);

  // Rebuild the compact range [0, treeSize) left to right like a binary
  // counter: a subtree of level L appended at a multiple of 2^L merges with
  // the range's last subtree while that has the same level. `left` is the
  // compact range [0, start), whose levels are the one bits of start.
  const levels: number[] = leftNodes.map((node) => node.level);
  const hashes: Uint8Array[] = [...left];
  const push = (level: number, hash: Uint8Array): void => {
    let h = hash;
    let l = level;
    while (levels.length > 0 && levels[levels.length - 1] === l) {
      levels.pop();
      h = nodeHash(hashes.pop()!, h, crypto);
      l++;
    }
    levels.push(l);
    hashes.push(h);
  };
  for (const leaf of leaves) push(0, leaf);
  rightNodes.forEach((node, i) => push(node.level, right[i]!));
  // What remains is one subtree per one bit of treeSize, largest first (RFC 6962 §2.1).
  return foldSubtree(hashes, 0, hashes.length, crypto);
}

function assertRange(begin: number, end: number): void {
  assertTreeNumber(end, 'end');
  assertTreeNumber(begin, 'begin', end);
}
