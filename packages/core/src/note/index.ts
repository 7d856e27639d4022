// Signed notes, checkpoints and keys (C2SP signed-note, tlog-checkpoint;
// PROOFS.md §5, §6).
export { isValidKeyName } from './key-name.js';
export {
  computeKeyId,
  formatVerifierKey,
  parseVerifierKey,
  type VerifierKey,
} from './verifier-key.js';
export {
  createNoteSigner,
  formatSignerKey,
  generateSeed,
  parseSignerKey,
  type NoteSigner,
} from './note-signer.js';
export { openNote, signNote, type NoteSignature, type OpenedNote } from './signed-note.js';
export {
  formatCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
} from './checkpoint.js';
export { signEvent, verifyEventSignature } from './event-signature.js';
