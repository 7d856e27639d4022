import { LogproofError } from '../errors.js';
import { HASH_SIZE } from '../hashes.js';
import { bitLength, popCount, powerOfTwo, shiftRight, trailingZeros } from './bits.js';
import { assertTreeNumber, MAX_TREE_SIZE } from './limits.js';

// Stored-hash addressing as in Go's golang.org/x/mod/sumdb/tlog (tlog.go):
// appending leaf n stores its leaf hash, then the hash of every complete
// subtree that leaf closes, so every complete aligned subtree gets one linear
// index in append order. A store keyed by that index answers any RFC 6962
// root or proof with O(log n) reads, and appends only ever add new keys.

/** The number of stored hashes, 2^53 - 1: those of a tree of MAX_TREE_SIZE leaves. */
const MAX_STORED_COUNT = 2 * MAX_TREE_SIZE - 1;

/**
 * A synchronous lookup of stored hashes by linear index ({@link storedHashIndex}).
 * It MUST return one 32-byte hash per index, in the order asked, and MUST throw
 * `LogproofError` `ERR_HASH_MISSING` for an index it does not hold. Async
 * stores fetch first (the `...Indexes` functions say what), then wrap the
 * rows with {@link readerFromMap}.
 *
 * @example
 * ```ts
 * const read: HashReader = (indexes) => indexes.map((i) => hashes.get(i) ?? missing(i));
 * ```
 */
export type HashReader = (indexes: readonly number[]) => readonly Uint8Array[];

/**
 * The linear index of the hash of the complete subtree at `level` covering
 * leaves [index * 2^level, (index + 1) * 2^level): tlog's StoredHashIndex.
 *
 * @example
 * ```ts
 * storedHashIndex(0, 2); // 3: leaf 2 comes after leaf 0, leaf 1 and their parent
 * storedHashIndex(1, 0); // 2
 * ```
 */
export function storedHashIndex(level: number, index: number): number {
  assertTreeNumber(level, 'level', bitLength(MAX_TREE_SIZE) - 1);
  assertTreeNumber(index, 'index', MAX_TREE_SIZE / powerOfTwo(level) - 1);
  return storedIndexEndingAt((index + 1) * powerOfTwo(level) - 1, level);
}

/**
 * {@link storedHashIndex} of the subtree at `level` whose last leaf is
 * `lastLeaf`, without validation: for the proof planners, which only ask for
 * subtrees of a tree they have already validated.
 */
export function storedIndexEndingAt(lastLeaf: number, level: number): number {
  // A subtree is stored right after its last leaf, and that leaf's own hash
  // sits at sum_{i>=0} floor(last / 2^i) = 2 * last - popcount(last); the
  // subtree's hash comes `level` completed parents later.
  return 2 * lastLeaf - popCount(lastLeaf) + level;
}

/**
 * The inverse of {@link storedHashIndex}: tlog's SplitStoredHashIndex.
 *
 * @example
 * ```ts
 * splitStoredHashIndex(2); // { level: 1, index: 0 }
 * ```
 */
export function splitStoredHashIndex(storedIndex: number): { level: number; index: number } {
  assertTreeNumber(storedIndex, 'stored hash index', MAX_STORED_COUNT - 1);
  // Leaf n's hash is at 2n - popcount(n) <= storedIndex, and that is never
  // less than n, so the leaf whose append stored this hash is at most
  // storedIndex / 2 and at least storedIndex / 2 - log2(storedIndex).
  let leaf = Math.floor(storedIndex / 2);
  let leafStored = 2 * leaf - popCount(leaf);
  for (;;) {
    // Appending leaf n stores 1 + trailingZeros(n + 1) hashes.
    const next = leafStored + 1 + trailingZeros(leaf + 1);
    if (next > storedIndex) break;
    leaf++;
    leafStored = next;
  }
  const level = storedIndex - leafStored;
  return { level, index: shiftRight(leaf, level) };
}

/**
 * How many hashes a tree of `treeSize` leaves has stored: 2n - popcount(n).
 * They are exactly the indexes 0 .. storedHashCount(n) - 1.
 *
 * @example
 * ```ts
 * storedHashCount(3); // 4: leaves 0, 1, 2 and the parent of 0 and 1
 * ```
 */
export function storedHashCount(treeSize: number): number {
  assertTreeNumber(treeSize, 'tree size');
  return 2 * treeSize - popCount(treeSize);
}

/**
 * A {@link HashReader} over hashes the caller already fetched (e.g. one
 * database query for the indexes a `...Indexes` function returned). The
 * reader hands out the map's own arrays; the proof functions copy what they
 * return, so the map is never exposed.
 *
 * @example
 * ```ts
 * const indexes = inclusionProofIndexes(5, 13);
 * const rows = await db.hashes(indexes); // Map<number, Uint8Array>
 * const proof = inclusionProof(5, 13, readerFromMap(rows));
 * ```
 */
export function readerFromMap(hashes: ReadonlyMap<number, Uint8Array>): HashReader {
  return (indexes) =>
    indexes.map((index) => {
      const hash = hashes.get(index);
      if (hash === undefined) {
        throw new LogproofError('ERR_HASH_MISSING', `stored hash ${index} is missing`);
      }
      return hash;
    });
}

/**
 * Reads `indexes` and checks the reader kept its contract, so a broken store
 * surfaces as a typed error rather than as a wrong root.
 */
export function readStoredHashes(
  read: HashReader,
  indexes: readonly number[],
): readonly Uint8Array[] {
  if (indexes.length === 0) return [];
  const hashes = read(indexes);
  if (!Array.isArray(hashes) || hashes.length !== indexes.length) {
    throw new LogproofError(
      'ERR_HASH_MISSING',
      `hash reader returned ${Array.isArray(hashes) ? hashes.length : 'no'} hashes for ${indexes.length} indexes`,
    );
  }
  for (let i = 0; i < hashes.length; i++) {
    const hash: unknown = hashes[i];
    if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
      throw new LogproofError('ERR_HASH_FORMAT', `stored hash ${indexes[i]} is not 32 bytes`);
    }
  }
  return hashes;
}
