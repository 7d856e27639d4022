import {
  bytesToHex,
  canonicalBytes,
  chainHash,
  entryFromEvent,
  equalBytes,
  GENESIS_PREVIOUS_HASH,
  leafHash,
  nobleCrypto,
  parseHash,
  parseTrustedKeys,
  verifyEventSignature,
  type StoredEvent,
  type VerifierKey,
} from '@logproof/core';
import { describe, isKeyOfOrg, isObject } from './shared.js';
import type {
  EventChecks,
  EventVerification,
  VerificationProblem,
  VerifyEventOptions,
} from './types.js';

/** An event after its own checks, with what inclusion needs next. */
export interface OpenedEvent {
  result: EventVerification;
  event: StoredEvent | null;
  leaf: Uint8Array | null;
}

/** An event in exactly the stored-event shape, with what its checks compare. */
export interface ReadEvent {
  stored: StoredEvent;
  canonical: Uint8Array;
  previousHash: Uint8Array;
  /** The trusted key of the event's org named by its `key_id`, if any. */
  key: VerifierKey | undefined;
}

/** The cryptographic results of an event's checks, from whichever engine computed them. */
export interface EventDigests {
  /** SHA-256(0x00 || canonical bytes). */
  leaf: Uint8Array;
  /** SHA-256(previous_hash || leaf). */
  chain: Uint8Array;
  /** The Ed25519 signature verified under `ReadEvent.key` (false without a key). */
  signature: boolean;
}

/**
 * The checks of {@link checkEvent} that need no cryptography, split off so
 * that the synchronous and the WebCrypto verifiers share them: the event's
 * shape and canonical bytes, and the key its signature must verify under.
 */
export function readEvent(
  event: unknown,
  keys: readonly VerifierKey[],
  options: VerifyEventOptions,
): { result: EventVerification; read: ReadEvent | null } {
  const checks: EventChecks = {
    canonical: false,
    leaf_hash: false,
    chain_link: false,
    signature: false,
  };
  const problems: VerificationProblem[] = [];
  const id = isObject(event) && typeof event.id === 'string' ? event.id : null;
  const result: EventVerification = { valid: false, event_id: id, checks, problems };

  let canonical: Uint8Array;
  try {
    // Exactly the stored-event shape: an extra member would go unsigned.
    canonical = canonicalBytes(entryFromEvent(event));
  } catch (error) {
    problems.push({ check: 'canonical', detail: `not a stored event: ${describe(error)}` });
    return { result, read: null };
  }
  const stored = event as StoredEvent;
  checks.canonical = options.canonical === undefined || equalBytes(options.canonical, canonical);
  if (!checks.canonical) {
    problems.push({
      check: 'canonical',
      detail: "the canonical bytes given differ from the event's own (PROOFS.md §2)",
    });
  }
  // The schema check above guarantees 64 lowercase hex digits.
  const previousHash = parseHash(stored.previous_hash);
  const key = keys.find((k) => k.keyIdHex === stored.key_id && isKeyOfOrg(k.name, stored.org));
  return { result, read: { stored, canonical, previousHash, key } };
}

/** The rest of {@link checkEvent}: judges the digests of a {@link readEvent}. */
export function judgeEvent(
  result: EventVerification,
  read: ReadEvent,
  digests: EventDigests,
  options: VerifyEventOptions,
): OpenedEvent {
  const { stored, previousHash, key } = read;
  const { checks, problems } = result;
  checks.leaf_hash = stored.leaf_hash === bytesToHex(digests.leaf);
  if (!checks.leaf_hash) {
    problems.push({
      check: 'leaf_hash',
      detail: 'leaf_hash is not SHA-256(0x00 || canonical bytes): the event was changed',
    });
  }

  const linked = equalBytes(digests.chain, parseHash(stored.hash));
  const genesis = stored.chain_index !== 0 || equalBytes(previousHash, GENESIS_PREVIOUS_HASH);
  checks.chain_link = linked && genesis;
  if (!linked)
    problems.push({
      check: 'chain_link',
      detail: 'hash is not SHA-256(previous_hash || leaf hash)',
    });
  if (!genesis)
    problems.push({
      check: 'chain_link',
      detail: 'the first event of a log must have 32 zero bytes as previous_hash',
    });
  if (options.previous !== undefined) {
    const previous = options.previous;
    const follows =
      isObject(previous) &&
      previous.org === stored.org &&
      previous.chain_index === stored.chain_index - 1 &&
      previous.hash === stored.previous_hash;
    if (!follows) {
      checks.chain_link = false;
      problems.push({
        check: 'chain_link',
        detail: `previous_hash is not the hash of the given event at chain_index ${stored.chain_index - 1}`,
      });
    }
  }

  if (key === undefined) {
    problems.push({
      check: 'signature',
      detail: `no trusted key of org ${stored.org} has key_id ${stored.key_id}`,
    });
  } else {
    checks.signature = digests.signature;
    if (!checks.signature) {
      problems.push({
        check: 'signature',
        detail: `the signature does not verify with key ${key.name}+${key.keyIdHex}`,
      });
    }
  }
  result.valid = problems.length === 0;
  return { result, event: stored, leaf: digests.leaf };
}

export function checkEvent(
  event: unknown,
  keys: readonly VerifierKey[],
  options: VerifyEventOptions,
): OpenedEvent {
  const crypto = options.crypto ?? nobleCrypto;
  const { result, read } = readEvent(event, keys, options);
  if (read === null) return { result, event: null, leaf: null };
  const leaf = leafHash(read.canonical, crypto);
  return judgeEvent(
    result,
    read,
    {
      leaf,
      chain: chainHash(read.previousHash, leaf, crypto),
      signature:
        read.key !== undefined &&
        verifyEventSignature(read.canonical, read.stored.signature, read.key.publicKey, crypto),
    },
    options,
  );
}

/**
 * Verifies one event as the API returns it, offline: its exact shape and
 * canonical bytes (PROOFS.md §2), leaf hash and chain hash (§3), and Ed25519
 * signature by a trusted key of its org (§6). Pass `canonical` (from
 * `GET /v1/events/{id}/canonical`) to compare the server's bytes too, and
 * `previous` to check the chain link to the event before it.
 *
 * Never throws for a bad event: `valid` is false and `problems` says why.
 * Throws `ERR_VERIFIER_KEY` only when `verifierKeys` itself is malformed.
 *
 * @example
 * ```ts
 * const event = await client.events.get(id);
 * const result = verifyEvent(event, { verifierKeys: 'logproof.local/org_1+1a2b3c4d+AX...' });
 * if (!result.valid) console.error(result.problems);
 * ```
 */
export function verifyEvent(event: unknown, options: VerifyEventOptions): EventVerification {
  const keys = parseTrustedKeys(options.verifierKeys, options.crypto ?? nobleCrypto);
  return checkEvent(event, keys, options).result;
}
