import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compactRange,
  compactRangeIndexes,
  consistencyProof,
  consistencyProofIndexes,
  inclusionProof,
  inclusionProofIndexes,
  isLogproofError,
  MAX_TREE_SIZE,
  MerkleFrontier,
  MerkleTree,
  readerFromMap,
  rootFromInclusionProof,
  rootFromRangeProof,
  splitStoredHashIndex,
  storedHashCount,
  storedHashIndex,
  treeHash,
  treeHashIndexes,
  verifyConsistency,
  verifyInclusion,
  type HashReader,
} from '../src/index.js';
import { buildTree, expectLogproofError, makeLeaves, nodeCrypto } from './merkle-helpers.js';

const leaves = makeLeaves(16);
const tree = buildTree(leaves);
const root = tree.root(13);
const proof5 = tree.inclusionProof(5, 13);
const consistency7 = tree.consistencyProof(7, 13);

/** Not integers in [0, 2^52]: every one must be ERR_TREE_RANGE. */
const BAD_NUMBERS: unknown[] = [
  2 ** 53,
  2 ** 52 + 1,
  Number.MAX_SAFE_INTEGER,
  1e300,
  Infinity,
  -Infinity,
  NaN,
  -1,
  -0.5,
  1.5,
  '5',
  5n,
  null,
  undefined,
  {},
];
const bad = BAD_NUMBERS as number[];
const label = (value: unknown) => (typeof value === 'bigint' ? `${value}n` : String(value));

describe.each(bad.map((value) => [label(value), value] as const))(
  'a size or index of %s',
  (_, value) => {
    const reader: HashReader = tree.read;
    const cases: Array<[string, () => unknown]> = [
      ['storedHashIndex level', () => storedHashIndex(value, 0)],
      ['storedHashIndex index', () => storedHashIndex(0, value)],
      ['splitStoredHashIndex', () => splitStoredHashIndex(value)],
      ['storedHashCount', () => storedHashCount(value)],
      ['MerkleFrontier.indexesFor', () => MerkleFrontier.indexesFor(value)],
      ['MerkleFrontier.fromHashes', () => MerkleFrontier.fromHashes(value, reader)],
      ['treeHashIndexes', () => treeHashIndexes(value)],
      ['treeHash', () => treeHash(value, reader)],
      ['inclusionProofIndexes index', () => inclusionProofIndexes(value, 13)],
      ['inclusionProofIndexes size', () => inclusionProofIndexes(0, value)],
      ['inclusionProof', () => inclusionProof(value, 13, reader)],
      ['consistencyProofIndexes from', () => consistencyProofIndexes(value, 13)],
      ['consistencyProofIndexes to', () => consistencyProofIndexes(1, value)],
      ['consistencyProof', () => consistencyProof(1, value, reader)],
      ['rootFromInclusionProof index', () => rootFromInclusionProof(value, 13, leaves[5]!, proof5)],
      ['rootFromInclusionProof size', () => rootFromInclusionProof(5, value, leaves[5]!, proof5)],
      ['verifyInclusion index', () => verifyInclusion(value, 13, leaves[5]!, proof5, root)],
      ['verifyInclusion size', () => verifyInclusion(5, value, leaves[5]!, proof5, root)],
      ['verifyConsistency from', () => verifyConsistency(value, 13, consistency7, root, root)],
      ['verifyConsistency to', () => verifyConsistency(7, value, consistency7, root, root)],
      ['compactRangeIndexes begin', () => compactRangeIndexes(value, 13)],
      ['compactRangeIndexes end', () => compactRangeIndexes(0, value)],
      ['compactRange', () => compactRange(0, value, reader)],
      ['rootFromRangeProof size', () => rootFromRangeProof(value, 0, [], [], [])],
      ['rootFromRangeProof start', () => rootFromRangeProof(13, value, [], [], [])],
      ['MerkleTree.root', () => tree.root(value)],
      ['MerkleTree.inclusionProof index', () => tree.inclusionProof(value)],
      ['MerkleTree.inclusionProof size', () => tree.inclusionProof(0, value)],
      ['MerkleTree.consistencyProof from', () => tree.consistencyProof(value)],
      ['MerkleTree.consistencyProof to', () => tree.consistencyProof(0, value)],
      ['MerkleTree.compactRange', () => tree.compactRange(value, 3)],
    ];

    // An optional size given as undefined is an omitted one: the whole tree.
    const optional = [
      'MerkleTree.root',
      'MerkleTree.inclusionProof size',
      'MerkleTree.consistencyProof to',
    ];
    const applicable = cases.filter(
      ([name]) =>
        (value !== undefined || !optional.includes(name)) &&
        // Stored-hash indexes go up to 2^53 - 2 (tested under 'tree ranges').
        (value !== 2 ** 52 + 1 || name !== 'splitStoredHashIndex'),
    );

    it.each(applicable)('is ERR_TREE_RANGE for %s', (_, run) => {
      expectLogproofError(run, 'ERR_TREE_RANGE');
    });
  },
);

