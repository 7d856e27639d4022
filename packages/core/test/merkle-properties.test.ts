import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compactRange,
  compactRangeIndexes,
  consistencyProof,
  consistencyProofIndexes,
  formatHash,
  inclusionProof,
  inclusionProofIndexes,
  MAX_TREE_SIZE,
  MerkleFrontier,
  nobleCrypto,
  rootFromInclusionProof,
  rootFromRangeProof,
  splitStoredHashIndex,
  storedHashCount,
  storedHashIndex,
  treeHash,
  treeHashIndexes,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.js';
import {
  buildTree,
  expectLogproofError,
  makeLeaves,
  nodeCrypto,
  readerFor,
  referenceConsistency,
  referenceDecompose,
  referencePath,
  referenceRoot,
  referenceStoredHashIndex,
  rfc9162ConsistencyRoots,
  rfc9162VerifiesConsistency,
  rfc9162VerifiesInclusion,
} from './merkle-helpers.js';

// One tree of a few thousand distinct leaves serves every size below it:
// MerkleTree answers roots and proofs at any earlier size.
const MAX_LEAVES = 4100;
const leaves = makeLeaves(MAX_LEAVES);
const tree = buildTree(leaves);

const hexes = (hashes: readonly Uint8Array[]) => hashes.map(formatHash);
const treeSize = (max = MAX_LEAVES) => fc.integer({ min: 1, max });
/** A tree size and a leaf index in it. */
const sizeAndIndex = (max = MAX_LEAVES) =>
  treeSize(max).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })));
/** 0 <= from <= to <= max. */
const sizePair = (max = MAX_LEAVES) =>
  fc
    .integer({ min: 0, max })
    .chain((to) => fc.tuple(fc.integer({ min: 0, max: to }), fc.constant(to)));
/** A size anywhere up to MAX_TREE_SIZE, biased to the edges of 32-bit arithmetic. */
const hugeSize = fc.oneof(
  fc.integer({ min: 1, max: MAX_TREE_SIZE }),
  fc.integer({ min: 2 ** 31 - 4, max: 2 ** 33 }),
  fc.integer({ min: MAX_TREE_SIZE - 2 ** 20, max: MAX_TREE_SIZE }),
);

describe('MerkleTree', () => {
  it('gives the RFC 6962 MTH, computed recursively, at every size', () => {
    for (let n = 0; n <= 300; n++) {
      expect(formatHash(tree.root(n))).toBe(formatHash(referenceRoot(leaves.slice(0, n))));
    }
    fc.assert(
      fc.property(treeSize(), (n) => {
        expect(formatHash(tree.root(n))).toBe(formatHash(referenceRoot(leaves.slice(0, n))));
      }),
      { numRuns: 30 },
    );
  });

  it('gives the same hashes with the noble and the node crypto providers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), (n) => {
        const noble = buildTree(leaves.slice(0, n), nobleCrypto);
        expect(formatHash(noble.root())).toBe(formatHash(tree.root(n)));
        const indexes = Array.from({ length: storedHashCount(n) }, (_, i) => i);
        expect(hexes(noble.read(indexes))).toEqual(hexes(tree.read(indexes)));
      }),
      { numRuns: 20 },
    );
  });
});

describe('inclusionProof', () => {
  it('gives a path that verifies for random leaves of random trees', () => {
    fc.assert(
      fc.property(sizeAndIndex(), ([n, m]) => {
        const proof = tree.inclusionProof(m, n);
        const root = tree.root(n);
        verifyInclusion(m, n, leaves[m]!, proof, root, nodeCrypto);
        expect(rfc9162VerifiesInclusion(m, n, leaves[m]!, proof, root)).toBe(true);
        const read = readerFor(tree.read, inclusionProofIndexes(m, n));
        expect(hexes(inclusionProof(m, n, read, nodeCrypto))).toEqual(hexes(proof));
      }),
      { numRuns: 300 },
    );
  });

  it('equals RFC 6962 PATH(m, D[0:n]) computed recursively', () => {
    fc.assert(
      fc.property(sizeAndIndex(600), ([n, m]) => {
        const expected = referencePath(m, leaves.slice(0, n));
        expect(hexes(tree.inclusionProof(m, n))).toEqual(hexes(expected));
      }),
      { numRuns: 100 },
    );
  });

  it('reads at most 2 log2(n) stored hashes, all distinct and already stored', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          sizeAndIndex(),
          hugeSize.chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }))),
        ),
        ([n, m]) => {
          const indexes = inclusionProofIndexes(m, n);
          expect(indexes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
          expect(new Set(indexes).size).toBe(indexes.length);
          for (const index of indexes) {
            expect(Number.isSafeInteger(index)).toBe(true);
            expect(index).toBeLessThan(storedHashCount(n));
          }
        },
      ),
    );
  });
});

