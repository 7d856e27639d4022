// Shared by the merkle-*.test.ts suites: fixtures, and reference
// implementations written straight from the RFC text (recursive, slow,
// obviously right) to test the real, iterative code against.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import {
  equalBytes,
  isLogproofError,
  leafHash,
  MerkleTree,
  nodeHash,
  readerFromMap,
  utf8Encode,
  type CryptoProvider,
  type HashReader,
  type LogproofErrorCode,
} from '../src/index.js';
import { createNodeCrypto } from '../src/node-crypto.js';

/** Node's native provider: the property suites hash a lot. */
export const nodeCrypto: CryptoProvider = createNodeCrypto();

/** Reads a file of ../shared/vectors (README.md: "Test vectors: ../shared/vectors/"). */
export function loadVector<T>(name: string): T {
  const url = new URL(`../../../../shared/vectors/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

/** `count` distinct leaf hashes (distinct, so no two subtrees share a hash). */
export function makeLeaves(count: number, crypto: CryptoProvider = nodeCrypto): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => leafHash(utf8Encode(`event ${i}`), crypto));
}

/** A MerkleTree over `leaves`. */
export function buildTree(leaves: readonly Uint8Array[], crypto: CryptoProvider = nodeCrypto) {
  const tree = new MerkleTree(crypto);
  for (const leaf of leaves) tree.append(leaf);
  return tree;
}

/** A reader holding exactly `indexes` of `source`: proves the indexes were enough. */
export function readerFor(source: HashReader, indexes: readonly number[]): HashReader {
  const hashes = source(indexes);
  return readerFromMap(new Map(indexes.map((index, i) => [index, hashes[i]!])));
}

/** A copy of `bytes` with bit `bit` flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

/** Asserts `run` throws a LogproofError, with `code` when given; returns the code. */
export function expectLogproofError(run: () => unknown, code?: LogproofErrorCode): string {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a LogproofError').toBeDefined();
  if (!isLogproofError(thrown)) throw thrown;
  if (code !== undefined) expect(thrown.code).toBe(code);
  return thrown.code;
}

/** True when `run` returns; false when it throws a LogproofError; rethrows anything else. */
export function accepts(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    if (isLogproofError(error)) return false;
    throw error;
  }
}

// --- RFC 6962 §2.1, literally -------------------------------------------------

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 §2.1 MTH(D[lo:hi]). */
export function referenceRoot(
  leaves: readonly Uint8Array[],
  lo = 0,
  hi = leaves.length,
  crypto: CryptoProvider = nodeCrypto,
): Uint8Array {
  if (hi - lo === 0) return crypto.sha256(new Uint8Array(0));
  if (hi - lo === 1) return leaves[lo]!;
  const k = largestPowerOfTwoBelow(hi - lo);
  return nodeHash(
    referenceRoot(leaves, lo, lo + k, crypto),
    referenceRoot(leaves, lo + k, hi, crypto),
    crypto,
  );
}

/** RFC 6962 §2.1.1 PATH(m, D[lo:hi]). */
export function referencePath(
  m: number,
  leaves: readonly Uint8Array[],
  lo = 0,
  hi = leaves.length,
): Uint8Array[] {
  if (hi - lo <= 1) return [];
  const k = largestPowerOfTwoBelow(hi - lo);
  return m < k
    ? [...referencePath(m, leaves, lo, lo + k), referenceRoot(leaves, lo + k, hi)]
    : [...referencePath(m - k, leaves, lo + k, hi), referenceRoot(leaves, lo, lo + k)];
}

/** RFC 6962 §2.1.2 PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true). */
export function referenceConsistency(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (m === 0 || m === leaves.length) return [];
  const subproof = (m: number, lo: number, hi: number, b: boolean): Uint8Array[] => {
    if (m === hi - lo) return b ? [] : [referenceRoot(leaves, lo, hi)];
    const k = largestPowerOfTwoBelow(hi - lo);
    return m <= k
      ? [...subproof(m, lo, lo + k, b), referenceRoot(leaves, lo + k, hi)]
      : [...subproof(m - k, lo + k, hi, false), referenceRoot(leaves, lo, lo + k)];
  };
  return subproof(m, 0, leaves.length, true);
}

// --- RFC 9162 verification algorithms, literally ------------------------------
// Used as an independent oracle: ours must accept exactly what these accept.

const isOdd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

/** RFC 9162 §2.1.3.2. */
export function rfc9162VerifiesInclusion(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
  root: Uint8Array,
  crypto: CryptoProvider = nodeCrypto,
): boolean {
  if (leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r, crypto);
      if (!isOdd(fn)) {
        while (!(isOdd(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p, crypto);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, root);
}

/**
 * RFC 9162 §2.1.4.2 steps 2 to 6: the two roots `path` leads to, and whether
 * it has the right length (sn ends at 0). For 0 < first < second.
 */
export function rfc9162ConsistencyRoots(
  first: number,
  second: number,
  path: readonly Uint8Array[],
  firstHash: Uint8Array,
  crypto: CryptoProvider = nodeCrypto,
): { fr: Uint8Array; sr: Uint8Array; complete: boolean } | undefined {
  if (path.length === 0) return undefined;
  const isPowerOfTwo = (BigInt(first) & (BigInt(first) - 1n)) === 0n;
  const proof = isPowerOfTwo ? [firstHash, ...path] : [...path];
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = proof[0]!;
  let sr = proof[0]!;
  for (const c of proof.slice(1)) {
    if (sn === 0) return undefined;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr, crypto);
      sr = nodeHash(c, sr, crypto);
      if (!isOdd(fn)) {
        while (!(isOdd(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c, crypto);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return { fr, sr, complete: sn === 0 };
}

/** RFC 9162 §2.1.4.2, with Logproof's rules for from = 0 and from = to (PROOFS.md §4). */
export function rfc9162VerifiesConsistency(
  first: number,
  second: number,
  path: readonly Uint8Array[],
  firstHash: Uint8Array,
  secondHash: Uint8Array,
  crypto: CryptoProvider = nodeCrypto,
): boolean {
  if (first > second) return false;
  if (first === 0)
    return path.length === 0 && equalBytes(firstHash, crypto.sha256(new Uint8Array(0)));
  if (first === second) return path.length === 0 && equalBytes(firstHash, secondHash);
  const roots = rfc9162ConsistencyRoots(first, second, path, firstHash, crypto);
  return (
    roots !== undefined &&
    roots.complete &&
    equalBytes(roots.fr, firstHash) &&
    equalBytes(roots.sr, secondHash)
  );
}

// --- BigInt references for the index arithmetic at large sizes ---------------

function popCountBig(x: bigint): bigint {
  let count = 0n;
  for (let v = x; v > 0n; v >>= 1n) count += v & 1n;
  return count;
}

/** tlog's StoredHashIndex in BigInt. */
export function referenceStoredHashIndex(level: number, index: number): number {
  let n = BigInt(index);
  for (let l = level; l > 0; l--) n = 2n * n + 1n;
  let i = 0n;
  for (; n > 0n; n >>= 1n) i += n;
  return Number(i + BigInt(level));
}

/** transparency-dev/merkle compact.Decompose, as (level, index) pairs left to right. */
export function referenceDecompose(begin: number, end: number): Array<[number, number]> {
  const b = BigInt(begin);
  const e = BigInt(end);
  if (b === e) return [];
  let left: bigint;
  let right: bigint;
  if (b === 0n) {
    left = 0n;
    right = e;
  } else {
    const xbegin = b - 1n;
    const d = BigInt((xbegin ^ e).toString(2).length - 1);
    const mask = (1n << d) - 1n;
    left = ~xbegin & mask;
    right = e & mask;
  }
  const nodes: Array<[number, number]> = [];
  let position = b;
  for (let level = 0n; left >> level > 0n; level++) {
    if ((left >> level) & 1n) {
      nodes.push([Number(level), Number(position >> level)]);
      position += 1n << level;
    }
  }
  for (let level = BigInt(right.toString(2).length); level >= 0n; level--) {
    if ((right >> level) & 1n) {
      nodes.push([Number(level), Number(position >> level)]);
      position += 1n << level;
    }
  }
  expect(position).toBe(e);
  return nodes;
}

/** transparency-dev's inclusion proof length for (index, size), in BigInt. */
export function referenceInclusionLength(index: number, size: number): number {
  const x = BigInt(index) ^ (BigInt(size) - 1n);
  const inner = x === 0n ? 0 : x.toString(2).length;
  return inner + Number(popCountBig(BigInt(index) >> BigInt(inner)));
}