describe('tree ranges', () => {
  it('rejects a leaf index equal to or above the tree size', () => {
    expectLogproofError(() => inclusionProofIndexes(13, 13), 'ERR_TREE_RANGE');
    expectLogproofError(() => inclusionProofIndexes(0, 0), 'ERR_TREE_RANGE');
    expectLogproofError(() => rootFromInclusionProof(13, 13, leaves[0]!, proof5), 'ERR_TREE_RANGE');
    expectLogproofError(() => verifyInclusion(0, 0, leaves[0]!, [], root), 'ERR_TREE_RANGE');
    expectLogproofError(() => tree.inclusionProof(16), 'ERR_TREE_RANGE');
  });

  it('rejects a from size above the to size', () => {
    expectLogproofError(() => consistencyProofIndexes(14, 13), 'ERR_TREE_RANGE');
    expectLogproofError(
      () => verifyConsistency(14, 13, consistency7, root, root),
      'ERR_TREE_RANGE',
    );
    expectLogproofError(() => tree.consistencyProof(9, 8), 'ERR_TREE_RANGE');
    expectLogproofError(() => compactRangeIndexes(5, 4), 'ERR_TREE_RANGE');
  });

  it('rejects sizes beyond what an in-memory tree holds', () => {
    expectLogproofError(() => tree.root(17), 'ERR_TREE_RANGE');
    expectLogproofError(() => tree.consistencyProof(3, 17), 'ERR_TREE_RANGE');
    expectLogproofError(() => tree.compactRange(0, 17), 'ERR_TREE_RANGE');
  });

  it('rejects a run that ends beyond the tree', () => {
    expectLogproofError(
      () => rootFromRangeProof(13, 12, leaves.slice(0, 2), [], []),
      'ERR_TREE_RANGE',
    );
  });

  it('rejects stored hash addresses beyond a tree of 2^52 leaves', () => {
    expectLogproofError(() => splitStoredHashIndex(2 ** 53 - 1), 'ERR_TREE_RANGE');
    expectLogproofError(() => storedHashIndex(53, 0), 'ERR_TREE_RANGE');
    expectLogproofError(() => storedHashIndex(52, 1), 'ERR_TREE_RANGE');
    expectLogproofError(() => storedHashIndex(0, 2 ** 52), 'ERR_TREE_RANGE');
    expect(storedHashIndex(0, 2 ** 52 - 1)).toBe(2 ** 53 - 2 - 52);
  });

  it('accepts the extremes 0 and 2^52', () => {
    expect(treeHashIndexes(MAX_TREE_SIZE)).toEqual([2 ** 53 - 2]);
    expect(storedHashCount(MAX_TREE_SIZE)).toBe(Number.MAX_SAFE_INTEGER);
    expect(inclusionProofIndexes(MAX_TREE_SIZE - 1, MAX_TREE_SIZE)).toHaveLength(52);
    expect(splitStoredHashIndex(2 ** 53 - 2)).toEqual({ level: 52, index: 0 });
    const path = Array.from({ length: 52 }, (_, i) => leaves[i % 16]!);
    expect(rootFromInclusionProof(MAX_TREE_SIZE - 1, MAX_TREE_SIZE, leaves[0]!, path)).toHaveLength(
      32,
    );
    expect(treeHashIndexes(0)).toEqual([]);
  });
});