describe('consistencyProof', () => {
  it('gives a proof that verifies between random sizes', () => {
    fc.assert(
      fc.property(sizePair(), ([m, n]) => {
        const proof = tree.consistencyProof(m, n);
        const fromRoot = tree.root(m);
        const toRoot = tree.root(n);
        verifyConsistency(m, n, proof, fromRoot, toRoot, nodeCrypto);
        expect(rfc9162VerifiesConsistency(m, n, proof, fromRoot, toRoot)).toBe(true);
        const read = readerFor(tree.read, consistencyProofIndexes(m, n));
        expect(hexes(consistencyProof(m, n, read, nodeCrypto))).toEqual(hexes(proof));
      }),
      { numRuns: 300 },
    );
  });

  it('equals RFC 6962 PROOF(m, D[0:n]) computed recursively', () => {
    fc.assert(
      fc.property(sizePair(600), ([m, n]) => {
        const expected = referenceConsistency(m, leaves.slice(0, n));
        expect(hexes(tree.consistencyProof(m, n))).toEqual(hexes(expected));
      }),
      { numRuns: 100 },
    );
  });
});

describe('treeHash', () => {
  it('computes every root from the compact range [0, n) alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_LEAVES }), (n) => {
        const read = readerFor(tree.read, treeHashIndexes(n));
        expect(formatHash(treeHash(n, read, nodeCrypto))).toBe(formatHash(tree.root(n)));
      }),
    );
  });
});

describe('MerkleFrontier', () => {
  it('stores on append the same hashes as MerkleTree, at consecutive indexes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), (n) => {
        const frontier = MerkleFrontier.empty(nodeCrypto);
        const indexes: number[] = [];
        const hashes: Uint8Array[] = [];
        for (let i = 0; i < n; i++) {
          for (const { index, hash } of frontier.append(leaves[i]!)) {
            indexes.push(index);
            hashes.push(hash);
          }
        }
        expect(frontier.size).toBe(n);
        expect(indexes).toEqual(Array.from({ length: storedHashCount(n) }, (_, i) => i));
        expect(hexes(hashes)).toEqual(hexes(tree.read(indexes)));
        expect(formatHash(frontier.root())).toBe(formatHash(tree.root(n)));
      }),
      { numRuns: 20 },
    );
  });

  it('gives the same root at every size while appending', () => {
    const frontier = MerkleFrontier.empty(nodeCrypto);
    for (let n = 0; n < 1100; n++) {
      expect(formatHash(frontier.root())).toBe(formatHash(tree.root(n)));
      frontier.append(leaves[n]!);
    }
  });

  it('rebuilt fromHashes at any size gives the same root and appends as the original', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4000 }),
        fc.integer({ min: 0, max: 100 }),
        (k, more) => {
          const read = readerFor(tree.read, MerkleFrontier.indexesFor(k));
          const frontier = MerkleFrontier.fromHashes(k, read, nodeCrypto);
          expect(frontier.size).toBe(k);
          expect(formatHash(frontier.root())).toBe(formatHash(tree.root(k)));
          for (let i = k; i < k + more; i++) {
            for (const { index, hash } of frontier.append(leaves[i]!)) {
              expect(formatHash(hash)).toBe(formatHash(tree.read([index])[0]!));
            }
          }
          expect(formatHash(frontier.root())).toBe(formatHash(tree.root(k + more)));
        },
      ),
    );
  });

  it('clones into an independent frontier', () => {
    const original = MerkleFrontier.empty(nodeCrypto);
    for (let i = 0; i < 11; i++) original.append(leaves[i]!);
    const copy = original.clone();
    copy.append(leaves[11]!);
    expect(original.size).toBe(11);
    expect(formatHash(original.root())).toBe(formatHash(tree.root(11)));
    expect(formatHash(copy.root())).toBe(formatHash(tree.root(12)));
  });

  it('never lets a caller change its state through returned or given arrays', () => {
    const frontier = MerkleFrontier.empty(nodeCrypto);
    const leaf = Uint8Array.from(leaves[0]!);
    const [stored] = frontier.append(leaf);
    leaf.fill(0);
    stored!.hash.fill(0);
    frontier.root().fill(0);
    expect(formatHash(frontier.root())).toBe(formatHash(tree.root(1)));
  });
});

