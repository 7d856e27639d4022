import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  equalBytes,
  rootFromRangeProof,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.js';
import {
  accepts,
  buildTree,
  expectLogproofError,
  flipBit,
  makeLeaves,
  nodeCrypto,
  rfc9162VerifiesConsistency,
  rfc9162VerifiesInclusion,
} from './merkle-helpers.js';

// Every single change an attacker can make to a proof or to what it is checked
// against. Leaves are distinct, so a changed input can only pass by a SHA-256
// collision.
const MAX_LEAVES = 2100;
const leaves = makeLeaves(MAX_LEAVES);
const tree = buildTree(leaves);
const roots = Array.from({ length: MAX_LEAVES + 1 }, (_, n) => tree.root(n));

const BITS = 256;
const bit = fc.integer({ min: 0, max: BITS - 1 });
const sizeAndIndex = fc
  .integer({ min: 1, max: MAX_LEAVES - 1 })
  .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })));
/** 1 <= from < to: the sizes with a non-empty consistency proof. */
const sizePair = fc
  .integer({ min: 2, max: MAX_LEAVES - 1 })
  .chain((to) => fc.tuple(fc.integer({ min: 1, max: to - 1 }), fc.constant(to)));

const without = <T>(list: readonly T[], at: number) => list.filter((_, i) => i !== at);
const withExtra = <T>(list: readonly T[], at: number, extra: T) => [
  ...list.slice(0, at),
  extra,
  ...list.slice(at),
];
const replaced = <T>(list: readonly T[], at: number, value: T) =>
  list.map((x, i) => (i === at ? value : x));

