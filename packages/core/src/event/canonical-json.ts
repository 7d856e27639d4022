import { LogproofError } from '../errors.js';
import { escapePointerSegment, isPlainObject } from './json-data.js';
import type { EventEntry } from './schemas.js';

// RFC 8785, JSON Canonicalization Scheme (JCS), for Logproof's JSON values.
//
// Why not the `canonicalize` package (by the RFC's authors)? It is used by the
// tests as an independent oracle (event-canonical-json.test.ts compares the two
// on random JSON), but not here, for two reasons. It is lenient where a
// signature scheme must not be: it follows toJSON(), drops undefined members,
// writes undefined array elements as null and serialises any object (Date,
// Map, class instance) by its enumerable keys. And it is slow on the append
// path: on a typical entry (Node 20, 2 vCPUs) it took 12-17 µs, this file
// 4.3-4.7 µs and JSON.stringify, for scale, 1.9-2.5 µs.
// JCS over plain JSON data is small: ECMAScript's own number and string forms
// (RFC 8785 §3.2.2.2, §3.2.2.3) and members sorted by UTF-16 code units
// (§3.2.3), which is exactly Array.prototype.sort's default order.

/** Deepest nesting accepted; entries nest 4 deep, this only stops runaway recursion (and cycles). */
const MAX_DEPTH = 256;

// A string with no `"`, `\` or C0 control character is written as it is;
// JSON.stringify (which escapes exactly those, as RFC 8785 §3.2.2.2 requires)
// handles the rest. Control characters are named on purpose.
// eslint-disable-next-line no-control-regex
const NEEDS_NO_ESCAPE = /^[^"\\\u0000-\u001f]*$/;

const utf8 = new TextEncoder();

/** Thrown inside the fast path; the slow path then says what and where. */
const REFUSED: unique symbol = Symbol('refused');

function writeString(text: string): string {
  // RFC 8785 §3.2.2.2 writes UTF-8; a lone surrogate has no UTF-8 form
  // (RFC 3629 §3), so the bytes would be ill-defined.
  if (!text.isWellFormed()) throw REFUSED;
  return NEEDS_NO_ESCAPE.test(text) ? `"${text}"` : JSON.stringify(text);
}

/**
 * RFC 8785 §3.2.3: member names sorted by their UTF-16 code units, which is
 * how ECMAScript compares two strings with `<` (IsLessThan) and how the
 * default Array#sort orders them. Objects here are small (an entry has 15
 * members, metadata at most 64), and for those an insertion sort measured
 * about 4x faster than Array#sort; larger ones use Array#sort.
 */
function sortMemberNames(names: string[]): string[] {
  if (names.length > 64) return names.sort();
  for (let i = 1; i < names.length; i++) {
    const name = names[i]!;
    let j = i - 1;
    while (j >= 0 && names[j]! > name) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = name;
  }
  return names;
}

function writeValue(value: unknown, depth: number, integersOnly: boolean): string {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      // RFC 8785 §3.2.2.3: ECMAScript Number-to-String; NaN and Infinity have
      // no JSON form. Entries hold only safe integers (see canonicalizeEntry).
      if (integersOnly ? !Number.isSafeInteger(value) : !Number.isFinite(value)) throw REFUSED;
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw REFUSED;
  }
  if (value === null) return 'null';
  if (depth >= MAX_DEPTH) throw REFUSED;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += writeValue(value[i], depth + 1, integersOnly);
    }
    return `${out}]`;
  }
  if (!isPlainObject(value) || Object.getOwnPropertySymbols(value).length > 0) throw REFUSED;
  const keys = sortMemberNames(Object.keys(value));
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out += ',';
    out += `${writeString(key)}:${writeValue(value[key], depth + 1, integersOnly)}`;
  }
  return `${out}}`;
}

function refuse(path: string, message: string): never {
  throw new LogproofError('ERR_CANONICAL_JSON', `${path === '' ? 'the value' : path}: ${message}`);
}