describe('hash sizes', () => {
  const short = new Uint8Array(31);
  const long = new Uint8Array(33);

  it('rejects proof elements of 31 or 33 bytes as ERR_PROOF_MALFORMED', () => {
    for (const wrong of [short, long]) {
      const inclusion = proof5.map((h, i) => (i === 1 ? wrong : h));
      expectLogproofError(
        () => verifyInclusion(5, 13, leaves[5]!, inclusion, root),
        'ERR_PROOF_MALFORMED',
      );
      expectLogproofError(
        () => rootFromInclusionProof(5, 13, leaves[5]!, inclusion),
        'ERR_PROOF_MALFORMED',
      );
      const consistency = consistency7.map((h, i) => (i === 0 ? wrong : h));
      const from = tree.root(7);
      expectLogproofError(
        () => verifyConsistency(7, 13, consistency, from, root),
        'ERR_PROOF_MALFORMED',
      );
      const left = tree.compactRange(0, 5).map((h, i) => (i === 0 ? wrong : h));
      expectLogproofError(
        () => rootFromRangeProof(13, 5, leaves.slice(5, 8), left, tree.compactRange(8, 13)),
        'ERR_PROOF_MALFORMED',
      );
      const right = tree.compactRange(8, 13).map((h, i) => (i === 0 ? wrong : h));
      expectLogproofError(
        () => rootFromRangeProof(13, 5, leaves.slice(5, 8), tree.compactRange(0, 5), right),
        'ERR_PROOF_MALFORMED',
      );
    }
  });

  it('rejects proofs that are not arrays of byte arrays as ERR_PROOF_MALFORMED', () => {
    const notProofs: unknown[] = [
      null,
      undefined,
      'ab',
      { length: 4 },
      [proof5[0], 'ab'],
      [proof5[0], null],
    ];
    for (const wrong of notProofs as Uint8Array[][]) {
      expectLogproofError(
        () => verifyInclusion(5, 13, leaves[5]!, wrong, root),
        'ERR_PROOF_MALFORMED',
      );
      expectLogproofError(() => verifyConsistency(7, 13, wrong, root, root), 'ERR_PROOF_MALFORMED');
      expectLogproofError(
        () => rootFromRangeProof(13, 0, leaves.slice(0, 13), wrong, []),
        'ERR_PROOF_MALFORMED',
      );
    }
  });

  it('rejects leaf hashes and roots of 31 or 33 bytes as ERR_HASH_FORMAT', () => {
    for (const wrong of [short, long]) {
      expectLogproofError(() => verifyInclusion(5, 13, wrong, proof5, root), 'ERR_HASH_FORMAT');
      expectLogproofError(
        () => verifyInclusion(5, 13, leaves[5]!, proof5, wrong),
        'ERR_HASH_FORMAT',
      );
      expectLogproofError(
        () => verifyConsistency(7, 13, consistency7, wrong, root),
        'ERR_HASH_FORMAT',
      );
      expectLogproofError(
        () => verifyConsistency(7, 13, consistency7, root, wrong),
        'ERR_HASH_FORMAT',
      );
      expectLogproofError(() => rootFromRangeProof(1, 0, [wrong], [], []), 'ERR_HASH_FORMAT');
      expectLogproofError(() => new MerkleTree().append(wrong), 'ERR_HASH_FORMAT');
      expectLogproofError(() => MerkleFrontier.empty().append(wrong), 'ERR_HASH_FORMAT');
    }
  });
});

