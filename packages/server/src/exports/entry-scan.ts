// Finds the members a CSV export needs in an entry's stored canonical JSON
// (RFC 8785), as spans of its UTF-8 bytes, without JSON.parse and without a
// string per member.
//
// Why: parsing every entry and serialising its targets and metadata again
// was most of the CPU time of a CSV export (bench/export-bench.mjs: JSON.parse
// alone took about as long as everything else per row); slicing the text
// into a string per member and per cell then cost more than the rest of the
// row together. The spans equal what the parse-and-serialise path gives
// (csv.ts's generic path, which the tests compare with) only when the text is
// in the form the server writes, so the scan accepts only that and gives up
// (false) on anything else; the caller then takes the generic path for that
// row. It accepts:
//   - no backslash or C0 control character inside a string (so a string
//     token ends at the next `"` and its bytes are its value's UTF-8, which
//     JSON.stringify would write back the same), and structure characters
//     exactly where JSON puts them: no white space between tokens;
//   - the members of an entry, of its actor, context and targets in RFC 8785
//     order (each at most once; any other member gives up), strings where
//     the schema has strings;
//   - metadata as the schema has it: flat, names strictly ascending (no
//     duplicates, which JSON.parse would merge) and not starting with a
//     digit (JavaScript lists integer-like names first, RFC 8785 §3.2.3 sorts
//     them as text), values strings, booleans or integers written as
//     String(Number(text)) writes them;
//   - nothing after the entry.
// The caller checks that the text is well-formed UTF-16 (a lone surrogate
// becomes U+FFFD in UTF-8 but `\udxxx` in JSON.stringify).

/** Slots of the members read: spans[2 * slot] is the start, spans[2 * slot + 1] the end. */
export const ENTRY = {
  action: 0,
  actor: 1,
  chainIndex: 2,
  context: 3,
  createdAt: 4,
  description: 5,
  entryType: 6,
  id: 7,
  metadata: 8,
  occurredAt: 9,
  org: 10,
  orgExternalId: 11,
  outcome: 12,
  targets: 13,
  actorEmail: 14,
  actorId: 15,
  actorMetadata: 16,
  actorName: 17,
  actorType: 18,
  contextIp: 19,
  contextRequestId: 20,
  contextUserAgent: 21,
} as const;
const SLOTS = 22;
/** A member that is checked but not kept. */
const SKIP = -1;

/**
 * Where each member is, as byte offsets [start, end) by slot: a string's
 * text between its quotes, any other value's whole token; start -1 when
 * the entry has no such member.
 */
export type EntrySpans = Int32Array;

/** Spans for {@link scanEntry} to fill (one per export, reused for every row). */
export function createEntrySpans(): EntrySpans {
  return new Int32Array(2 * SLOTS);
}

/** What a member's value must be. */
const STRING = 0;
const INTEGER = 1;
/** Flat metadata (see the top of this file). */
const METADATA = 2;
/** An object of known members (actor, context). */
const OBJECT = 3;
/** An array of targets. */
const TARGETS = 4;
type Kind = typeof STRING | typeof INTEGER | typeof METADATA | typeof OBJECT | typeof TARGETS;

interface Member {
  /** The bytes of `"name":`, matched in place. */
  readonly token: Buffer;
  readonly slot: number;
  readonly kind: Kind;
  /** The members of an OBJECT or of each target. */
  readonly members?: readonly Member[];
}

function member(name: string, slot: number, kind: Kind, members?: readonly Member[]): Member {
  return { token: Buffer.from(`"${name}":`), slot, kind, ...(members ? { members } : {}) };
}

// Each list in RFC 8785 order (names sorted by UTF-16 code units).
const ACTOR = [
  member('email', ENTRY.actorEmail, STRING),
  member('id', ENTRY.actorId, STRING),
  member('metadata', ENTRY.actorMetadata, METADATA),
  member('name', ENTRY.actorName, STRING),
  member('type', ENTRY.actorType, STRING),
];
const CONTEXT = [
  member('ip', ENTRY.contextIp, STRING),
  member('request_id', ENTRY.contextRequestId, STRING),
  member('user_agent', ENTRY.contextUserAgent, STRING),
];
const TARGET = [
  member('id', SKIP, STRING),
  member('metadata', SKIP, METADATA),
  member('name', SKIP, STRING),
  member('type', SKIP, STRING),
];
const TOP = [
  member('action', ENTRY.action, STRING),
  member('actor', ENTRY.actor, OBJECT, ACTOR),
  member('chain_index', ENTRY.chainIndex, INTEGER),
  member('context', ENTRY.context, OBJECT, CONTEXT),
  member('created_at', ENTRY.createdAt, STRING),
  member('description', ENTRY.description, STRING),
  member('entry_type', ENTRY.entryType, STRING),
  member('id', ENTRY.id, STRING),
  member('metadata', ENTRY.metadata, METADATA),
  member('occurred_at', ENTRY.occurredAt, STRING),
  member('org', ENTRY.org, STRING),
  member('org_external_id', ENTRY.orgExternalId, STRING),
  member('outcome', ENTRY.outcome, STRING),
  member('targets', ENTRY.targets, TARGETS, TARGET),
  member('v', SKIP, INTEGER),
];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

