// Rules every signed note obeys (C2SP signed-note §Format), shared by the
// signer, the opener and the checkpoint parser so that whatever we sign is
// something we would accept.

/** Largest signed note (in UTF-8 bytes) we sign or open: bounds parsing cost. */
export const MAX_NOTE_BYTES = 1024 * 1024;

/** Most signature lines a note may carry; Go's sumdb/note uses the same 100. */
export const MAX_NOTE_SIGNATURES = 100;

const NEWLINE = 0x0a;

/**
 * Why `text` cannot appear in a signed note, or null when it can: it must be
 * well-formed Unicode (so it has a UTF-8 encoding) and, per C2SP, "MUST NOT
 * contain any ASCII control characters (those below U+0020) other than newline".
 * DEL (U+007F) is allowed, as in Go's note.Open.
 */
export function findNoteTextProblem(text: string): string | null {
  if (!text.isWellFormed()) return 'contains a lone surrogate (not encodable as UTF-8)';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== NEWLINE) {
      return `contains control character U+${c.toString(16).padStart(4, '0').toUpperCase()} at offset ${i}`;
    }
  }
  return null;
}
