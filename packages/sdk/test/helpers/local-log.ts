// An org log built with the core exactly as the server builds it (validate ->
// buildEntry -> JCS -> leaf hash -> chain hash -> Ed25519), signed with a
// local key, for tests that need many trees and proofs the server would take
// long to make. Node's native crypto builds it; the verifiers under test
// never see it.
import {
  assertValidEventInput,
  bytesToHex,
  canonicalBytes,
  chainHash,
  buildEntry,
  createNoteSigner,
  EVENT_LIMITS,
  formatTimestamp,
  GENESIS_PREVIOUS_HASH,
  hexToBytes,
  leafHash,
  MerkleTree,
  signCheckpoint,
  signEvent,
  type NoteSigner,
  type StoredEvent,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import type { EventProofInput } from '../../src/verify.js';

const crypto = createNodeCrypto();
const ORG = 'org_webcrypto';
const NOW = Date.parse('2026-02-10T14:32:18.123Z');

export interface LocalLog {
  events: StoredEvent[];
  tree: MerkleTree;
  signer: NoteSigner;
}

function inputFor(i: number): unknown {
  const input: Record<string, unknown> = {
    action: i % 2 === 0 ? 'billing.invoice.paid' : 'user.login',
    actor: { id: `user_${i % 5}`, name: 'Zoë 🦊', email: 'zoe@example.com' },
  };
  if (i % 3 === 0) input.target = { id: `inv_${8800 + i}`, type: 'invoice' };
  if (i % 2 === 1) input.metadata = { amount_cents: 1000 + i, note: 'café ☕' };
  if (i % 4 === 1) input.context = { ip: '203.0.113.7', user_agent: 'curl/8.5.0' };
  return input;
}

export function makeLocalLog(count: number): LocalLog {
  const signer = createNoteSigner(`logproof.test/${ORG}`, hexToBytes('42'.repeat(32)), crypto);
  const tree = new MerkleTree(crypto);
  const events: StoredEvent[] = [];
  let previous = GENESIS_PREVIOUS_HASH;
  for (let i = 0; i < count; i++) {
    const normalized = assertValidEventInput(inputFor(i), {
      now: NOW,
      backfillWindowMs: EVENT_LIMITS.defaultBackfillWindowMs,
    });
    const entry = buildEntry(normalized, {
      id: `evt_${String(i).padStart(8, '0')}`,
      org: ORG,
      orgExternalId: 'webcrypto-org',
      chainIndex: i,
      createdAt: formatTimestamp(NOW + i * 37),
    });
    const bytes = canonicalBytes(entry);
    const leaf = leafHash(bytes, crypto);
    const hash = chainHash(previous, leaf, crypto);
    events.push({
      ...entry,
      leaf_hash: bytesToHex(leaf),
      hash: bytesToHex(hash),
      previous_hash: bytesToHex(previous),
      signature: signEvent(bytes, signer),
      key_id: signer.keyIdHex,
    });
    tree.append(leaf);
    previous = hash;
  }
  return { events, tree, signer };
}

/** What `GET /v1/events/{id}/verify` would answer for event `index` at tree size `size`, event included. */
export function proofOf(
  log: LocalLog,
  index: number,
  size: number,
): EventProofInput & { event: StoredEvent } {
  const { signer, tree } = log;
  const event = log.events[index]!;
  return {
    event_id: event.id,
    checkpoint: signCheckpoint(
      { origin: signer.name, treeSize: size, rootHash: tree.root(size), extensions: [] },
      signer,
    ),
    inclusion_proof: {
      leaf_index: index,
      tree_size: size,
      hashes: tree.inclusionProof(index, size).map(bytesToHex),
    },
    event,
  };
}
