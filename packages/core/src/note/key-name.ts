// C2SP signed-note §Format: "Key names MUST be non-empty and MUST NOT contain
// any Unicode spaces or plus (U+002B) characters." Go's note.isValidName uses
// unicode.IsSpace, which is exactly the Unicode White_Space property.
const FORBIDDEN_IN_NAME = /[\p{White_Space}+]/u;

/**
 * True when `name` may name a note key (and so, PROOFS.md §1, a log origin):
 * non-empty, well-formed Unicode, no Unicode space, no `+`, and no ASCII
 * control character. The last rule is stricter than C2SP: a signed note may
 * not contain control characters, so a key so named could never sign one.
 *
 * @example
 * ```ts
 * isValidKeyName('logproof.example.com/org_2mZ8'); // true
 * isValidKeyName('two words');                     // false
 * ```
 */
export function isValidKeyName(name: unknown): name is string {
  if (typeof name !== 'string' || name === '' || !name.isWellFormed()) return false;
  if (FORBIDDEN_IN_NAME.test(name)) return false;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return false;
  return true;
}