describe('HashReader', () => {
  it('throws ERR_HASH_MISSING from readerFromMap for an absent index', () => {
    const read = readerFromMap(new Map([[0, leaves[0]!]]));
    expect(read([0])).toEqual([leaves[0]]);
    expectLogproofError(() => read([0, 1]), 'ERR_HASH_MISSING');
    expectLogproofError(() => treeHash(2, read), 'ERR_HASH_MISSING');
  });

  it('throws ERR_HASH_MISSING from MerkleTree.read for an index the tree has not stored', () => {
    for (const index of [storedHashCount(16), -1, 1.5, NaN]) {
      expectLogproofError(() => tree.read([index]), 'ERR_HASH_MISSING');
    }
  });

  it('hands out copies from MerkleTree.read', () => {
    const small = buildTree(leaves.slice(0, 3));
    const before = small.root();
    small.read([0, 1, 2, 3]).forEach((hash) => hash.fill(0));
    small.compactRange(0, 3).forEach((hash) => hash.fill(0));
    small.inclusionProof(2).forEach((hash) => hash.fill(0));
    small.root(1).fill(0);
    expect(small.root()).toEqual(before);
  });

  it('rejects a reader that breaks its contract with a typed error', () => {
    const tooFew: HashReader = (indexes) => tree.read(indexes).slice(1);
    const tooShort: HashReader = (indexes) => indexes.map(() => new Uint8Array(31));
    expectLogproofError(() => treeHash(13, tooFew), 'ERR_HASH_MISSING');
    expectLogproofError(() => inclusionProof(5, 13, tooShort), 'ERR_HASH_FORMAT');
    expectLogproofError(() => MerkleFrontier.fromHashes(13, tooShort), 'ERR_HASH_FORMAT');
  });
});

describe('verification of arbitrary input', () => {
  // Whatever a bundle or an API client sends, verification fails only with LogproofError.
  const hashLike = fc.oneof(
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.uint8Array({ minLength: 0, maxLength: 40 }),
    fc.anything(),
  );
  const numberLike = fc.oneof(fc.integer({ min: -2, max: 40 }), fc.double(), fc.anything());
  const proofLike = fc.oneof(fc.array(hashLike, { maxLength: 8 }), fc.anything());

  const neverThrowsOtherErrors = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (!isLogproofError(error)) throw error;
    }
  };

  it('throws nothing but LogproofError from verifyInclusion and rootFromInclusionProof', () => {
    fc.assert(
      fc.property(numberLike, numberLike, hashLike, proofLike, hashLike, (m, n, leaf, proof, r) => {
        const args = [m, n, leaf, proof, r] as [
          number,
          number,
          Uint8Array,
          Uint8Array[],
          Uint8Array,
        ];
        neverThrowsOtherErrors(() => verifyInclusion(...args, nodeCrypto));
        neverThrowsOtherErrors(() => rootFromInclusionProof(args[0], args[1], args[2], args[3]));
      }),
      { numRuns: 500 },
    );
  });

  it('throws nothing but LogproofError from verifyConsistency', () => {
    fc.assert(
      fc.property(numberLike, numberLike, proofLike, hashLike, hashLike, (m, n, proof, a, b) => {
        const args = [m, n, proof, a, b] as [number, number, Uint8Array[], Uint8Array, Uint8Array];
        neverThrowsOtherErrors(() => verifyConsistency(...args, nodeCrypto));
      }),
      { numRuns: 500 },
    );
  });

  it('throws nothing but LogproofError from rootFromRangeProof', () => {
    fc.assert(
      fc.property(
        numberLike,
        numberLike,
        proofLike,
        proofLike,
        proofLike,
        (n, start, run, left, right) => {
          const args = [n, start, run, left, right] as [
            number,
            number,
            Uint8Array[],
            Uint8Array[],
            Uint8Array[],
          ];
          neverThrowsOtherErrors(() => rootFromRangeProof(...args, nodeCrypto));
        },
      ),
      { numRuns: 500 },
    );
  });
});