// The slow path, run only after the fast one refused: the same rules, walked
// again with JSON Pointer paths and cycle tracking to name the culprit.
function explainRefusal(
  value: unknown,
  path: string,
  depth: number,
  ancestors: Set<object>,
  integersOnly: boolean,
): void {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) refuse(path, 'string contains a lone surrogate');
      return;
    case 'number':
      if (!Number.isFinite(value)) refuse(path, `${value} is not a JSON number`);
      if (integersOnly && !Number.isSafeInteger(value))
        refuse(path, `${value} is not a safe integer`);
      return;
    case 'boolean':
      return;
    case 'object':
      break;
    default:
      refuse(path, `${typeof value} is not JSON data`);
  }
  if (value === null) return;
  if (ancestors.has(value)) refuse(path, 'cyclic reference');
  if (depth >= MAX_DEPTH) refuse(path, `nesting deeper than ${MAX_DEPTH}`);
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      explainRefusal(value[i], `${path}/${i}`, depth + 1, ancestors, integersOnly);
    }
  } else {
    if (!isPlainObject(value)) refuse(path, 'only plain objects are JSON data');
    if (Object.getOwnPropertySymbols(value).length > 0)
      refuse(path, 'symbol keys are not JSON data');
    for (const key of Object.keys(value)) {
      const member = `${path}/${escapePointerSegment(key)}`;
      if (!key.isWellFormed())
        refuse(member.toWellFormed(), 'member name contains a lone surrogate');
      explainRefusal(value[key], member, depth + 1, ancestors, integersOnly);
    }
  }
  ancestors.delete(value);
}

function canonicalize(value: unknown, integersOnly: boolean): string {
  try {
    return writeValue(value, 0, integersOnly);
  } catch (error) {
    if (error !== REFUSED) {
      // A throwing getter or Proxy: not JSON data either.
      throw new LogproofError('ERR_CANONICAL_JSON', 'the value could not be read as JSON data', {
        cause: error,
      });
    }
  }
  explainRefusal(value, '', 0, new Set(), integersOnly);
  // Unreachable: both walks apply the same rules.
  throw new LogproofError('ERR_CANONICAL_JSON', 'the value is not JSON data');
}

/**
 * RFC 8785 JSON Canonicalization Scheme of a JSON value: members sorted by
 * UTF-16 code units, no white space, ECMAScript number and string forms.
 * Only plain JSON data is accepted: plain objects (or null-prototype ones),
 * arrays, well-formed strings, finite numbers, booleans and null. Anything
 * else (NaN, Infinity, undefined, functions, bigint, symbols, Dates, Maps,
 * class instances, cycles, lone surrogates) is `ERR_CANONICAL_JSON`.
 *
 * @example
 * ```ts
 * canonicalJson({ b: [1, 'x'], a: true }); // '{"a":true,"b":[1,"x"]}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return canonicalize(value, false);
}

/**
 * JCS of an event entry (PROOFS.md §2), refusing, beyond {@link canonicalJson},
 * any number that is not a safe integer: entries hold only `v`, `chain_index`
 * and metadata integers, and a larger number would read back differently in
 * JavaScript than in other languages.
 *
 * @example
 * ```ts
 * const text = canonicalizeEntry(buildEntry(event, fields)); // '{"action":"user.login",...}'
 * ```
 */
export function canonicalizeEntry(entry: EventEntry): string {
  return canonicalize(entry, true);
}

/**
 * The canonical bytes of an event (PROOFS.md §2): UTF-8 of JCS(entry). These
 * are what is hashed into the leaf and signed, and what
 * `GET /v1/events/{id}/canonical` returns.
 *
 * @example
 * ```ts
 * const leaf = leafHash(canonicalBytes(entryFromEvent(event)));
 * ```
 */
export function canonicalBytes(entry: EventEntry): Uint8Array {
  // Not utf8Encode: every string and name was checked well-formed while
  // serialising, and its second check would cost a fifth of this call.
  return utf8.encode(canonicalizeEntry(entry));
}
