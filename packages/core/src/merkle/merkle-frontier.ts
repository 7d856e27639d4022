import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { LogproofError } from '../errors.js';
import { emptyRoot, nodeHash } from '../hashes.js';
import { trailingZeros } from './bits.js';
import { foldSubtree } from './compact-range.js';
import { assertHash, MAX_TREE_SIZE } from './limits.js';
import { readStoredHashes, storedHashCount, type HashReader } from './stored-hash.js';
import { treeHashIndexes } from './stored-proofs.js';

/**
 * The right edge of a tree of n leaves: the hashes of its compact range
 * [0, n), one complete subtree per one bit of n, largest first. That is all
 * an appender needs to add leaves and compute the RFC 6962 root, in O(log n)
 * memory, so the server keeps one per log instead of the whole tree.
 *
 * @example
 * ```ts
 * const frontier = MerkleFrontier.fromHashes(size, readerFromMap(rows), crypto);
 * for (const { index, hash } of frontier.append(leafHash(canonical, crypto))) store(index, hash);
 * const root = frontier.root();
 * ```
 */
export class MerkleFrontier {
  #size: number;
  /** Subtree hashes of the compact range [0, size), largest (leftmost) first. */
  readonly #hashes: Uint8Array[];
  readonly #crypto: CryptoProvider;

  private constructor(size: number, hashes: Uint8Array[], crypto: CryptoProvider) {
    this.#size = size;
    this.#hashes = hashes;
    this.#crypto = crypto;
  }

  /**
   * The frontier of the empty tree.
   *
   * @example
   * ```ts
   * const frontier = MerkleFrontier.empty(createNodeCrypto());
   * ```
   */
  static empty(crypto: CryptoProvider = nobleCrypto): MerkleFrontier {
    return new MerkleFrontier(0, [], crypto);
  }

  /**
   * Indexes of the stored hashes that make up the frontier of a tree of
   * `treeSize` leaves (the same as {@link treeHashIndexes}).
   *
   * @example
   * ```ts
   * MerkleFrontier.indexesFor(13); // [14, 21, 22]
   * ```
   */
  static indexesFor(treeSize: number): number[] {
    return treeHashIndexes(treeSize);
  }

  /**
   * Restores the frontier of a tree of `treeSize` leaves from its stored
   * hashes (one read of {@link MerkleFrontier.indexesFor}). The hashes are copied.
   *
   * @example
   * ```ts
   * const rows = await db.hashes(MerkleFrontier.indexesFor(size));
   * const frontier = MerkleFrontier.fromHashes(size, readerFromMap(rows));
   * ```
   */
  static fromHashes(
    treeSize: number,
    read: HashReader,
    crypto: CryptoProvider = nobleCrypto,
  ): MerkleFrontier {
    const hashes = readStoredHashes(read, MerkleFrontier.indexesFor(treeSize));
    return new MerkleFrontier(
      treeSize,
      hashes.map((hash) => new Uint8Array(hash)),
      crypto,
    );
  }

  /** The number of leaves. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash and returns the stored hashes this creates, in
   * linear-index order: the leaf's, then each parent it completes. Their
   * indexes are consecutive, from {@link storedHashCount} of the old size.
   * The returned arrays are the caller's; the frontier keeps its own.
   *
   * @example
   * ```ts
   * frontier.append(leafHash(data)); // [{ index: 0, hash }] on an empty tree
   * ```
   */
  append(leafHash: Uint8Array): Array<{ index: number; hash: Uint8Array }> {
    assertHash(leafHash, 'leaf hash');
    const size = this.#size;
    if (size >= MAX_TREE_SIZE) throw new LogproofError('ERR_TREE_RANGE', 'the tree is full');
    let index = storedHashCount(size);
    let hash: Uint8Array = new Uint8Array(leafHash);
    const stored = [{ index, hash: new Uint8Array(hash) }];
    // Leaf n completes one subtree per trailing one bit of n (tlog's
    // StoredHashesForRecordHash): each merges the last frontier hash.
    const completed = trailingZeros(size + 1);
    for (let i = 0; i < completed; i++) {
      hash = nodeHash(this.#hashes.pop()!, hash, this.#crypto);
      stored.push({ index: ++index, hash: new Uint8Array(hash) });
    }
    this.#hashes.push(hash);
    this.#size = size + 1;
    return stored;
  }

  /**
   * RFC 6962 §2.1 MTH of the whole tree; SHA-256("") for the empty tree.
   *
   * @example
   * ```ts
   * const root = frontier.root();
   * ```
   */
  root(): Uint8Array {
    if (this.#size === 0) return emptyRoot(this.#crypto);
    return foldSubtree(this.#hashes, 0, this.#hashes.length, this.#crypto);
  }

  /**
   * An independent copy (e.g. to try a batch and discard it on failure).
   *
   * @example
   * ```ts
   * const draft = frontier.clone();
   * ```
   */
  clone(): MerkleFrontier {
    return new MerkleFrontier(this.#size, [...this.#hashes], this.#crypto);
  }
}