describe('compactRange', () => {
  it('decomposes [begin, end) as transparency-dev/merkle compact ranges do', () => {
    const pair = (max: number) =>
      fc
        .integer({ min: 0, max })
        .chain((end) => fc.tuple(fc.integer({ min: 0, max: end }), fc.constant(end)));
    fc.assert(
      fc.property(
        fc.oneof(pair(MAX_LEAVES), pair(MAX_TREE_SIZE), pair(2 ** 33)),
        ([begin, end]) => {
          const expected = referenceDecompose(begin, end).map(([level, index]) =>
            referenceStoredHashIndex(level, index),
          );
          expect(compactRangeIndexes(begin, end)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the same hashes from MerkleTree and from a map of its indexes', () => {
    fc.assert(
      fc.property(sizePair(), ([begin, end]) => {
        const read = readerFor(tree.read, compactRangeIndexes(begin, end));
        expect(hexes(compactRange(begin, end, read))).toEqual(hexes(tree.compactRange(begin, end)));
      }),
    );
  });
});

describe('rootFromRangeProof', () => {
  it('rebuilds the root from a random run and the compact ranges around it', () => {
    const run = treeSize()
      .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n })))
      .chain(([n, start]) =>
        fc.tuple(fc.constant(n), fc.constant(start), fc.integer({ min: 0, max: n - start })),
      );
    fc.assert(
      fc.property(run, ([n, start, length]) => {
        const end = start + length;
        const root = rootFromRangeProof(
          n,
          start,
          leaves.slice(start, end),
          tree.compactRange(0, start),
          tree.compactRange(end, n),
          nodeCrypto,
        );
        expect(formatHash(root)).toBe(formatHash(tree.root(n)));
      }),
      { numRuns: 300 },
    );
  });

  it('rebuilds the empty tree root from nothing', () => {
    expect(formatHash(rootFromRangeProof(0, 0, [], [], [], nodeCrypto))).toBe(
      formatHash(tree.root(0)),
    );
  });
});

describe('storedHashIndex', () => {
  it('matches tlog StoredHashIndex for levels 0 to 52 and every index bound', () => {
    const address = fc
      .integer({ min: 0, max: 52 })
      .chain((level) =>
        fc.tuple(fc.constant(level), fc.integer({ min: 0, max: 2 ** (52 - level) - 1 })),
      );
    fc.assert(
      fc.property(address, ([level, index]) => {
        const stored = storedHashIndex(level, index);
        expect(stored).toBe(referenceStoredHashIndex(level, index));
        expect(splitStoredHashIndex(stored)).toEqual({ level, index });
      }),
      { numRuns: 500 },
    );
    expect(storedHashIndex(52, 0)).toBe(2 ** 53 - 2);
  });

  it('is inverted by splitStoredHashIndex over the whole index space', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 53 - 2 }), (stored) => {
        const { level, index } = splitStoredHashIndex(stored);
        expect(storedHashIndex(level, index)).toBe(stored);
      }),
      { numRuns: 500 },
    );
    for (let stored = 0; stored < 5000; stored++) {
      const { level, index } = splitStoredHashIndex(stored);
      expect(storedHashIndex(level, index)).toBe(stored);
    }
  });

  it('counts 2n - popcount(n) stored hashes for a tree of n leaves', () => {
    expect([0, 1, 2, 3, 4, 13].map(storedHashCount)).toEqual([0, 1, 3, 4, 7, 23]);
    expect(storedHashCount(MAX_TREE_SIZE)).toBe(Number.MAX_SAFE_INTEGER);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_TREE_SIZE }), (n) => {
        // The last leaf's hash plus the parents it completes.
        const last = n - 1;
        let completed = 0;
        for (let x = BigInt(last); (x & 1n) === 1n; x >>= 1n) completed++;
        expect(storedHashCount(n)).toBe(referenceStoredHashIndex(0, last) + 1 + completed);
      }),
      { numRuns: 300 },
    );
  });
});

