import type { TextField } from './query-ast.js';

// The searchable values of an event that have no column of their own
// (API.md "Reading": actor.name, actor.email, context.ip, and metadata.<key>
// when it holds a string),
// stored one row each in event_terms (migration 7) so that a `q` term on them
// is an index range read in listing order instead of a JSON read of every
// event of the org. A term row only nominates a candidate: the listing
// re-checks every candidate against the whole filter on the event's canonical
// JSON, so that a value cut to TERM_VALUE_MAX_CHARS still matches exactly.
//
// The migration's backfill computes the same rows in SQL from `canonical`
// (stores/*/migrations.ts version 7); test/query-terms.test.ts holds the two
// to each other.

/** One row of event_terms: `field` as `q` names it, `value` in its text form. */
export interface EventTerm {
  readonly field: string;
  readonly value: string;
}

/**
 * The longest stored value, in code points (SQLite's substr and PostgreSQL's
 * left count the same units). Longer values (metadata strings up to 2048)
 * are stored cut, which keeps every index row small whatever an event holds.
 */
export const TERM_VALUE_MAX_CHARS = 128;

/** `value` cut to its first TERM_VALUE_MAX_CHARS code points. */
export function cutTermValue(value: string): string {
  // UTF-16 length >= code points: most values need no counting.
  if (value.length <= TERM_VALUE_MAX_CHARS) return value;
  let end = 0;
  for (let points = 0; points < TERM_VALUE_MAX_CHARS && end < value.length; points++) {
    end += value.codePointAt(end)! > 0xffff ? 2 : 1;
  }
  return value.slice(0, end);
}

/** The event_terms field of a `q` field, or null when it has a column (or event_targets). */
export function termFieldOf(field: TextField, key: string | null): string | null {
  switch (field) {
    case 'actor.name':
    case 'actor.email':
    case 'context.ip':
      return field;
    case 'metadata':
      return key === null ? null : `metadata.${key}`;
    default:
      return null;
  }
}

function objectMember(value: unknown, name: string): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null) return null;
  const member = (value as Record<string, unknown>)[name];
  return typeof member === 'object' && member !== null && !Array.isArray(member)
    ? (member as Record<string, unknown>)
    : null;
}

/**
 * The term rows of an event entry (PROOFS.md §2): its actor's name and
 * email, its context's IP and its metadata strings
 * (isMetadataTermSearchable says why not the other metadata values). The
 * append service passes the entry object it has just built and
 * canonicalised, so that no append parses JSON back; any other reader
 * passes the parsed canonical JSON (eventTermsOf), which gives the same rows.
 */
export function entryTermsOf(entry: unknown): EventTerm[] {
  const terms: EventTerm[] = [];
  const actor = objectMember(entry, 'actor');
  const context = objectMember(entry, 'context');
  const metadata = objectMember(entry, 'metadata');
  const addString = (field: string, value: unknown): void => {
    if (typeof value === 'string') terms.push({ field, value: cutTermValue(value) });
  };
  addString('actor.name', actor?.name);
  addString('actor.email', actor?.email);
  addString('context.ip', context?.ip);
  if (metadata !== null) {
    for (const [key, value] of Object.entries(metadata)) addString(`metadata.${key}`, value);
  }
  return terms;
}

/** The term rows of an event, read from its canonical JSON (the source of truth). */
export function eventTermsOf(canonical: string): EventTerm[] {
  return entryTermsOf(JSON.parse(canonical) as unknown);
}

/**
 * Whether `metadata.<key>:value` (or `value*`) can be read through
 * event_terms, which holds metadata strings only: integers and booleans
 * (true / false: a few values each, rarely what a search looks for) would
 * add a row per event for little. A value that is, or a prefix that could
 * begin, the text form of an integer or a boolean must be read otherwise.
 */
export function isMetadataTermSearchable(value: string, prefix: boolean): boolean {
  if (prefix) {
    return !/^-?[0-9]*$/.test(value) && !'true'.startsWith(value) && !'false'.startsWith(value);
  }
  return !/^-?[0-9]+$/.test(value) && value !== 'true' && value !== 'false';
}
