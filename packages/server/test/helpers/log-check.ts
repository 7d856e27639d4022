// Checks what a third party can check from the API's answers alone
// (PROOFS.md §2-§6): canonical bytes, leaf hashes, the hash chain, Ed25519
// event signatures, the Merkle root and the signed checkpoints. Shared by the
// in-process and the real-process suites.
import {
  GENESIS_PREVIOUS_HASH,
  MerkleTree,
  bytesToHex,
  canonicalBytes,
  chainHash,
  entryFromEvent,
  hexToBytes,
  leafHash,
  parseVerifierKey,
  verifyCheckpoint,
  verifyConsistency,
  verifyEventSignature,
  type StoredEvent,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { expect } from 'vitest';

const crypto = createNodeCrypto();

/** The bytes PROOFS.md §2 says are hashed and signed, rebuilt from the returned event. */
export function canonicalOf(event: StoredEvent): Uint8Array {
  return canonicalBytes(entryFromEvent(event));
}

/**
 * Checks one event on its own: its leaf hash is the RFC 6962 leaf of its
 * canonical bytes and its signature verifies under the org's verifier key.
 */
export function expectEventVerifies(event: StoredEvent, verifierKey: string): void {
  const key = parseVerifierKey(verifierKey, crypto);
  const bytes = canonicalOf(event);
  expect(event.leaf_hash).toBe(bytesToHex(leafHash(bytes, crypto)));
  expect(event.key_id).toBe(key.keyIdHex);
  expect(verifyEventSignature(bytes, event.signature, key.publicKey, crypto)).toBe(true);
}

/**
 * Checks a whole log given as its events in any order: chain_index dense from
 * 0, every previous_hash the predecessor's hash (no fork), every hash
 * SHA-256(previous_hash || leaf_hash). Returns the events by chain_index and
 * the Merkle tree over their leaf hashes.
 */
export function checkWholeLog(events: readonly StoredEvent[]): {
  ordered: StoredEvent[];
  tree: MerkleTree;
} {
  const ordered = [...events].sort((a, b) => a.chain_index - b.chain_index);
  expect(ordered.map((e) => e.chain_index)).toEqual(ordered.map((_, i) => i));
  expect(new Set(ordered.map((e) => e.id)).size).toBe(ordered.length);
  const tree = new MerkleTree(crypto);
  let previous = GENESIS_PREVIOUS_HASH;
  for (const event of ordered) {
    expect(event.previous_hash, `previous_hash of ${event.chain_index}`).toBe(bytesToHex(previous));
    const leaf = hexToBytes(event.leaf_hash);
    const hash = chainHash(previous, leaf, crypto);
    expect(event.hash, `hash of ${event.chain_index}`).toBe(bytesToHex(hash));
    tree.append(leaf);
    previous = hash;
  }
  return { ordered, tree };
}

/**
 * Verifies a signed checkpoint note with the verifier key and checks that its
 * root is the root of `tree` at the checkpoint's size. Returns its size and root.
 */
export function expectCheckpointMatches(
  note: string,
  verifierKey: string,
  tree: MerkleTree,
): { treeSize: number; rootHash: Uint8Array } {
  const checkpoint = verifyCheckpoint(note, parseVerifierKey(verifierKey, crypto), crypto);
  expect(checkpoint.treeSize).toBeLessThanOrEqual(tree.size);
  expect(bytesToHex(checkpoint.rootHash)).toBe(bytesToHex(tree.root(checkpoint.treeSize)));
  return { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash };
}

/** Checks the RFC 6962 consistency proof, computed from `tree`, between two checkpoints. */
export function expectConsistent(
  tree: MerkleTree,
  older: { treeSize: number; rootHash: Uint8Array },
  newer: { treeSize: number; rootHash: Uint8Array },
): void {
  expect(older.treeSize).toBeLessThanOrEqual(newer.treeSize);
  const proof = tree.consistencyProof(older.treeSize, newer.treeSize);
  expect(() =>
    verifyConsistency(
      older.treeSize,
      newer.treeSize,
      proof,
      older.rootHash,
      newer.rootHash,
      crypto,
    ),
  ).not.toThrow();
}
