import {
  equalBytes,
  nobleCrypto,
  parseTrustedKeys,
  verifyConsistency,
  type TrustedKeys,
} from '@logproof/core';
import { describe, isObject, openCheckpoint, parseHashes, summary } from './shared.js';
import type {
  CheckpointVerification,
  ConsistencyProofInput,
  ConsistencyVerification,
  CryptoOption,
  VerificationProblem,
} from './types.js';

/**
 * Verifies a signed checkpoint (PROOFS.md §5) with trusted keys: its C2SP
 * note signature by a key named after its origin, and its body.
 *
 * @example
 * ```ts
 * const { valid, checkpoint } = verifyCheckpointNote(note, trustedKey);
 * if (valid) console.log(checkpoint.tree_size, checkpoint.root_hash);
 * ```
 */
export function verifyCheckpointNote(
  note: string,
  verifierKeys: TrustedKeys,
  options: CryptoOption = {},
): CheckpointVerification {
  const crypto = options.crypto ?? nobleCrypto;
  const keys = parseTrustedKeys(verifierKeys, crypto);
  const problems: VerificationProblem[] = [];
  const cp = openCheckpoint(note, keys, crypto, problems, 'checkpoint');
  return { valid: cp !== null, checkpoint: cp === null ? null : summary(cp), problems };
}

/**
 * Verifies that the log of `newNote` extends the log of `oldNote` (RFC 6962
 * §2.1.2): both checkpoints signed by trusted keys, same origin, and the
 * consistency proof leading to both signed roots. A smaller new tree is a
 * rollback and two roots for one size a fork: both are reported as failed
 * consistency. This is what a monitor runs to catch a rewritten history.
 *
 * @example
 * ```ts
 * const proof = await client.public.consistencyProof(orgId, saved.tree_size, latest.tree_size);
 * const result = verifyConsistencyBetween(saved.checkpoint, latestNote, proof, trustedKey);
 * if (!result.valid) alert(result.problems);
 * ```
 */
export function verifyConsistencyBetween(
  oldNote: string,
  newNote: string,
  proof: ConsistencyProofInput,
  verifierKeys: TrustedKeys,
  options: CryptoOption = {},
): ConsistencyVerification {
  const crypto = options.crypto ?? nobleCrypto;
  const keys = parseTrustedKeys(verifierKeys, crypto);
  const problems: VerificationProblem[] = [];
  const older = openCheckpoint(oldNote, keys, crypto, problems, 'old_checkpoint');
  const newer = openCheckpoint(newNote, keys, crypto, problems, 'new_checkpoint');
  const checks = {
    old_checkpoint: older !== null,
    new_checkpoint: newer !== null,
    consistency: false,
  };
  if (older !== null && newer !== null) {
    const hashes = Array.isArray(proof) ? proof : isObject(proof) ? proof.hashes : undefined;
    const sizes = !Array.isArray(proof) && isObject(proof) ? proof : undefined;
    if (older.origin !== newer.origin) {
      problems.push({
        check: 'consistency',
        detail: `the checkpoints are of two logs: ${older.origin} and ${newer.origin}`,
      });
    } else if (newer.treeSize < older.treeSize) {
      problems.push({
        check: 'consistency',
        detail: `rollback: the log shrank from ${older.treeSize} to ${newer.treeSize}`,
      });
    } else if (newer.treeSize === older.treeSize && !equalBytes(newer.rootHash, older.rootHash)) {
      problems.push({
        check: 'consistency',
        detail: `fork: two different signed roots for tree size ${newer.treeSize}`,
      });
    } else if (
      sizes !== undefined &&
      (sizes.from_size !== older.treeSize || sizes.to_size !== newer.treeSize)
    ) {
      problems.push({
        check: 'consistency',
        detail: `the proof is from ${String(sizes.from_size)} to ${String(sizes.to_size)}, the checkpoints are ${older.treeSize} and ${newer.treeSize}`,
      });
    } else {
      try {
        verifyConsistency(
          older.treeSize,
          newer.treeSize,
          parseHashes(hashes),
          older.rootHash,
          newer.rootHash,
          crypto,
        );
        checks.consistency = true;
      } catch (error) {
        problems.push({
          check: 'consistency',
          detail: `the new checkpoint does not extend the old one, history was rewritten: ${describe(error)}`,
        });
      }
    }
  }
  return {
    valid: checks.old_checkpoint && checks.new_checkpoint && checks.consistency,
    checks,
    old: older === null ? null : summary(older),
    new: newer === null ? null : summary(newer),
    problems,
  };
}
