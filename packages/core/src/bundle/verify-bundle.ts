import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { bytesToHex, equalBytes } from '../encoding.js';
import { isLogproofError, type LogproofError } from '../errors.js';
import { compactRangeIndexes, rootFromRangeProof } from '../merkle/index.js';
import {
  parseVerifierKey,
  verifyCheckpoint,
  type Checkpoint,
  type VerifierKey,
} from '../note/index.js';
import type { BundleReport } from './bundle-format.js';
import { bundleError, quote } from './bundle-problem.js';
import { shapeBundle, type ShapedBundle } from './bundle-shape.js';
import { parseTrustedKeys, type TrustedKeys } from './trusted-keys.js';
import { verifyEvents, type ListedKey, type VerifiedEvents } from './verify-events.js';

type VerifiedCheckpoint = Checkpoint & { signers: VerifierKey[] };

function describeNoteError(error: LogproofError, trusted: readonly VerifierKey[]): string {
  switch (error.code) {
    case 'ERR_NOTE_UNVERIFIED': {
      const names = trusted.map((key) => `${key.name}+${key.keyIdHex}`).join(', ');
      return `checkpoint is not signed by a trusted key (trusted: ${names}): ${error.message}`;
    }
    case 'ERR_SIGNATURE_INVALID':
      return 'checkpoint signature does not verify: the checkpoint text or its signature was changed';
    default:
      return `checkpoint is malformed: ${error.message}`;
  }
}

/**
 * PROOFS.md §5: the checkpoint must carry a valid signature by a trusted key
 * named after its origin; that origin must be the bundle's, and the bundle's
 * org must be the org of that origin (PROOFS.md §1).
 */
function openCheckpoint(
  bundle: ShapedBundle,
  trusted: readonly VerifierKey[],
  crypto: CryptoProvider,
): VerifiedCheckpoint {
  let checkpoint: ReturnType<typeof verifyCheckpoint>;
  try {
    checkpoint = verifyCheckpoint(bundle.checkpoint, trusted, crypto);
  } catch (error) {
    if (!isLogproofError(error)) throw error;
    throw bundleError('/checkpoint', describeNoteError(error, trusted), error);
  }
  if (checkpoint.origin !== bundle.origin) {
    throw bundleError(
      '/origin',
      `is ${quote(bundle.origin)}, but the signed checkpoint's origin is ${quote(checkpoint.origin)}`,
    );
  }
  if (!bundle.origin.endsWith(`/${bundle.org}`)) {
    throw bundleError(
      '/org',
      `${quote(bundle.org)} is not the org of origin ${quote(bundle.origin)} (PROOFS.md §1: <LOGPROOF_ORIGIN>/<org id>)`,
    );
  }
  const signers = checkpoint.note.verifiedBy.filter((key) => key.name === checkpoint.origin);
  return { ...checkpoint, signers };
}

/**
 * The bundle's verifier_keys must be well-formed keys of this log, each
 * once, and must list the checkpoint's signer. A listed key that reuses a
 * trusted key's ID with other bytes is named at once (a 32-bit key ID can be
 * ground); any other untrusted listed key is only a hint, see verifyEvents.
 */
function readListedKeys(
  bundle: ShapedBundle,
  trusted: ReadonlyMap<string, VerifierKey>,
  checkpoint: VerifiedCheckpoint,
  crypto: CryptoProvider,
): Map<string, ListedKey> {
  const listed = new Map<string, ListedKey>();
  bundle.verifierKeys.forEach((text, index) => {
    const path = `/verifier_keys/${index}`;
    let key: VerifierKey;
    try {
      key = parseVerifierKey(text, crypto);
    } catch (error) {
      if (!isLogproofError(error)) throw error;
      throw bundleError(path, `is not a valid verifier key: ${error.message}`, error);
    }
    if (key.name !== checkpoint.origin) {
      throw bundleError(
        path,
        `is a key of ${quote(key.name)}, not of this log ${quote(checkpoint.origin)}`,
      );
    }
    if (listed.has(key.keyIdHex))
      throw bundleError(path, `lists key ID ${key.keyIdHex} a second time`);
    const trustedKey = trusted.get(key.keyIdHex);
    if (trustedKey !== undefined && !equalBytes(trustedKey.publicKey, key.publicKey)) {
      throw bundleError(
        path,
        `has the key ID ${key.keyIdHex} of a trusted key but another public key`,
      );
    }
    listed.set(key.keyIdHex, { index, key, trusted: trustedKey !== undefined });
  });
  if (!checkpoint.signers.some((key) => listed.has(key.keyIdHex))) {
    const signer = checkpoint.signers[0]!;
    throw bundleError(
      '/verifier_keys',
      `does not list the key that signs the checkpoint (${signer.name}+${signer.keyIdHex})`,
    );
  }
  return listed;
}

