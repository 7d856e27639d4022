import {
  canonicalBytes,
  entryFromEvent,
  leafHash,
  nobleCrypto,
  parseTrustedKeys,
  verifyInclusion,
  type Checkpoint,
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
} from './types.js';
import { checkEvent, type OpenedEvent } from './verify-event.js';

/** The audit path {@link prepareInclusion} left to check, all other checks done. */
export interface PendingInclusion {
  checkpoint: Checkpoint;
  /** The proof's hashes as given: parsing them is part of the inclusion check. */
  hashes: unknown;
}

/**
 * The checks of an inclusion that need no cryptography, shared by the
 * synchronous and the WebCrypto verifiers: the checkpoint (opened, or null
 * after a problem) is of the event's log, and the proof is for the event's
 * leaf and the checkpoint's size. Returns the audit path left to hash, or null.
 */
export function prepareInclusion(
  event: StoredEvent,
  proof: unknown,
  cp: Checkpoint | null,
  inclusion: InclusionVerification,
): PendingInclusion | null {
  const { checks, problems } = inclusion;
  if (cp !== null) {
    inclusion.checkpoint = summary(cp);
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
    return { checkpoint: cp, hashes: proof.hashes };
  }
  return null;
}

/** Records the audit path check: `failure` is why it failed, null when it proved the event. */
export function settleInclusion(inclusion: InclusionVerification, failure: unknown): void {
  if (failure === null) {
    inclusion.checks.inclusion = true;
  } else {
    inclusion.problems.push({
      check: 'inclusion',
      detail: `the event is not proven in the checkpoint's tree: ${describe(failure)}`,
    });
  }
  const { checks, problems } = inclusion;
  inclusion.valid = problems.length === 0 && checks.checkpoint && checks.inclusion;
}

/** An inclusion check not yet run: everything false until proven. */
export function startInclusion(): InclusionVerification {
  return {
    valid: false,
    checks: { checkpoint: false, inclusion: false },
    checkpoint: null,
    problems: [],
  };
}

function checkInclusion(
  event: StoredEvent,
  leaf: Uint8Array,
  proof: unknown,
  note: unknown,
  keys: readonly VerifierKey[],
  crypto: CryptoProvider,
): InclusionVerification {
  const inclusion = startInclusion();
  const cp = openCheckpoint(note, keys, crypto, inclusion.problems, 'checkpoint');
  const pending = prepareInclusion(event, proof, cp, inclusion);
  if (pending === null) return inclusion;
  try {
    // Size and root both come from the signed checkpoint, never from the proof.
    const { treeSize, rootHash } = pending.checkpoint;
    verifyInclusion(
      event.chain_index,
      treeSize,
      leaf,
      parseHashes(pending.hashes),
      rootHash,
      crypto,
    );
    settleInclusion(inclusion, null);
  } catch (error) {
    settleInclusion(inclusion, error);
  }
  return inclusion;
}

/**
 * The result of {@link verifyEventProof} from its two halves, shared by the
 * synchronous and the WebCrypto verifiers. `inclusion` is null when the event
 * could not be read.
 */
export function combineEventProof(
  body: Record<string, unknown>,
  event: unknown,
  opened: OpenedEvent,
  inclusion: InclusionVerification | null,
): EventProofVerification {
  const problems = [...opened.result.problems];
  const checks = { ...opened.result.checks, checkpoint: false, inclusion: false };
  let checkpoint: CheckpointSummary | null = null;
  if (event === undefined) {
    problems.push({ check: 'inclusion', detail: 'the event itself is needed: pass options.event' });
  }
  if (opened.event !== null && inclusion !== null) {
    if (body.event_id !== opened.event.id) {
      problems.push({
        check: 'inclusion',
        detail: `the proof is for event ${String(body.event_id)}, not ${opened.event.id}`,
      });
    }
    checks.checkpoint = inclusion.checks.checkpoint;
    checks.inclusion = inclusion.checks.inclusion && body.event_id === opened.event.id;
    checkpoint = inclusion.checkpoint;
    problems.push(...inclusion.problems);
  }
  const valid = problems.length === 0 && Object.values(checks).every(Boolean);
  return { valid, event_id: opened.result.event_id, checks, checkpoint, problems };
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
 * (or fetched with `GET /v1/events/{id}`) as `options.event`, and the event
 * before it as `options.previous` to check the chain link to it.
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
  options: CryptoOption & {
    event?: unknown;
    canonical?: Uint8Array | undefined;
    previous?: unknown;
  } = {},
): EventProofVerification {
  const crypto = options.crypto ?? nobleCrypto;
  const keys = parseTrustedKeys(verifierKeys, crypto);
  const body: Record<string, unknown> = isObject(response) ? response : {};
  const event = options.event ?? body.event;
  const opened = checkEvent(event, keys, {
    verifierKeys: keys,
    crypto,
    canonical: options.canonical,
    previous: options.previous,
  });
  const inclusion =
    opened.event !== null && opened.leaf !== null
      ? checkInclusion(
          opened.event,
          opened.leaf,
          body.inclusion_proof,
          body.checkpoint,
          keys,
          crypto,
        )
      : null;
  return combineEventProof(body, event, opened, inclusion);
}
