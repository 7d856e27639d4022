import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  concatBytes,
  equalBytes,
  utf8Decode,
  utf8Encode,
} from '../encoding.js';
import { LogproofError } from '../errors.js';
import { isValidKeyName } from './key-name.js';
import { findNoteTextProblem, MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES } from './note-text.js';
import type { NoteSigner } from './note-signer.js';
import { ED25519_KEY_SIZE, KEY_ID_SIZE, type VerifierKey } from './verifier-key.js';

/** One signature line of a note (C2SP signed-note §Signatures). */
export interface NoteSignature {
  /** Key name of the signature line. */
  name: string;
  /** The 4-byte key ID prefix, as 8 lowercase hex digits. */
  keyIdHex: string;
  /** The signature proper, without the 4-byte key ID. */
  signature: Uint8Array;
}

/** A signed note whose signatures have been checked by {@link openNote}. */
export interface OpenedNote {
  /** The note text, ending in `\n`, without the separating blank line. */
  text: string;
  /** Every distinct signature line, in order, by known and unknown keys alike. */
  signatures: NoteSignature[];
  /** The known keys whose signatures verified (at least one), in order. */
  verifiedBy: VerifierKey[];
}

// C2SP signed-note §Format: "em dash (U+2014), space (U+0020), key name,
// space, base64-encoded signature, newline".
const SIGNATURE_PREFIX = '\u2014 ';

function malformed(message: string, cause?: unknown): never {
  throw new LogproofError('ERR_NOTE_MALFORMED', message, cause === undefined ? {} : { cause });
}

/**
 * Signs note `text` with every signer and returns the signed note: the text,
 * a blank line, then one line `— <name> base64(key ID || signature)` per
 * signer (C2SP signed-note, Go's note.Sign). The text must end in `\n`, be
 * well-formed and free of control characters other than `\n`; the result must
 * fit in 1 MiB and 1 to 100 signers are needed. Otherwise `ERR_NOTE_MALFORMED`.
 *
 * @example
 * ```ts
 * const note = signNote('hello\n', [signer]);
 * // 'hello\n\n— <name> <base64>\n'
 * ```
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (typeof text !== 'string' || !text.endsWith('\n')) {
    malformed('note text must end in a newline');
  }
  const problem = findNoteTextProblem(text);
  if (problem !== null) malformed(`note text ${problem}`);
  if (signers.length === 0 || signers.length > MAX_NOTE_SIGNATURES) {
    malformed(`a note needs 1 to ${MAX_NOTE_SIGNATURES} signatures`);
  }
  // C2SP: the signed message is the note text, final newline included.
  const message = utf8Encode(text);
  let out = text + '\n';
  for (const signer of signers) {
    if (!isValidKeyName(signer.name) || signer.keyId.length !== KEY_ID_SIZE) {
      malformed('a note signer needs a valid key name and a 4-byte key ID');
    }
    const signature = signer.sign(message);
    out += `${SIGNATURE_PREFIX}${signer.name} ${bytesToBase64(concatBytes(signer.keyId, signature))}\n`;
  }
  // Refuse to produce what openNote would refuse to read.
  if (out.length > MAX_NOTE_BYTES || utf8Encode(out).length > MAX_NOTE_BYTES) {
    malformed('signed note exceeds 1 MiB');
  }
  return out;
}

function decodeNote(note: string | Uint8Array): string {
  if (note instanceof Uint8Array) {
    if (note.length > MAX_NOTE_BYTES) malformed('note exceeds 1 MiB');
    try {
      return utf8Decode(note);
    } catch (cause) {
      malformed('note is not valid UTF-8', cause);
    }
  }
  if (typeof note !== 'string') malformed('a note is a string or UTF-8 bytes');
  // Every UTF-16 code unit costs at least one UTF-8 byte, so this bounds the
  // work before the exact check below.
  if (note.length > MAX_NOTE_BYTES) malformed('note exceeds 1 MiB');
  return note;
}

/** Shape check: plain-JS callers may pass anything where a parsed key belongs. */
function isVerifierKey(v: unknown): v is VerifierKey {
  if (v === null || typeof v !== 'object') return false;
  const key = v as Partial<VerifierKey>;
  return (
    isValidKeyName(key.name) &&
    key.keyId instanceof Uint8Array &&
    key.keyId.length === KEY_ID_SIZE &&
    key.publicKey instanceof Uint8Array &&
    key.publicKey.length === ED25519_KEY_SIZE
  );
}