/** PROOFS.md §7 range_proof: the run's leaves between the compact ranges rebuild the checkpoint's root. */
function checkRangeProof(
  proof: NonNullable<ShapedBundle['rangeProof']>,
  run: VerifiedEvents,
  checkpoint: VerifiedCheckpoint,
  crypto: CryptoProvider,
): void {
  const first = run.chainIndexes[0]!;
  const last = run.chainIndexes[run.chainIndexes.length - 1]!;
  const { treeSize } = checkpoint;
  if (proof.start !== first) {
    throw bundleError(
      '/range_proof/start',
      `is ${proof.start}, but the first event has chain_index ${first}: start was changed or the run's first events are missing`,
    );
  }
  const leftCount = compactRangeIndexes(0, first).length;
  if (proof.left.length !== leftCount) {
    throw bundleError(
      '/range_proof/left',
      `must hold ${leftCount} hashes (the compact range [0, ${first})), got ${proof.left.length}`,
    );
  }
  const rightCount = compactRangeIndexes(last + 1, treeSize).length;
  if (proof.right.length !== rightCount) {
    throw bundleError(
      '/range_proof/right',
      `must hold ${rightCount} hashes (the compact range [${last + 1}, ${treeSize})), got ${proof.right.length}: ` +
        'a hash was removed or added, or events are missing at the end of the run',
    );
  }
  const root = rootFromRangeProof(treeSize, first, run.leaves, proof.left, proof.right, crypto);
  if (!equalBytes(root, checkpoint.rootHash)) {
    // The leaves are authenticated by their signatures and the root by the
    // checkpoint; only left, right or a missing last event remain. Which hash
    // of left or right cannot be told: only the root they hash to is signed.
    throw bundleError(
      '/range_proof',
      `events chain_index ${first}..${last} with left and right do not rebuild the root of the checkpoint ` +
        `(size ${treeSize}): a hash in left or right was changed, or events are missing at the end of the run`,
    );
  }
}

/**
 * Verifies a PROOFS.md §7 evidence bundle offline, with verifier keys the
 * caller obtained out of band. `bundle` is any JSON value, typically
 * `JSON.parse` of a file: every byte of it is treated as hostile.
 *
 * Checks, in this order, stopping at the first problem: the shape (no
 * unknown members, bounded sizes, the format string); the checkpoint's
 * signature by a trusted key named after its origin, which must be the
 * bundle's origin, whose org must be the bundle's org; the listed
 * verifier_keys; then each event in order: its entry shape, its key_id (a
 * trusted key, and listed), its Ed25519 signature and leaf_hash over the
 * canonical bytes, its org, its place (sorted, each once, inside the tree,
 * contiguous in the range form), its chain link (previous_hash of chain_index
 * 0 is 32 zero bytes; equal to the hash of the event before it when that is
 * present) and, in the inclusion-proof form, its inclusion proof; then the
 * range proof; finally that every listed key signs something.
 *
 * Event signatures are verified only with the caller's keys, matched by
 * key_id: after a key rotation, pass every key of the log that signed an
 * event of the bundle. The bundle's own verifier_keys are informational.
 *
 * Throws `ERR_BUNDLE` with `problems[0].path`, a JSON Pointer into the bundle
 * (`/events/3/event/signature`, `/range_proof/left`, `/checkpoint`), and a
 * message naming the event. Throws `ERR_VERIFIER_KEY` when the trusted keys
 * themselves are malformed.
 *
 * @example
 * ```ts
 * const report = verifyBundle(JSON.parse(text), 'logproof.local/org_1+1a2b3c4d+AX...');
 * console.log(`${report.events} events verified against size ${report.treeSize}`);
 * ```
 */
export function verifyBundle(
  bundle: unknown,
  trustedKey: TrustedKeys,
  crypto: CryptoProvider = nobleCrypto,
): BundleReport {
  const trusted = parseTrustedKeys(trustedKey, crypto);
  const shaped = shapeBundle(bundle);
  const checkpoint = openCheckpoint(shaped, trusted, crypto);
  const trustedById = new Map(
    trusted.filter((key) => key.name === checkpoint.origin).map((key) => [key.keyIdHex, key]),
  );
  const listed = readListedKeys(shaped, trustedById, checkpoint, crypto);
  const run = verifyEvents(shaped.events, {
    origin: checkpoint.origin,
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash,
    org: shaped.org,
    listed,
    trusted: trustedById,
    contiguous: shaped.rangeProof !== undefined,
    crypto,
  });
  if (shaped.rangeProof !== undefined) checkRangeProof(shaped.rangeProof, run, checkpoint, crypto);

  const keyIds = checkpoint.signers.map((key) => key.keyIdHex).filter((id) => listed.has(id));
  for (const id of run.keyIds) if (!keyIds.includes(id)) keyIds.push(id);
  // Listed keys that sign nothing are refused too: the producer lists exactly
  // the keys in use, so an extra one was added after the fact.
  for (const { index, key, trusted: isTrusted } of listed.values()) {
    if (!keyIds.includes(key.keyIdHex)) {
      throw bundleError(
        `/verifier_keys/${index}`,
        `key ${key.name}+${key.keyIdHex} signs neither the checkpoint nor any event of the bundle` +
          (isTrusted ? '' : ', and the caller does not trust it'),
      );
    }
  }
  return {
    valid: true,
    origin: checkpoint.origin,
    treeSize: checkpoint.treeSize,
    rootHash: bytesToHex(checkpoint.rootHash),
    events: run.leaves.length,
    firstIndex: run.chainIndexes[0]!,
    lastIndex: run.chainIndexes[run.chainIndexes.length - 1]!,
    keyIds,
  };
}