describe('verification at sizes up to 2^52', () => {
  // RFC 6962's recursions on sizes alone, in BigInt: how long the proofs are.
  const pathLength = (m: bigint, n: bigint): number => {
    if (n <= 1n) return 0;
    let k = 1n;
    while (k * 2n < n) k *= 2n;
    return 1 + (m < k ? pathLength(m, k) : pathLength(m - k, n - k));
  };
  const subproofLength = (m: bigint, n: bigint, b: boolean): number => {
    if (m === n) return b ? 0 : 1;
    let k = 1n;
    while (k * 2n < n) k *= 2n;
    return 1 + (m <= k ? subproofLength(m, k, b) : subproofLength(m - k, n - k, false));
  };
  const dummy = (length: number) => Array.from({ length }, (_, i) => leaves[i]!);

  it('expects inclusion proofs of RFC 6962 length and hashes them as RFC 9162 does', () => {
    const pairs = fc.oneof(
      sizeAndIndex(),
      hugeSize.chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }))),
    );
    fc.assert(
      fc.property(pairs, ([n, m]) => {
        const length = pathLength(BigInt(m), BigInt(n));
        const root = rootFromInclusionProof(m, n, leaves[0]!, dummy(length), nodeCrypto);
        // RFC 9162's algorithm only shifts and tests parity: an oracle at any size.
        expect(rfc9162VerifiesInclusion(m, n, leaves[0]!, dummy(length), root)).toBe(true);
        expectLogproofError(
          () => rootFromInclusionProof(m, n, leaves[0]!, dummy(length + 1)),
          'ERR_PROOF_MALFORMED',
        );
        if (length > 0) {
          expectLogproofError(
            () => rootFromInclusionProof(m, n, leaves[0]!, dummy(length - 1)),
            'ERR_PROOF_MALFORMED',
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('expects consistency proofs of RFC 6962 length and hashes them as RFC 9162 does', () => {
    const pairs = fc.oneof(
      sizePair(),
      hugeSize.chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n))),
      hugeSize.chain((n) =>
        fc.tuple(fc.integer({ min: Math.max(1, n - 5000), max: n }), fc.constant(n)),
      ),
    );
    fc.assert(
      fc.property(pairs, ([m, n]) => {
        if (m === 0 || m === n) return;
        const length = subproofLength(BigInt(m), BigInt(n), true);
        const [a, b] = [leaves[0]!, leaves[1]!];
        const roots = rfc9162ConsistencyRoots(m, n, dummy(length), a);
        expect(roots?.complete).toBe(true);
        verifyConsistency(m, n, dummy(length), roots!.fr, roots!.sr, nodeCrypto);
        expectLogproofError(
          () => verifyConsistency(m, n, dummy(length), roots!.fr, b),
          'ERR_PROOF_MISMATCH',
        );
        expectLogproofError(
          () => verifyConsistency(m, n, dummy(length + 1), a, b),
          'ERR_PROOF_MALFORMED',
        );
        expectLogproofError(
          () => verifyConsistency(m, n, dummy(length - 1), a, b),
          'ERR_PROOF_MALFORMED',
        );
        expect(consistencyProofIndexes(m, n).every(Number.isSafeInteger)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
