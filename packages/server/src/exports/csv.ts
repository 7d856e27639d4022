import type { StoredEvent } from '@logproof/core';

// CSV export (API.md "Exports"): one row per event, a fixed column order,
// UTF-8 with a byte order mark (so that spreadsheets detect UTF-8), RFC 4180
// (CRLF line ends, fields quoted when they hold a comma, a quote, CR or LF,
// quotes doubled), and safe to open in a spreadsheet (OWASP CSV injection).
//
// The writer is csv-stringify's output, byte for byte, with `escape_formulas`
// (a test compares them on hostile and awkward values), written here rather
// than by csv-stringify: its per-field option handling costs about 60 µs per
// 25-column row, which alone would cap an export at 17,000 rows/s
// (bench/export-bench.mjs); this costs about 2 µs.
//
// This file is the generic path (csvCells of the parsed event); csv-rows.ts
// writes most rows by a fast path held to its bytes.

/** One CSV column: its header and how it is read out of the event. */
interface CsvColumn {
  readonly name: string;
  readonly description: string;
  readonly value: (event: StoredEvent) => string | undefined;
}

const json = (value: unknown): string => JSON.stringify(value);

/**
 * The columns, in their stable order. Appending a column is a compatible
 * change; reordering or removing one is not.
 */
export const CSV_COLUMNS: readonly CsvColumn[] = [
  { name: 'id', description: 'event id', value: (e) => e.id },
  { name: 'org', description: 'org id', value: (e) => e.org },
  {
    name: 'org_external_id',
    description: "the org's external id",
    value: (e) => e.org_external_id,
  },
  {
    name: 'chain_index',
    description: "position in the org's log",
    value: (e) => String(e.chain_index),
  },
  { name: 'occurred_at', description: 'RFC 3339 UTC', value: (e) => e.occurred_at },
  { name: 'created_at', description: 'receipt time, RFC 3339 UTC', value: (e) => e.created_at },
  { name: 'action', description: 'action', value: (e) => e.action },
  { name: 'outcome', description: '`success` or `failure`', value: (e) => e.outcome },
  { name: 'entry_type', description: 'entry type', value: (e) => e.entry_type },
  { name: 'actor_type', description: '`user`, `service` or `system`', value: (e) => e.actor.type },
  { name: 'actor_id', description: 'actor.id', value: (e) => e.actor.id },
  { name: 'actor_name', description: 'actor.name, empty when absent', value: (e) => e.actor.name },
  {
    name: 'actor_email',
    description: 'actor.email, empty when absent',
    value: (e) => e.actor.email,
  },
  {
    name: 'actor_metadata',
    description: 'actor.metadata as JSON, empty when absent',
    value: (e) => (e.actor.metadata === undefined ? undefined : json(e.actor.metadata)),
  },
  {
    name: 'targets',
    description: 'the targets array as JSON (`[]` when none)',
    value: (e) => json(e.targets),
  },
  { name: 'description', description: 'empty when absent', value: (e) => e.description },
  { name: 'context_ip', description: 'context.ip', value: (e) => e.context.ip },
  {
    name: 'context_user_agent',
    description: 'context.user_agent',
    value: (e) => e.context.user_agent,
  },
  {
    name: 'context_request_id',
    description: 'context.request_id',
    value: (e) => e.context.request_id,
  },
  {
    name: 'metadata',
    description: 'the metadata object as JSON (`{}` when none)',
    value: (e) => json(e.metadata),
  },
  { name: 'leaf_hash', description: 'hex (PROOFS.md §3)', value: (e) => e.leaf_hash },
  { name: 'hash', description: 'hex (PROOFS.md §3)', value: (e) => e.hash },
  { name: 'previous_hash', description: 'hex (PROOFS.md §3)', value: (e) => e.previous_hash },
  { name: 'key_id', description: 'signing key id, 8 hex digits', value: (e) => e.key_id },
  {
    name: 'signature',
    description: 'Ed25519 signature of the canonical bytes, base64',
    value: (e) => e.signature,
  },
];

/** `1 id, 2 org, ...`: the column order as the OpenAPI description states it. */
export function describeCsvColumns(): string {
  return CSV_COLUMNS.map((c, i) => `${i + 1}. \`${c.name}\` (${c.description})`).join('; ');
}

/**
 * First characters that make a spreadsheet read a cell as a formula or
 * split it (OWASP "CSV Injection"): = + - @, tab, CR, LF, NUL, and the
 * full-width and small forms of = + - @, which some spreadsheets fold to ASCII.
 */
const TRIGGERS = new Set([
  '=', '+', '-', '@', '\t', '\r', '\n', '\0',
  '\uff1d', '\uff0b', '\uff0d', '\uff20', // full-width = + - @
  '\ufe66', '\ufe62', '\ufe63', '\ufe6b', // small = + - @
]); // prettier-ignore

/**
 * Characters a spreadsheet may skip before looking for a formula: spaces,
 * no-break and typographic spaces, zero-width characters and the BOM.
 */
/* eslint-disable no-control-regex -- VT and FF are among the characters skipped */
const SKIPPED =
  /[ \u000b\u000c\u00a0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]/;
/* eslint-enable no-control-regex */

/**
 * True when a spreadsheet could take `value` for a formula: its first
 * character after any leading apostrophes and skippable spaces is a trigger.
 * Leading apostrophes are looked through so that the neutralised form is
 * itself neutralised again: `'=x` (as sent) is written `''=x`, and the rule
 * "drop one apostrophe from a cell for which this holds without it" gives
 * every original value back (see {@link restoreCsvCell}).
 */
export function looksLikeFormula(value: string): boolean {
  // Fast path: a letter, digit, `{` or `[` first (nearly every cell) is plain text.
  const c = value.charCodeAt(0);
  if ((c >= 0x61 && c <= 0x7b) || (c >= 0x41 && c <= 0x5b) || (c >= 0x30 && c <= 0x39))
    return false;
  let i = 0;
  while (value[i] === "'") i++;
  for (; i < value.length; i++) {
    const c = value[i]!;
    if (TRIGGERS.has(c)) return true;
    if (!SKIPPED.test(c)) return false;
  }
  return false;
}

/**
 * A cell a spreadsheet shows as text and never evaluates: a formula-like
 * value gets a leading apostrophe. csv-stringify's `escape_formulas` does
 * this for = + - @ tab CR and the full-width forms; this also covers LF,
 * NUL, the small forms and triggers behind leading spaces.
 */
export function neutraliseCsvCell(value: string): string {
  return looksLikeFormula(value) ? `'${value}` : value;
}

/** The value a neutralised cell stood for (the inverse of {@link neutraliseCsvCell}). */
export function restoreCsvCell(cell: string): string {
  return cell.startsWith("'") && looksLikeFormula(cell.slice(1)) ? cell.slice(1) : cell;
}

/** RFC 4180 §2.6-2.7: quoted when it holds a quote, a comma, CR or LF; quotes doubled. */
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV line, CRLF-terminated (RFC 4180 §2.1), of cells already neutralised. */
export function csvLine(cells: readonly string[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvField(cells[i]!);
  return line + '\r\n';
}

/** The cells of one event, neutralised, in CSV_COLUMNS order. */
export function csvCells(event: StoredEvent): string[] {
  return CSV_COLUMNS.map((column) => neutraliseCsvCell(column.value(event) ?? ''));
}

/** The BOM and the header row: the start of every CSV export. */
export function csvHeader(): string {
  return '\ufeff' + csvLine(CSV_COLUMNS.map((c) => c.name));
}