// Every function below reads `s` past the end of the text only up to the
// NUL that scanEntry requires there, which no token matches: no bound checks.

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** End of the string token at `i` (no backslash or control character in it), or -1. */
function skipString(s: Buffer, i: number): number {
  if (s[i] !== QUOTE) return -1;
  for (let j = i + 1; ; j++) {
    const c = s[j]!;
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
}

/** End of an integer token at `i` written as String(Number(text)) writes it, or -1. */
function skipInteger(s: Buffer, i: number): number {
  const first = s[i] === MINUS ? i + 1 : i;
  let j = first;
  while (isDigit(s[j]!)) j++;
  const digits = j - first;
  if (digits === 0) return -1;
  // A leading zero, or -0 (String(-0) is "0").
  if (s[first] === ZERO && (digits > 1 || first > i)) return -1;
  // Up to 15 digits a number is exact; past that, ask JavaScript.
  if (digits > 15) {
    const token = s.toString('latin1', i, j);
    if (String(Number(token)) !== token) return -1;
  }
  return j;
}

/** End of a metadata value at `i`: a string, a boolean or an integer. */
function skipScalar(s: Buffer, i: number): number {
  const c = s[i];
  if (c === QUOTE) return skipString(s, i);
  // t r u e, f a l s e
  if (c === 0x74) return s[i + 1] === 0x72 && s[i + 2] === 0x75 && s[i + 3] === 0x65 ? i + 4 : -1;
  if (c === 0x66) {
    const ok = s[i + 1] === 0x61 && s[i + 2] === 0x6c && s[i + 3] === 0x73 && s[i + 4] === 0x65;
    return ok ? i + 5 : -1;
  }
  return skipInteger(s, i);
}

/**
 * True when the name at [b, bEnd) comes strictly after the one at [a, aEnd)
 * in UTF-16 code unit order. Compared as bytes, which is that order while
 * the first difference is ASCII; past it (UTF-8 sorts U+E000-U+FFFF before
 * astral characters, UTF-16 after) the scan gives up, by answering false.
 */
function isAfter(s: Buffer, a: number, aEnd: number, b: number, bEnd: number): boolean {
  for (; a < aEnd && b < bEnd; a++, b++) {
    const x = s[a]!;
    const y = s[b]!;
    if (x !== y) return x < y && y < 0x80;
  }
  return a === aEnd && b < bEnd;
}

/** End of the flat metadata object at `i`, or -1. */
function skipMetadata(s: Buffer, i: number): number {
  if (s[i] !== OPEN_BRACE) return -1;
  let j = i + 1;
  if (s[j] === CLOSE_BRACE) return j + 1;
  // The previous name: none yet, and the empty name is refused (the schema has none).
  let previous = 0;
  let previousEnd = 0;
  for (;;) {
    if (s[j] !== QUOTE || isDigit(s[j + 1]!)) return -1;
    const end = skipString(s, j);
    if (end < 0 || !isAfter(s, previous, previousEnd, j + 1, end - 1)) return -1;
    previous = j + 1;
    previousEnd = end - 1;
    if (s[end] !== COLON) return -1;
    j = skipScalar(s, end + 1);
    if (j < 0) return -1;
    const c = s[j];
    if (c === CLOSE_BRACE) return j + 1;
    if (c !== COMMA) return -1;
    j++;
  }
}

/** End of the targets array at `i` (objects with TARGET's members), or -1. */
function skipTargets(s: Buffer, i: number, members: readonly Member[], spans: EntrySpans): number {
  if (s[i] !== OPEN_BRACKET) return -1;
  let j = i + 1;
  if (s[j] === CLOSE_BRACKET) return j + 1;
  for (;;) {
    j = scanObject(s, j, members, spans);
    if (j < 0) return -1;
    const c = s[j];
    if (c === CLOSE_BRACKET) return j + 1;
    if (c !== COMMA) return -1;
    j++;
  }
}

function scanValue(s: Buffer, i: number, m: Member, spans: EntrySpans): number {
  switch (m.kind) {
    case STRING:
      return skipString(s, i);
    case INTEGER:
      return skipInteger(s, i);
    case METADATA:
      return skipMetadata(s, i);
    case OBJECT:
      return scanObject(s, i, m.members!, spans);
    default:
      return skipTargets(s, i, m.members!, spans);
  }
}

/** True when the bytes at `i` are `token`. */
function matches(s: Buffer, i: number, token: Buffer): boolean {
  for (let k = 0; k < token.length; k++) if (s[i + k] !== token[k]) return false;
  return true;
}

/**
 * End of the object at `i`, whose members must be among `members`, in that
 * order; each one's span is put in its slot of `spans`.
 */
function scanObject(s: Buffer, i: number, members: readonly Member[], spans: EntrySpans): number {
  if (s[i] !== OPEN_BRACE) return -1;
  let j = i + 1;
  if (s[j] === CLOSE_BRACE) return j + 1;
  let next = 0;
  for (;;) {
    while (next < members.length && !matches(s, j, members[next]!.token)) next++;
    if (next === members.length) return -1;
    const m = members[next++]!;
    const start = j + m.token.length;
    j = scanValue(s, start, m, spans);
    if (j < 0) return -1;
    if (m.slot !== SKIP) {
      // A string's text is between its quotes.
      const inner = m.kind === STRING ? 1 : 0;
      spans[2 * m.slot] = start + inner;
      spans[2 * m.slot + 1] = j - inner;
    }
    const c = s[j];
    if (c === CLOSE_BRACE) return j + 1;
    if (c !== COMMA) return -1;
    j++;
  }
}

/**
 * Fills `spans` with where the entry's members (and its actor's and
 * context's) are in `s`, the entry's UTF-8 bytes [0, length) followed by a
 * NUL byte; false when the text is not in the form described at the top of
 * this file: the caller then parses it.
 */
export function scanEntry(s: Buffer, length: number, spans: EntrySpans): boolean {
  if (s[length] !== 0) throw new RangeError('scanEntry needs a NUL byte after the entry');
  spans.fill(-1);
  return scanObject(s, 0, TOP, spans) === length;
}
