import {
  bytesToHex,
  isLogproofError,
  LogproofError,
  parseHash,
  verifyCheckpoint,
  type Checkpoint,
  type CryptoProvider,
  type VerifierKey,
} from '@logproof/core';
import type { CheckpointSummary, VerificationProblem } from './types.js';

// Helpers of the verifiers. Every input is hostile: failures become problems,
// and only an error that is not a LogproofError (a bug) escapes.

export function summary(cp: Checkpoint): CheckpointSummary {
  return { origin: cp.origin, tree_size: cp.treeSize, root_hash: bytesToHex(cp.rootHash) };
}

/** Hostile input fails with a LogproofError; anything else is a bug, rethrown. */
export function describe(error: unknown): string {
  if (isLogproofError(error)) return error.message;
  throw error;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** PROOFS.md §1: an org's log is `<LOGPROOF_ORIGIN>/<org id>`, its key named after it. */
export function isKeyOfOrg(name: string, org: string): boolean {
  return name.endsWith(`/${org}`);
}

export function parseHashes(value: unknown): Uint8Array[] {
  if (!Array.isArray(value))
    throw new LogproofError('ERR_PROOF_MALFORMED', 'the proof hashes are not a list');
  return value.map((hex: unknown) => parseHash(hex));
}

export function openCheckpoint(
  note: unknown,
  keys: readonly VerifierKey[],
  crypto: CryptoProvider,
  problems: VerificationProblem[],
  check: string,
): Checkpoint | null {
  if (typeof note !== 'string') {
    problems.push({ check, detail: 'the checkpoint is not a signed note' });
    return null;
  }
  try {
    return verifyCheckpoint(note, keys, crypto);
  } catch (error) {
    problems.push({ check, detail: describe(error) });
    return null;
  }
}
