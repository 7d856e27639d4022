import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { LogproofError } from '../errors.js';
import { nodeHash } from '../hashes.js';
import { trailingZeros } from './bits.js';
import { compactRange as readCompactRange } from './compact-range.js';
import { HashPages } from './hash-pages.js';
import { assertHash, assertTreeNumber, MAX_TREE_SIZE } from './limits.js';
import type { HashReader } from './stored-hash.js';
import {
  consistencyProof as buildConsistencyProof,
  inclusionProof as buildInclusionProof,
  treeHash,
} from './stored-proofs.js';

/**
 * An in-memory RFC 6962 tree that keeps every stored hash (see
 * {@link storedHashIndex}), so it answers the root, inclusion and consistency
 * proofs at any earlier size too. Appends cost amortised two hashes; hashes
 * live in flat pages, 64 bytes per leaf. For tests, the benchmark, the SDK
 * and whole-log verification; the server keeps a {@link MerkleFrontier} and a
 * database instead.
 *
 * @example
 * ```ts
 * const tree = new MerkleTree(createNodeCrypto());
 * for (const data of entries) tree.append(leafHash(data));
 * const proof = tree.inclusionProof(5);
 * verifyInclusion(5, tree.size, leafHash(entries[5]), proof, tree.root());
 * ```
 */
export class MerkleTree {
  readonly #crypto: CryptoProvider;
  /** Slot i holds stored hash i: appends write in tlog's linear order. */
  readonly #pages = new HashPages();
  /** Slots of the compact range [0, size), largest subtree first. */
  readonly #frontier: number[] = [];
  #size = 0;
  /** Like `read` but hands out views of the pages: only for code that copies. */
  readonly #readViews: HashReader = (indexes) => indexes.map((index) => this.#view(index));

  /**
   * A {@link HashReader} over this tree's stored hashes; returns copies and
   * throws `ERR_HASH_MISSING` for an index the tree has not stored.
   */
  readonly read: HashReader = (indexes) => indexes.map((index) => this.#view(index).slice());

  constructor(crypto: CryptoProvider = nobleCrypto) {
    this.#crypto = crypto;
  }

  /** The number of leaves. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash (RFC 6962 §2.1 leaf hash, 32 bytes; copied).
   *
   * @example
   * ```ts
   * tree.append(leafHash(canonicalBytes));
   * ```
   */
  append(leafHash: Uint8Array): void {
    assertHash(leafHash, 'leaf hash');
    const size = this.#size;
    if (size >= MAX_TREE_SIZE) throw new LogproofError('ERR_TREE_RANGE', 'the tree is full');
    let slot = this.#pages.push(leafHash);
    let hash = leafHash;
    // Leaf n completes one subtree per trailing one bit of n, each the parent
    // of the last frontier subtree and the one just built.
    const completed = trailingZeros(size + 1);
    for (let i = 0; i < completed; i++) {
      hash = nodeHash(this.#pages.view(this.#frontier.pop()!), hash, this.#crypto);
      slot = this.#pages.push(hash);
    }
    this.#frontier.push(slot);
    this.#size = size + 1;
  }

  /**
   * RFC 6962 §2.1 MTH of the first `treeSize` leaves (default: all).
   *
   * @example
   * ```ts
   * const then = tree.root(7);
   * ```
   */
  root(treeSize: number = this.#size): Uint8Array {
    return treeHash(this.#assertSize(treeSize, 'tree size'), this.#readViews, this.#crypto);
  }

  /**
   * RFC 6962 §2.1.1 audit path of leaf `leafIndex` in the tree of `treeSize`
   * leaves (default: all).
   *
   * @example
   * ```ts
   * const proof = tree.inclusionProof(5, 13);
   * ```
   */
  inclusionProof(leafIndex: number, treeSize: number = this.#size): Uint8Array[] {
    const size = this.#assertSize(treeSize, 'tree size');
    return buildInclusionProof(leafIndex, size, this.#readViews, this.#crypto);
  }

  /**
   * RFC 6962 §2.1.2 consistency proof from `fromSize` to `toSize` (default: all).
   *
   * @example
   * ```ts
   * const proof = tree.consistencyProof(7);
   * ```
   */
  consistencyProof(fromSize: number, toSize: number = this.#size): Uint8Array[] {
    const size = this.#assertSize(toSize, 'to size');
    return buildConsistencyProof(fromSize, size, this.#readViews, this.#crypto);
  }

  /**
   * Hashes of the compact range [begin, end), left to right (PROOFS.md §7).
   *
   * @example
   * ```ts
   * const left = tree.compactRange(0, start);
   * ```
   */
  compactRange(begin: number, end: number): Uint8Array[] {
    return readCompactRange(begin, this.#assertSize(end, 'end'), this.#readViews);
  }

  #assertSize(value: number, name: string): number {
    return assertTreeNumber(value, name, this.#size);
  }

  #view(index: number): Uint8Array {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#pages.count) {
      throw new LogproofError(
        'ERR_HASH_MISSING',
        `stored hash ${String(index)} is not in the tree`,
      );
    }
    return this.#pages.view(index);
  }
}