describe('verifyInclusion', () => {
  const check =
    (m: number, n: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array) =>
    () =>
      verifyInclusion(m, n, leaf, proof, root, nodeCrypto);

  it('rejects a proof with any single bit flipped in any element', () => {
    fc.assert(
      fc.property(
        sizeAndIndex.filter(([n]) => n > 1),
        fc.nat(),
        bit,
        ([n, m], at, b) => {
          const proof = tree.inclusionProof(m, n);
          const i = at % proof.length;
          const tampered = replaced(proof, i, flipBit(proof[i]!, b));
          expectLogproofError(check(m, n, leaves[m]!, tampered, roots[n]!), 'ERR_PROOF_MISMATCH');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects the leaf hash or the root with any single bit flipped', () => {
    fc.assert(
      fc.property(sizeAndIndex, bit, ([n, m], b) => {
        const proof = tree.inclusionProof(m, n);
        expectLogproofError(
          check(m, n, flipBit(leaves[m]!, b), proof, roots[n]!),
          'ERR_PROOF_MISMATCH',
        );
        expectLogproofError(
          check(m, n, leaves[m]!, proof, flipBit(roots[n]!, b)),
          'ERR_PROOF_MISMATCH',
        );
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every other leaf index, with the leaf hash at that index too', () => {
    fc.assert(
      fc.property(
        sizeAndIndex.filter(([n]) => n > 1),
        fc.nat(),
        ([n, m], pick) => {
          const proof = tree.inclusionProof(m, n);
          const others = [m - 1, m + 1, pick % n].filter((x) => x !== m && x >= 0);
          for (const other of others) {
            expectLogproofError(check(other, n, leaves[m]!, proof, roots[n]!));
            if (other < n) expectLogproofError(check(other, n, leaves[other]!, proof, roots[n]!));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects a proof with one hash dropped or one extra hash anywhere', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), ([n, m], at) => {
        const proof = tree.inclusionProof(m, n);
        const extra = leaves[(m + 1) % MAX_LEAVES]!;
        const place = at % (proof.length + 1);
        expectLogproofError(
          check(m, n, leaves[m]!, withExtra(proof, place, extra), roots[n]!),
          'ERR_PROOF_MALFORMED',
        );
        if (proof.length > 0) {
          const drop = at % proof.length;
          expectLogproofError(
            check(m, n, leaves[m]!, without(proof, drop), roots[n]!),
            'ERR_PROOF_MALFORMED',
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a tree size off by one unless RFC 9162 accepts the same path for it', () => {
    // A path fixes the shape of the tree only above the leaf's divergence from
    // the right edge, so (m, n) and (m, n + 1) can share one path and root
    // computation: size and root must come together from a signed checkpoint.
    let rejected = 0;
    let runs = 0;
    fc.assert(
      fc.property(sizeAndIndex, ([n, m]) => {
        const proof = tree.inclusionProof(m, n);
        for (const size of [n - 1, n + 1]) {
          runs++;
          const ours = accepts(check(m, size, leaves[m]!, proof, roots[n]!));
          expect(ours).toBe(rfc9162VerifiesInclusion(m, size, leaves[m]!, proof, roots[n]!));
          if (!ours) rejected++;
        }
      }),
      { numRuns: 300 },
    );
    // Most off-by-one sizes share the path (about 9 in 10 here): only the root binds the size.
    expect(rejected).toBeGreaterThan(0);
    expect(runs).toBe(600);
  });

  it('accepts the path of leaf 0 in size 3 for size 4 too, and rejects it for size 2', () => {
    const proof = tree.inclusionProof(0, 3);
    expect(accepts(check(0, 4, leaves[0]!, proof, roots[3]!))).toBe(true);
    expectLogproofError(check(0, 2, leaves[0]!, proof, roots[3]!), 'ERR_PROOF_MALFORMED');
  });
});

describe('verifyConsistency', () => {
  const check =
    (
      m: number,
      n: number,
      proof: readonly Uint8Array[],
      fromRoot: Uint8Array,
      toRoot: Uint8Array,
    ) =>
    () =>
      verifyConsistency(m, n, proof, fromRoot, toRoot, nodeCrypto);

  it('rejects a proof with any single bit flipped in any element', () => {
    fc.assert(
      fc.property(sizePair, fc.nat(), bit, ([m, n], at, b) => {
        const proof = tree.consistencyProof(m, n);
        const i = at % proof.length;
        const tampered = replaced(proof, i, flipBit(proof[i]!, b));
        expectLogproofError(check(m, n, tampered, roots[m]!, roots[n]!), 'ERR_PROOF_MISMATCH');
      }),
      { numRuns: 300 },
    );
  });

  it('rejects either root with any single bit flipped', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 })),
        bit,
        ([a, b], flip) => {
          const [m, n] = a <= b ? [a, b] : [b, a];
          const proof = tree.consistencyProof(m, n);
          expectLogproofError(
            check(m, n, proof, flipBit(roots[m]!, flip), roots[n]!),
            'ERR_PROOF_MISMATCH',
          );
          if (m > 0) {
            expectLogproofError(
              check(m, n, proof, roots[m]!, flipBit(roots[n]!, flip)),
              'ERR_PROOF_MISMATCH',
            );
          }
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(sizePair, bit, ([m, n], flip) => {
        const proof = tree.consistencyProof(m, n);
        expectLogproofError(
          check(m, n, proof, flipBit(roots[m]!, flip), roots[n]!),
          'ERR_PROOF_MISMATCH',
        );
        expectLogproofError(
          check(m, n, proof, roots[m]!, flipBit(roots[n]!, flip)),
          'ERR_PROOF_MISMATCH',
        );
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a proof with one hash dropped or one extra hash anywhere', () => {
    fc.assert(
      fc.property(sizePair, fc.nat(), ([m, n], at) => {
        const proof = tree.consistencyProof(m, n);
        const extra = leaves[m]!;
        const place = at % (proof.length + 1);
        expectLogproofError(
          check(m, n, withExtra(proof, place, extra), roots[m]!, roots[n]!),
          'ERR_PROOF_MALFORMED',
        );
        expectLogproofError(
          check(m, n, without(proof, at % proof.length), roots[m]!, roots[n]!),
          'ERR_PROOF_MALFORMED',
        );
      }),
      { numRuns: 300 },
    );
  });

  it('rejects either size off by one unless RFC 9162 accepts the same proof for it', () => {
    let rejected = 0;
    let runs = 0;
    fc.assert(
      fc.property(sizePair, ([m, n]) => {
        const proof = tree.consistencyProof(m, n);
        for (const [from, to] of [
          [m - 1, n],
          [m + 1, n],
          [m, n - 1],
          [m, n + 1],
        ] as const) {
          runs++;
          const ours = accepts(check(from, to, proof, roots[m]!, roots[n]!));
          expect(ours).toBe(rfc9162VerifiesConsistency(from, to, proof, roots[m]!, roots[n]!));
          if (!ours) rejected++;
        }
      }),
      { numRuns: 300 },
    );
    expect(rejected / runs).toBeGreaterThan(0.5);
  });

  it('rejects an empty old tree whose root is not SHA-256("") and equal sizes with different roots', () => {
    expectLogproofError(check(0, 5, [], roots[1]!, roots[5]!), 'ERR_PROOF_MISMATCH');
    expectLogproofError(check(0, 0, [], roots[0]!, roots[1]!), 'ERR_PROOF_MISMATCH');
    expectLogproofError(check(5, 5, [], roots[5]!, roots[4]!), 'ERR_PROOF_MISMATCH');
    expectLogproofError(check(5, 5, [roots[5]!], roots[5]!, roots[5]!), 'ERR_PROOF_MALFORMED');
    expectLogproofError(check(0, 5, [roots[5]!], roots[0]!, roots[5]!), 'ERR_PROOF_MALFORMED');
  });
});

describe('rootFromRangeProof', () => {
  const run = fc
    .integer({ min: 1, max: MAX_LEAVES })
    .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })))
    .chain(([n, start]) =>
      fc.tuple(fc.constant(n), fc.constant(start), fc.integer({ min: 1, max: n - start })),
    );

  it('gives another root when any bit of a leaf, left or right hash is flipped', () => {
    fc.assert(
      fc.property(run, fc.nat(), bit, ([n, start, length], at, b) => {
        const end = start + length;
        const parts = [
          leaves.slice(start, end),
          tree.compactRange(0, start),
          tree.compactRange(end, n),
        ] as const;
        const sizes = parts.map((p) => p.length);
        // Pick one hash among all parts, uniformly.
        let i = at % (sizes[0]! + sizes[1]! + sizes[2]!);
        const part = sizes.findIndex((s) => (i < s ? true : ((i -= s), false)));
        const tampered = parts.map((p, j) => (j === part ? replaced(p, i, flipBit(p[i]!, b)) : p));
        const root = rootFromRangeProof(
          n,
          start,
          tampered[0]!,
          tampered[1]!,
          tampered[2]!,
          nodeCrypto,
        );
        expect(equalBytes(root, roots[n]!)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects left or right with a hash dropped or added, and a run moved by one', () => {
    fc.assert(
      fc.property(run, ([n, start, length]) => {
        const end = start + length;
        const run = leaves.slice(start, end);
        const left = tree.compactRange(0, start);
        const right = tree.compactRange(end, n);
        const extra = leaves[0]!;
        const build = (s: number, l: readonly Uint8Array[], r: readonly Uint8Array[]) => () =>
          rootFromRangeProof(n, s, run, l, r, nodeCrypto);
        expectLogproofError(build(start, [...left, extra], right), 'ERR_PROOF_MALFORMED');
        expectLogproofError(build(start, left, [...right, extra]), 'ERR_PROOF_MALFORMED');
        if (left.length > 0)
          expectLogproofError(build(start, left.slice(1), right), 'ERR_PROOF_MALFORMED');
        if (right.length > 0)
          expectLogproofError(build(start, left, right.slice(1)), 'ERR_PROOF_MALFORMED');
        for (const moved of [start - 1, start + 1]) {
          if (moved < 0) continue;
          // Either the counts no longer fit, or the leaves land elsewhere: never the same root.
          let root: Uint8Array | undefined;
          if (accepts(() => (root = build(moved, left, right)()))) {
            expect(equalBytes(root!, roots[n]!)).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
