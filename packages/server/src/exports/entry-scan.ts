// Reads the members a CSV export needs straight out of an entry's stored
// canonical JSON (RFC 8785), as slices of its text, without JSON.parse.
//
// Why: parsing every entry and serialising its targets and metadata again
// was most of the CPU time of a CSV export (bench/export-bench.mjs: JSON.parse
// alone took about as long as everything else per row). The slices equal
// what the parse-and-serialise path gives (csv.ts's generic path, which the
// tests compare with) only when the text is in the form the server writes,
// so the scan accepts only that and gives up (null) on anything else; the
// caller then takes the generic path for that row. It accepts:
//   - no backslash, C0 control character or lone surrogate anywhere (so a
//     string token ends at the next `"` and its text is its value, and
//     JSON.stringify would write it back the same);
//   - no white space between tokens;
//   - the members of an entry, of its actor, context and targets in RFC 8785
//     order (each at most once; any other member gives up), strings where
//     the schema has strings;
//   - metadata as the schema has it: flat, names strictly ascending (no
//     duplicates, which JSON.parse would merge) and not starting with a
//     digit (JavaScript lists integer-like names first, RFC 8785 §3.2.3 sorts
//     them as text), values strings, booleans or integers written as
//     String(Number(text)) writes them;
//   - nothing after the entry.

/** Slots of the members read, in a fixed array (no object per row). */
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

/** The members' JSON texts by slot; undefined where the entry has no such member. */
export type EntrySlices = (string | undefined)[];

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
  /** `"name":`, matched in place (no slice per member name). */
  readonly token: string;
  readonly slot: number;
  readonly kind: Kind;
  /** The members of an OBJECT. */
  readonly members?: readonly Member[];
}

function member(name: string, slot: number, kind: Kind, members?: readonly Member[]): Member {
  return { token: `"${name}":`, slot, kind, ...(members ? { members } : {}) };
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

/* eslint-disable no-control-regex -- C0 controls are what is looked for */
const NOT_PLAIN = /[\\\u0000-\u001f]/;
/* eslint-enable no-control-regex */

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** End of the string token at `i`, or -1 when there is none. */
function skipString(s: string, i: number): number {
  if (s.charCodeAt(i) !== QUOTE) return -1;
  const close = s.indexOf('"', i + 1);
  return close < 0 ? -1 : close + 1;
}

/** End of an integer token at `i` written as String(Number(text)) writes it, or -1. */
function skipInteger(s: string, i: number): number {
  let j = s.charCodeAt(i) === 0x2d ? i + 1 : i; // -
  while (isDigit(s.charCodeAt(j))) j++;
  if (j === i) return -1;
  const token = s.slice(i, j);
  return String(Number(token)) === token ? j : -1;
}

/** End of a metadata value at `i`: a string, a boolean or an integer. */
function skipScalar(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c === 0x74) return s.startsWith('true', i) ? i + 4 : -1;
  if (c === 0x66) return s.startsWith('false', i) ? i + 5 : -1;
  return skipInteger(s, i);
}

/** End of the flat metadata object at `i`, or -1. */
function skipMetadata(s: string, i: number): number {
  if (s.charCodeAt(i) !== OPEN_BRACE) return -1;
  let j = i + 1;
  if (s.charCodeAt(j) === CLOSE_BRACE) return j + 1;
  let previous = '';
  for (;;) {
    if (s.charCodeAt(j) !== QUOTE || isDigit(s.charCodeAt(j + 1))) return -1;
    const close = s.indexOf('"', j + 1);
    if (close < 0) return -1;
    const name = s.slice(j + 1, close);
    // Also refuses the empty name ('' < '' is false): the schema has none.
    if (!(previous < name)) return -1;
    previous = name;
    if (s.charCodeAt(close + 1) !== COLON) return -1;
    j = skipScalar(s, close + 2);
    if (j < 0) return -1;
    const c = s.charCodeAt(j);
    if (c === CLOSE_BRACE) return j + 1;
    if (c !== COMMA) return -1;
    j++;
  }
}

/** End of the targets array at `i` (objects with TARGET's members), or -1. */
function skipTargets(s: string, i: number, members: readonly Member[]): number {
  if (s.charCodeAt(i) !== OPEN_BRACKET) return -1;
  let j = i + 1;
  if (s.charCodeAt(j) === CLOSE_BRACKET) return j + 1;
  for (;;) {
    j = scanObject(s, j, members, null);
    if (j < 0) return -1;
    const c = s.charCodeAt(j);
    if (c === CLOSE_BRACKET) return j + 1;
    if (c !== COMMA) return -1;
    j++;
  }
}

function scanValue(s: string, i: number, m: Member, out: EntrySlices | null): number {
  switch (m.kind) {
    case STRING:
      return skipString(s, i);
    case INTEGER:
      return skipInteger(s, i);
    case METADATA:
      return skipMetadata(s, i);
    case OBJECT:
      return scanObject(s, i, m.members!, out);
    default:
      return skipTargets(s, i, m.members!);
  }
}

/**
 * End of the object at `i`, whose members must be among `members`, in that
 * order; each one's text is put in its slot of `out` (when given).
 */
function scanObject(
  s: string,
  i: number,
  members: readonly Member[],
  out: EntrySlices | null,
): number {
  if (s.charCodeAt(i) !== OPEN_BRACE) return -1;
  let j = i + 1;
  if (s.charCodeAt(j) === CLOSE_BRACE) return j + 1;
  let next = 0;
  for (;;) {
    while (next < members.length && !s.startsWith(members[next]!.token, j)) next++;
    if (next === members.length) return -1;
    const m = members[next++]!;
    const start = j + m.token.length;
    j = scanValue(s, start, m, out);
    if (j < 0) return -1;
    if (out !== null && m.slot !== SKIP) out[m.slot] = s.slice(start, j);
    const c = s.charCodeAt(j);
    if (c === CLOSE_BRACE) return j + 1;
    if (c !== COMMA) return -1;
    j++;
  }
}

/**
 * The JSON texts of the entry's members (and of its actor's and context's
 * members), or null when `canonical` is not in the form described at the
 * top of this file: the caller then parses it.
 */
export function scanEntry(canonical: string): EntrySlices | null {
  if (NOT_PLAIN.test(canonical) || !canonical.isWellFormed()) return null;
  const out: EntrySlices = new Array<string | undefined>(SLOTS).fill(undefined);
  return scanObject(canonical, 0, TOP, out) === canonical.length ? out : null;
}
