import {
  chainHash,
  equalBytes,
  leafHash,
  LogproofError,
  nobleCrypto,
  parseTrustedKeys,
  verifyCheckpoint,
  verifyEventSignature,
  type Checkpoint,
  type StoredEvent,
  type TrustedKeys,
  type VerifierKey,
} from '@logproof/core';
import { verifyInclusionAsync } from './inclusion-path.js';
import { describe, isObject, parseHashes, summary } from './shared.js';
import type {
  CheckpointVerification,
  EventProofInput,
  EventProofVerification,
  InclusionVerification,
  VerificationProblem,
} from './types.js';
import { verifyCheckpointNote } from './verify-checkpoints.js';
import { judgeEvent, readEvent, type OpenedEvent } from './verify-event.js';
import {
  combineEventProof,
  prepareInclusion,
  settleInclusion,
  startInclusion,
  verifyEventProof,
} from './verify-inclusion.js';
import { isNotSupported, WebCryptoEngine, type SubtleVerifier } from './webcrypto-engine.js';

// The WebCrypto verifiers: the checks of verify-event.ts and
// verify-inclusion.ts, shared with the synchronous verifiers, over SHA-256
// and Ed25519 computed by WebCrypto on byte layouts the core makes. Verifier
// key strings are still parsed by the core with nobleCrypto (their key-ID
// self-check is one synchronous hash of the caller's own trust material);
// everything the evidence is checked with goes through WebCrypto.

/** Which implementation checked the hashes and signatures. */
export type VerificationEngine = 'webcrypto' | 'noble';

/** Options common to the WebCrypto verifiers. */
export interface WebCryptoOption {
  /**
   * The WebCrypto to use; `globalThis.crypto.subtle` by default. `null`
   * selects the noble path, as does a WebCrypto without Ed25519.
   */
  subtle?: SubtleVerifier | null | undefined;
}

/** Options of {@link verifyEventProofWebCrypto}. */
export interface VerifyEventProofWebCryptoOptions extends WebCryptoOption {
  /** The org's verifier keys, obtained out of band (all of them after a rotation). */
  verifierKeys: TrustedKeys;
  /** The bytes `GET /v1/events/{id}/canonical` returned, to compare with the event's own. */
  canonical?: Uint8Array | undefined;
  /** The event at `chain_index - 1`, to check the link to it. */
  previous?: unknown;
}

function defaultSubtle(): SubtleVerifier | undefined {
  // Typed as always there, but absent outside secure contexts and in old runtimes.
  return (globalThis as { crypto?: { subtle?: SubtleVerifier } }).crypto?.subtle;
}

/** Runs `verify` with WebCrypto; falls back to `noble` when WebCrypto is absent or lacks Ed25519. */
async function withEngine<R>(
  subtle: SubtleVerifier | null | undefined,
  verify: (engine: WebCryptoEngine) => Promise<R>,
  noble: () => R,
): Promise<R & { engine: VerificationEngine }> {
  const chosen = subtle === undefined ? defaultSubtle() : subtle;
  if (chosen !== null && chosen !== undefined) {
    try {
      return { ...(await verify(new WebCryptoEngine(chosen))), engine: 'webcrypto' };
    } catch (error) {
      if (!isNotSupported(error)) throw error;
    }
  }
  return { ...noble(), engine: 'noble' };
}

/** As shared.ts' openCheckpoint, with the note's signatures checked by WebCrypto. */
async function openCheckpointWebCrypto(
  note: unknown,
  keys: readonly VerifierKey[],
  engine: WebCryptoEngine,
  problems: VerificationProblem[],
  check: string,
): Promise<Checkpoint | null> {
  if (typeof note !== 'string') {
    problems.push({ check, detail: 'the checkpoint is not a signed note' });
    return null;
  }
  try {
    const { value, failed } = await engine.verifyDeferred((c) => verifyCheckpoint(note, keys, c));
    if (failed.length > 0) {
      // What openNote throws when a known key's signature fails (C2SP signed-note).
      const names = keys
        .filter((k) => failed.some((publicKey) => equalBytes(publicKey, k.publicKey)))
        .map((k) => `${k.name}+${k.keyIdHex}`);
      throw new LogproofError(
        'ERR_SIGNATURE_INVALID',
        `invalid note signature by ${names.join(', ')}`,
      );
    }
    return value;
  } catch (error) {
    problems.push({ check, detail: describe(error) });
    return null;
  }
}

/** As verify-event.ts' checkEvent, with WebCrypto. */
async function checkEventWebCrypto(
  event: unknown,
  keys: readonly VerifierKey[],
  options: VerifyEventProofWebCryptoOptions,
  engine: WebCryptoEngine,
): Promise<OpenedEvent> {
  const { result, read } = readEvent(event, keys, options);
  if (read === null) return { result, event: null, leaf: null };
  const { canonical, previousHash, stored, key } = read;
  const [leaf, signature] = await Promise.all([
    engine.hash((c) => leafHash(canonical, c)),
    key === undefined
      ? false
      : engine
          .verifyDeferred((c) =>
            verifyEventSignature(canonical, stored.signature, key.publicKey, c),
          )
          .then(({ value, failed }) => value && failed.length === 0),
  ]);
  const chain = await engine.hash((c) => chainHash(previousHash, leaf, c));
  return judgeEvent(result, read, { leaf, chain, signature }, options);
}

