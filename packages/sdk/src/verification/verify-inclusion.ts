import {
  canonicalBytes,
  entryFromEvent,
  leafHash,
  nobleCrypto,
  parseTrustedKeys,
  verifyInclusion,
  type CryptoProvider,
  type StoredEvent,
  type TrustedKeys,
  type VerifierKey,
} from '@logproof/core';
import { describe, isKeyOfOrg, isObject, openCheckpoint, parseHashes, summary } from './shared.js';
import type {
  CheckpointSummary,
  CryptoOption,
  EventProofInput,
  EventProofVerification,
  InclusionProofInput,
  InclusionVerification,
  VerificationProblem,
} from './types.js';
import { checkEvent } from './verify-event.js';

function checkInclusion(
  event: StoredEvent,
  leaf: Uint8Array,
  proof: unknown,
  note: unknown,
  keys: readonly VerifierKey[],
  crypto: CryptoProvider,
): InclusionVerification {
  const problems: VerificationProblem[] = [];
  const checks = { checkpoint: false, inclusion: false };
  const cp = openCheckpoint(note, keys, crypto, problems, 'checkpoint');
  if (cp !== null) {
    checks.checkpoint = isKeyOfOrg(cp.origin, event.org);
    if (!checks.checkpoint) {
      problems.push({
        check: 'checkpoint',
        detail: `the checkpoint is of log ${cp.origin}, not of org ${event.org}`,
      });
    }
  }
  if (!isObject(proof)) {
    problems.push({ check: 'inclusion', detail: 'the inclusion proof is missing' });
  } else if (proof.leaf_index !== event.chain_index) {
    problems.push({
      check: 'inclusion',
      detail: `the proof is for leaf ${String(proof.leaf_index)}, the event is at ${event.chain_index}`,
    });
  } else if (cp !== null && proof.tree_size !== cp.treeSize) {
    problems.push({
      check: 'inclusion',
      detail: `the proof is for tree size ${String(proof.tree_size)}, the checkpoint's is ${cp.treeSize}`,
    });
  } else if (cp !== null) {
    try {
      // Size and root both come from the signed checkpoint, never from the proof.
      verifyInclusion(
        event.chain_index,
        cp.treeSize,
        leaf,
        parseHashes(proof.hashes),
        cp.rootHash,
        crypto,
      );
      checks.inclusion = true;
    } catch (error) {
      problems.push({
        check: 'inclusion',
        detail: `the event is not proven in the checkpoint's tree: ${describe(error)}`,
      });
    }
  }
  return {
    valid: problems.length === 0 && checks.checkpoint && checks.inclusion,
    checks,
    checkpoint: cp === null ? null : summary(cp),
    problems,
  };
}

/**
 * Verifies that an event is in the tree of a signed checkpoint (RFC 6962
 * §2.1.1): the checkpoint's signature by a trusted key of the event's org,
 * then the audit path from the event's recomputed leaf hash to the signed
 * root. Tree size and root are taken from the signed checkpoint, never from
 * the proof.
 *
 * @example
 * ```ts
 * const proof = await client.orgs.inclusionProof(org, { event_id: event.id, tree_size: cp.tree_size });
 * verifyEventInclusion(event, proof, cp.checkpoint, trustedKey).valid; // true
 * ```
 */
export function verifyEventInclusion(
  event: unknown,
  proof: InclusionProofInput,
  checkpointNote: string,
  verifierKeys: TrustedKeys,
  options: CryptoOption = {},
): InclusionVerification {
  const crypto = options.crypto ?? nobleCrypto;
  const keys = parseTrustedKeys(verifierKeys, crypto);
  let leaf: Uint8Array;
  try {
    leaf = leafHash(canonicalBytes(entryFromEvent(event)), crypto);
  } catch (error) {
    return {
      valid: false,
      checks: { checkpoint: false, inclusion: false },
      checkpoint: null,
      problems: [{ check: 'inclusion', detail: `not a stored event: ${describe(error)}` }],
    };
  }
  return checkInclusion(event as StoredEvent, leaf, proof, checkpointNote, keys, crypto);
}

/**
 * Repeats, offline, every check of `GET /v1/events/{id}/verify`: the event's
 * canonical bytes, leaf hash, chain link and signature, the checkpoint's
 * signature, and the event's inclusion in the checkpoint's tree, all with
 * keys obtained out of band. The server's own `valid` and `checks` are
 * ignored. API.md's answer does not carry the event: pass the one you hold
 * (or fetched with `GET /v1/events/{id}`) as `options.event`.
 *
 * @example
 * ```ts
 * const [event, proof] = await Promise.all([client.events.get(id), client.events.verify(id)]);
 * const result = verifyEventProof(proof, trustedKey, { event });
 * console.log(result.valid, result.checkpoint?.tree_size);
 * ```
 */
export function verifyEventProof(
  response: EventProofInput,
  verifierKeys: TrustedKeys,
  options: CryptoOption & { event?: unknown; canonical?: Uint8Array | undefined } = {},
): EventProofVerification {
  const crypto = options.crypto ?? nobleCrypto;
  const keys = parseTrustedKeys(verifierKeys, crypto);
  const body: Record<string, unknown> = isObject(response) ? response : {};
  const event = options.event ?? body.event;
  const opened = checkEvent(event, keys, {
    verifierKeys: keys,
    crypto,
    canonical: options.canonical,
  });
  const problems = [...opened.result.problems];
  const checks = { ...opened.result.checks, checkpoint: false, inclusion: false };
  let checkpoint: CheckpointSummary | null = null;
  if (event === undefined) {
    problems.push({ check: 'inclusion', detail: 'the event itself is needed: pass options.event' });
  }
  if (opened.event !== null && opened.leaf !== null) {
    if (body.event_id !== opened.event.id) {
      problems.push({
        check: 'inclusion',
        detail: `the proof is for event ${String(body.event_id)}, not ${opened.event.id}`,
      });
    }
    const inclusion = checkInclusion(
      opened.event,
      opened.leaf,
      body.inclusion_proof,
      body.checkpoint,
      keys,
      crypto,
    );
    checks.checkpoint = inclusion.checks.checkpoint;
    checks.inclusion = inclusion.checks.inclusion && body.event_id === opened.event.id;
    checkpoint = inclusion.checkpoint;
    problems.push(...inclusion.problems);
  }
  const valid = problems.length === 0 && Object.values(checks).every(Boolean);
  return { valid, event_id: opened.result.event_id, checks, checkpoint, problems };
}
