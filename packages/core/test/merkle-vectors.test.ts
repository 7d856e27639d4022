import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  consistencyProof,
  consistencyProofIndexes,
  formatHash,
  hexToBytes,
  inclusionProof,
  inclusionProofIndexes,
  leafHash,
  MerkleFrontier,
  MerkleTree,
  nobleCrypto,
  nodeHash,
  parseHash,
  readerFromMap,
  treeHash,
  treeHashIndexes,
  utf8Encode,
  verifyConsistency,
  verifyInclusion,
  type CryptoProvider,
} from '../src/index.js';
import { loadVector, nodeCrypto, readerFor } from './merkle-helpers.js';

interface Rfc6962Vectors {
  leaf_inputs_hex: string[];
  roots_by_size: string[];
  rfc6962_extra: {
    leaf_hash_of_empty: string;
    leaf_hash_of_L123456: string;
    node_hash_of_N123_N456: string;
  };
}

interface TlogVectors {
  leaves_b64: string[];
  leaf_hashes: string[];
  roots: Record<string, string>;
  inclusion_proofs: Array<{ tree_size: number; index: number; proof: string[] }>;
  consistency_proofs: Array<{ from_size: number; to_size: number; proof: string[] }>;
}

const rfc = loadVector<Rfc6962Vectors>('rfc6962-merkle.json');
const tlog = loadVector<TlogVectors>('tlog-vectors.json');

const hexes = (hashes: readonly Uint8Array[]) => hashes.map(formatHash);

const providers: Array<[string, CryptoProvider]> = [
  ['noble', nobleCrypto],
  ['node', nodeCrypto],
];

describe.each(providers)(
  'RFC 6962 vectors (transparency-dev/merkle) with %s crypto',
  (_, crypto) => {
    const leaves = rfc.leaf_inputs_hex.map((hex) => leafHash(hexToBytes(hex), crypto));

    it('gives the published root at every tree size from 0 to 8', () => {
      const tree = new MerkleTree(crypto);
      const frontier = MerkleFrontier.empty(crypto);
      const stored = new Map<number, Uint8Array>();
      rfc.roots_by_size.forEach((expected, size) => {
        expect(formatHash(tree.root()), `MerkleTree at ${size}`).toBe(expected);
        expect(formatHash(frontier.root()), `MerkleFrontier at ${size}`).toBe(expected);
        const root = treeHash(
          size,
          readerFor(readerFromMap(stored), treeHashIndexes(size)),
          crypto,
        );
        expect(formatHash(root), `treeHash at ${size}`).toBe(expected);
        const leaf = leaves[size];
        if (leaf === undefined) return;
        tree.append(leaf);
        for (const { index, hash } of frontier.append(leaf)) stored.set(index, hash);
      });
    });

    it('gives the published roots for every earlier size of the full tree', () => {
      const tree = new MerkleTree(crypto);
      leaves.forEach((leaf) => tree.append(leaf));
      rfc.roots_by_size.forEach((expected, size) =>
        expect(formatHash(tree.root(size))).toBe(expected),
      );
    });

    it('hashes the published leaf and node examples', () => {
      const extra = rfc.rfc6962_extra;
      expect(formatHash(leafHash(new Uint8Array(0), crypto))).toBe(extra.leaf_hash_of_empty);
      expect(formatHash(leafHash(utf8Encode('L123456'), crypto))).toBe(extra.leaf_hash_of_L123456);
      const node = nodeHash(utf8Encode('N123'), utf8Encode('N456'), crypto);
      expect(formatHash(node)).toBe(extra.node_hash_of_N123_N456);
    });
  },
);

describe.each(providers)(
  'tlog vectors (golang.org/x/mod/sumdb/tlog) with %s crypto',
  (_, crypto) => {
    const leaves = tlog.leaves_b64.map((b64) => leafHash(base64ToBytes(b64), crypto));
    const tree = new MerkleTree(crypto);
    const frontier = MerkleFrontier.empty(crypto);
    const stored = new Map<number, Uint8Array>();
    const frontierRoots: string[] = [formatHash(frontier.root())];
    for (const leaf of leaves) {
      tree.append(leaf);
      for (const { index, hash } of frontier.append(leaf)) stored.set(index, hash);
      frontierRoots.push(formatHash(frontier.root()));
    }
    const storedReader = readerFromMap(stored);

    it('hashes every leaf to its published leaf hash', () => {
      expect(hexes(leaves)).toEqual(tlog.leaf_hashes);
    });

    it('gives the published root at every size from 0 to 13, the empty tree being SHA-256("")', () => {
      expect(tlog.roots['0']).toBe(
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
      for (let size = 0; size <= leaves.length; size++) {
        const expected = tlog.roots[String(size)];
        expect(formatHash(tree.root(size)), `MerkleTree.root(${size})`).toBe(expected);
        expect(frontierRoots[size], `MerkleFrontier at ${size}`).toBe(expected);
        const read = readerFor(storedReader, treeHashIndexes(size));
        expect(formatHash(treeHash(size, read, crypto)), `treeHash(${size})`).toBe(expected);
      }
    });

    it('stores the same hashes from MerkleFrontier.append as MerkleTree', () => {
      expect(stored.size).toBe(2 * 13 - 3);
      const indexes = [...stored.keys()];
      expect(indexes).toEqual(indexes.map((_, i) => i));
      expect(hexes(tree.read(indexes))).toEqual(hexes([...stored.values()]));
    });

    it('reproduces and verifies every published inclusion proof', () => {
      expect(tlog.inclusion_proofs).toHaveLength(91);
      for (const { tree_size: size, index, proof: expected } of tlog.inclusion_proofs) {
        const label = `leaf ${index} in ${size}`;
        expect(hexes(tree.inclusionProof(index, size)), label).toEqual(expected);
        const read = readerFor(storedReader, inclusionProofIndexes(index, size));
        expect(hexes(inclusionProof(index, size, read, crypto)), label).toEqual(expected);
        const root = parseHash(tlog.roots[String(size)]);
        verifyInclusion(index, size, leaves[index]!, expected.map(parseHash), root, crypto);
      }
    });

    it('reproduces and verifies every published consistency proof', () => {
      expect(tlog.consistency_proofs).toHaveLength(91);
      for (const { from_size: from, to_size: to, proof: expected } of tlog.consistency_proofs) {
        const label = `${from} -> ${to}`;
        expect(hexes(tree.consistencyProof(from, to)), label).toEqual(expected);
        const read = readerFor(storedReader, consistencyProofIndexes(from, to));
        expect(hexes(consistencyProof(from, to, read, crypto)), label).toEqual(expected);
        const fromRoot = parseHash(tlog.roots[String(from)]);
        const toRoot = parseHash(tlog.roots[String(to)]);
        verifyConsistency(from, to, expected.map(parseHash), fromRoot, toRoot, crypto);
      }
    });

    it('verifies consistency from the empty tree with an empty proof', () => {
      const empty = parseHash(tlog.roots['0']);
      for (let to = 0; to <= leaves.length; to++) {
        expect(consistencyProof(0, to, readerFromMap(new Map()), crypto)).toEqual([]);
        verifyConsistency(0, to, [], empty, parseHash(tlog.roots[String(to)]), crypto);
      }
    });
  },
);