/** As verify-inclusion.ts' checkInclusion, with WebCrypto. */
async function checkInclusionWebCrypto(
  event: StoredEvent,
  leaf: Uint8Array,
  proof: unknown,
  note: unknown,
  keys: readonly VerifierKey[],
  engine: WebCryptoEngine,
): Promise<InclusionVerification> {
  const inclusion = startInclusion();
  const cp = await openCheckpointWebCrypto(note, keys, engine, inclusion.problems, 'checkpoint');
  const pending = prepareInclusion(event, proof, cp, inclusion);
  if (pending === null) return inclusion;
  try {
    // Size and root both come from the signed checkpoint, never from the proof.
    const { treeSize, rootHash } = pending.checkpoint;
    const hashes = parseHashes(pending.hashes);
    await verifyInclusionAsync(event.chain_index, treeSize, leaf, hashes, rootHash, engine.hash);
    settleInclusion(inclusion, null);
  } catch (error) {
    // A NotSupportedError is no LogproofError: it propagates, and the noble path runs.
    settleInclusion(inclusion, error);
  }
  return inclusion;
}

/**
 * {@link verifyEventProof} in the browser's own cryptography: every check of
 * `GET /v1/events/{id}/verify` (the event's canonical bytes, leaf hash, chain
 * link and signature, the checkpoint's signature, the event's inclusion in
 * its tree) with SHA-256 by `crypto.subtle.digest` and Ed25519 by
 * `crypto.subtle.verify`, over byte layouts the core makes. The result is
 * that of `verifyEventProof`, plus `engine`: `'webcrypto'`, or `'noble'`
 * when WebCrypto is absent (an insecure context) or lacks Ed25519, and the
 * pure-JS path checked it instead.
 *
 * Never rejects for bad evidence: `valid` is false and `problems` says why.
 * Rejects with `ERR_VERIFIER_KEY` only when `verifierKeys` is malformed.
 *
 * @example
 * ```ts
 * const [event, proof] = await Promise.all([client.events.get(id), client.events.verify(id)]);
 * const result = await verifyEventProofWebCrypto({ ...proof, event }, { verifierKeys: trustedKey });
 * console.log(result.valid, result.engine); // true 'webcrypto'
 * ```
 */
export async function verifyEventProofWebCrypto(
  input: EventProofInput & { event: unknown },
  options: VerifyEventProofWebCryptoOptions,
): Promise<EventProofVerification & { engine: VerificationEngine }> {
  const keys = parseTrustedKeys(options.verifierKeys, nobleCrypto);
  const body: Record<string, unknown> = isObject(input) ? input : {};
  const event = body.event;
  return withEngine(
    options.subtle,
    async (engine) => {
      const opened = await checkEventWebCrypto(event, keys, options, engine);
      const inclusion =
        opened.event !== null && opened.leaf !== null
          ? await checkInclusionWebCrypto(
              opened.event,
              opened.leaf,
              body.inclusion_proof,
              body.checkpoint,
              keys,
              engine,
            )
          : null;
      return combineEventProof(body, event, opened, inclusion);
    },
    () =>
      verifyEventProof(input, keys, {
        event,
        canonical: options.canonical,
        previous: options.previous,
        crypto: nobleCrypto,
      }),
  );
}

/**
 * {@link verifyCheckpointNote} with the note's Ed25519 signatures checked by
 * `crypto.subtle.verify`; `engine` says which implementation checked them
 * (see {@link verifyEventProofWebCrypto}).
 *
 * @example
 * ```ts
 * const { valid, checkpoint, engine } = await verifyCheckpointNoteWebCrypto(note, trustedKey);
 * if (valid) console.log(checkpoint.tree_size, checkpoint.root_hash, engine);
 * ```
 */
export async function verifyCheckpointNoteWebCrypto(
  note: string,
  verifierKeys: TrustedKeys,
  options: WebCryptoOption = {},
): Promise<CheckpointVerification & { engine: VerificationEngine }> {
  const keys = parseTrustedKeys(verifierKeys, nobleCrypto);
  return withEngine(
    options.subtle,
    async (engine) => {
      const problems: VerificationProblem[] = [];
      const cp = await openCheckpointWebCrypto(note, keys, engine, problems, 'checkpoint');
      return { valid: cp !== null, checkpoint: cp === null ? null : summary(cp), problems };
    },
    () => verifyCheckpointNote(note, keys, { crypto: nobleCrypto }),
  );
}
