import { MerkleTree, chainHash, leafHash, storedHashCount, utf8Encode } from '@logproof/core';
import { expect } from 'vitest';
import type { EventRecord, OrgRecord } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { hex } from './records.js';

/**
 * Checks an org's whole stored log against the events it should hold
 * (`ids`, in any order): chain indexes 0..n-1, each leaf hash and chain link
 * recomputed, each found by both its hashes (findHash), and the head, the
 * latest checkpoint and every stored tree hash equal to the Merkle tree of
 * those leaves. Returns the events in log order.
 */
export async function expectWholeStoredLog(
  store: Store,
  org: OrgRecord,
  ids: readonly string[],
): Promise<EventRecord[]> {
  const stored = (await store.getEventsByIds(org.projectId, ids))
    .slice()
    .sort((a, b) => a.chainIndex - b.chainIndex);
  expect(stored.map((e) => e.chainIndex)).toEqual(ids.map((_, i) => i));
  const tree = new MerkleTree();
  let previous: Uint8Array = new Uint8Array(32);
  for (const e of stored) {
    expect(hex(e.previousHash)).toBe(hex(previous));
    expect(hex(e.leafHash)).toBe(hex(leafHash(utf8Encode(e.canonical))));
    expect(hex(e.hash)).toBe(hex(chainHash(e.previousHash, e.leafHash)));
    tree.append(e.leafHash);
    previous = e.hash;
  }
  for (const e of stored) {
    expect(await store.findHash(org.projectId, e.hash)).toMatchObject({
      kind: 'chain',
      eventId: e.id,
    });
    expect(await store.findHash(org.projectId, e.leafHash)).toMatchObject({
      kind: 'leaf',
      eventId: e.id,
    });
  }
  const head = await store.getOrgById(org.id);
  expect(head?.treeSize).toBe(ids.length);
  expect(hex(head!.headHash)).toBe(hex(previous));
  expect(hex(head!.rootHash)).toBe(hex(tree.root()));
  const checkpoint = await store.latestCheckpoint(org.id);
  expect(checkpoint?.treeSize).toBe(ids.length);
  expect(hex(checkpoint!.rootHash)).toBe(hex(tree.root()));
  const indexes = Array.from({ length: storedHashCount(ids.length) }, (_, i) => i);
  const hashes = await store.readTreeHashes(org.id, indexes);
  expect([...hashes.values()].map(hex)).toEqual(tree.read(indexes).map(hex));
  return stored;
}
