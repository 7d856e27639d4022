import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { base64ToBytes, bytesToBase64 } from '../encoding.js';
import { LogproofError } from '../errors.js';
import { HASH_SIZE } from '../hashes.js';
import type { NoteSigner } from './note-signer.js';
import { findNoteTextProblem } from './note-text.js';
import { openNote, signNote, type OpenedNote } from './signed-note.js';
import type { VerifierKey } from './verifier-key.js';

/** A C2SP tlog-checkpoint: a log's signed tree head (PROOFS.md §5). */
export interface Checkpoint {
  /** The log's origin, which is also its key name (PROOFS.md §1). */
  origin: string;
  /** Number of leaves in the tree; a safe integer. */
  treeSize: number;
  /** 32-byte RFC 6962 root hash of the tree at `treeSize`. */
  rootHash: Uint8Array;
  /** Extension lines, without newlines; Logproof writes none. */
  extensions: string[];
}

// C2SP tlog-checkpoint: "ASCII decimal ... with no leading zeroes (unless the
// tree is empty, in which case the tree size is 0)".
const TREE_SIZE_RE = /^(?:0|[1-9][0-9]{0,15})$/;

function malformed(message: string, cause?: unknown): never {
  throw new LogproofError(
    'ERR_CHECKPOINT_MALFORMED',
    message,
    cause === undefined ? {} : { cause },
  );
}

function checkLine(line: unknown, what: string): void {
  if (typeof line !== 'string' || line === '') {
    malformed(`checkpoint ${what} must be a non-empty string`);
  }
  if (line.includes('\n')) malformed(`checkpoint ${what} must not contain a newline`);
  const problem = findNoteTextProblem(line);
  if (problem !== null) malformed(`checkpoint ${what} ${problem}`);
}

/**
 * The checkpoint body (C2SP tlog-checkpoint note text): origin, tree size,
 * base64 root hash and any extension lines, each ending in `\n`. Throws
 * `ERR_CHECKPOINT_MALFORMED` for a value {@link parseCheckpoint} would refuse.
 *
 * @example
 * ```ts
 * formatCheckpoint({ origin: 'example.com/log', treeSize: 1, rootHash, extensions: [] });
 * // 'example.com/log\n1\nzpf2rCLiQWaLRKGvnIn5EPq8aHhFYzKDEyfDc3t/E3E=\n'
 * ```
 */
export function formatCheckpoint(cp: Checkpoint): string {
  checkLine(cp.origin, 'origin');
  if (!Number.isSafeInteger(cp.treeSize) || cp.treeSize < 0) {
    malformed('checkpoint tree size must be a non-negative safe integer');
  }
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== HASH_SIZE) {
    malformed('checkpoint root hash must be 32 bytes');
  }
  if (!Array.isArray(cp.extensions)) malformed('checkpoint extensions must be an array');
  for (const line of cp.extensions) checkLine(line, 'extension line');
  let body = `${cp.origin}\n${cp.treeSize}\n${bytesToBase64(cp.rootHash)}\n`;
  for (const line of cp.extensions) body += `${line}\n`;
  return body;
}

/**
 * Parses a checkpoint body (C2SP tlog-checkpoint): at least three lines, each
 * ending in `\n`: a non-empty origin; the tree size in decimal without leading
 * zeros and at most 2^53-1; the root hash as canonical base64 of 32 bytes;
 * then non-empty extension lines. Anything else is `ERR_CHECKPOINT_MALFORMED`.
 * It does not check signatures: use {@link verifyCheckpoint} on a signed note.
 *
 * @example
 * ```ts
 * const cp = parseCheckpoint('example.com/log\n1\nzpf2rCLiQWaLRKGvnIn5EPq8aHhFYzKDEyfDc3t/E3E=\n');
 * cp.treeSize; // 1
 * ```
 */
export function parseCheckpoint(body: string): Checkpoint {
  if (typeof body !== 'string' || !body.endsWith('\n')) {
    malformed('checkpoint body must end in a newline');
  }
  const problem = findNoteTextProblem(body);
  if (problem !== null) malformed(`checkpoint body ${problem}`);
  const lines = body.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    malformed('checkpoint body needs origin, tree size and root hash lines');
  }
  if (origin === '') malformed('checkpoint origin is empty');
  // The regex caps the size at 16 digits, so Number() below is exact up to
  // 2^53-1 and the safe-integer check rejects the rest.
  if (!TREE_SIZE_RE.test(sizeText)) {
    malformed('checkpoint tree size is not a decimal without leading zeros');
  }
  const treeSize = Number(sizeText);
  if (!Number.isSafeInteger(treeSize)) malformed('checkpoint tree size exceeds 2^53-1');
  let rootHash: Uint8Array;
  try {
    rootHash = base64ToBytes(rootText);
  } catch (cause) {
    malformed('checkpoint root hash is not canonical base64', cause);
  }
  if (rootHash.length !== HASH_SIZE) malformed('checkpoint root hash is not 32 bytes');
  // C2SP: "Extension lines, if any, MUST be non-empty."
  if (extensions.some((line) => line === '')) malformed('checkpoint extension line is empty');
  return { origin, treeSize, rootHash, extensions };
}

/**
 * Signs a checkpoint: the body of {@link formatCheckpoint} as a signed note
 * (PROOFS.md §5). The signer's key name must equal the origin
 * (`ERR_SIGNER_KEY` otherwise), since verifiers insist on it.
 *
 * @example
 * ```ts
 * const note = signCheckpoint({ origin: signer.name, treeSize, rootHash, extensions: [] }, signer);
 * ```
 */
export function signCheckpoint(cp: Checkpoint, signer: NoteSigner): string {
  const body = formatCheckpoint(cp);
  if (signer.name !== cp.origin) {
    throw new LogproofError(
      'ERR_SIGNER_KEY',
      'the signing key name must equal the checkpoint origin',
    );
  }
  return signNote(body, [signer]);
}

function isVerifierList(v: VerifierKey | readonly VerifierKey[]): v is readonly VerifierKey[] {
  return Array.isArray(v);
}

/**
 * Verifies a signed checkpoint: opens the note with the given verifier key(s)
 * ({@link openNote}: `ERR_NOTE_MALFORMED`, `ERR_SIGNATURE_INVALID`,
 * `ERR_NOTE_UNVERIFIED`), parses the body (`ERR_CHECKPOINT_MALFORMED`), and
 * checks that a key which verified it is named after the body's origin
 * (PROOFS.md §5: key name = origin). A checkpoint verified only by keys of
 * another name is `ERR_NOTE_UNVERIFIED`: no key of that log signed it.
 *
 * @example
 * ```ts
 * const cp = verifyCheckpoint(noteText, parseVerifierKey(verifierKeyText));
 * cp.treeSize; cp.rootHash; // now trustworthy
 * ```
 */
export function verifyCheckpoint(
  note: string | Uint8Array,
  verifiers: VerifierKey | readonly VerifierKey[],
  crypto: CryptoProvider = nobleCrypto,
): Checkpoint & { note: OpenedNote } {
  const opened = openNote(note, isVerifierList(verifiers) ? verifiers : [verifiers], crypto);
  const cp = parseCheckpoint(opened.text);
  if (!opened.verifiedBy.some((key) => key.name === cp.origin)) {
    throw new LogproofError(
      'ERR_NOTE_UNVERIFIED',
      'checkpoint origin is not the name of any key that verified it',
    );
  }
  return { ...cp, note: opened };
}