function indexVerifiers(verifiers: readonly unknown[]): Map<string, VerifierKey> {
  if (!Array.isArray(verifiers)) {
    throw new LogproofError('ERR_VERIFIER_KEY', 'verifiers must be a list of verifier keys');
  }
  const known = new Map<string, VerifierKey>();
  for (const v of verifiers) {
    if (!isVerifierKey(v)) {
      throw new LogproofError('ERR_VERIFIER_KEY', 'not a parsed Ed25519 verifier key');
    }
    // Names never contain '+', so this key is unambiguous.
    const id = `${v.name}+${bytesToHex(v.keyId)}`;
    const other = known.get(id);
    if (other !== undefined && !equalBytes(other.publicKey, v.publicKey)) {
      // Go's note.VerifierList reports this as an ambiguous key: two keys with
      // one (name, ID) means the trusted key list itself was tampered with.
      throw new LogproofError('ERR_VERIFIER_KEY', `two verifier keys share name and key ID ${id}`);
    }
    known.set(id, v);
  }
  return known;
}

/**
 * Opens a signed note: every byte is hostile. The LAST blank line separates
 * text from signatures; a signature whose (name, key ID) matches a known
 * verifier must verify or the note is rejected (`ERR_SIGNATURE_INVALID`);
 * signatures by unknown keys are ignored; at least one known signature must
 * verify or `ERR_NOTE_UNVERIFIED`. Malformed text (not valid UTF-8 when given
 * bytes, a lone surrogate when given a string, control characters other than
 * `\n`, missing final newline, bad signature line, no signatures, more than
 * 100 signatures, over 1 MiB) is `ERR_NOTE_MALFORMED`. A verifier list holding
 * two different keys with the same name and key ID is `ERR_VERIFIER_KEY`.
 *
 * Stricter than Go's note.Open: base64 must be canonical, and every signature
 * by a known key is verified (Go checks only the first per key).
 *
 * @example
 * ```ts
 * const opened = openNote(noteText, [parseVerifierKey(verifierKeyText)]);
 * opened.text; // the signed text, trustworthy now
 * ```
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly VerifierKey[],
  crypto: CryptoProvider = nobleCrypto,
): OpenedNote {
  const known = indexVerifiers(verifiers);
  const all = decodeNote(note);
  const problem = findNoteTextProblem(all);
  if (problem !== null) malformed(`note ${problem}`);
  if (utf8Encode(all).length > MAX_NOTE_BYTES) malformed('note exceeds 1 MiB');

  // C2SP: "the text is separated from the signatures by the last empty line".
  const split = all.lastIndexOf('\n\n');
  if (split < 0) malformed('note has no blank line before its signatures');
  const text = all.slice(0, split + 1);
  const block = all.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) {
    malformed('note signature block is empty or not newline-terminated');
  }
  const lines = block.slice(0, -1).split('\n');
  // Bound the work before decoding or verifying anything.
  if (lines.length > MAX_NOTE_SIGNATURES) {
    malformed(`note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  }

  const message = utf8Encode(text);
  const signatures: NoteSignature[] = [];
  const verifiedBy: VerifierKey[] = [];
  const seenLines = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) {
      malformed('note signature line does not start with "— "');
    }
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? '' : rest.slice(space + 1);
    if (!isValidKeyName(name) || b64 === '') {
      malformed('note signature line is not "— <name> <base64>"');
    }
    let raw: Uint8Array;
    try {
      raw = base64ToBytes(b64);
    } catch (cause) {
      malformed('note signature is not canonical base64', cause);
    }
    // 4-byte key ID plus at least one byte of signature, as in Go's note.Open.
    if (raw.length <= KEY_ID_SIZE) {
      malformed('note signature is too short to hold a key ID and a signature');
    }
    // Identical lines add nothing; Go drops them too.
    if (seenLines.has(line)) continue;
    seenLines.add(line);
    const keyIdHex = bytesToHex(raw.subarray(0, KEY_ID_SIZE));
    const signature = raw.slice(KEY_ID_SIZE);
    signatures.push({ name, keyIdHex, signature });

    // C2SP §Signatures: unknown (name, ID) pairs MUST be ignored; a known key
    // MUST be checked, and a failure rejects the whole note.
    const key = known.get(`${name}+${keyIdHex}`);
    if (key === undefined) continue;
    if (!crypto.ed25519Verify(key.publicKey, message, signature)) {
      throw new LogproofError(
        'ERR_SIGNATURE_INVALID',
        `invalid note signature by ${name}+${keyIdHex}`,
      );
    }
    if (!verifiedBy.includes(key)) verifiedBy.push(key);
  }
  if (verifiedBy.length === 0) {
    throw new LogproofError('ERR_NOTE_UNVERIFIED', 'note has no signature by a known key');
  }
  return { text, signatures, verifiedBy };
}
