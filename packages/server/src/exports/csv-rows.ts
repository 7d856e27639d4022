import { ChunkWriter } from './chunk-writer.js';
import { csvCells, csvField, csvLine, looksLikeFormula, neutraliseCsvCell } from './csv.js';
import { createEntrySpans, ENTRY, scanEntry, type EntrySpans } from './entry-scan.js';
import { storedEvent, type EventParts } from './event-json.js';

// The rows of a CSV export (csv.ts has the columns and the cell rules).
//
// Rows are written by a fast path that copies the cells out of the stored
// canonical JSON's UTF-8 bytes into the export's buffer, and by the generic
// path (csvCells of the parsed event) for the rows it gives up on. Why two:
// at a million rows, JSON.parse of each entry and JSON.stringify of its
// targets and metadata took more CPU time than the rest of a CSV export; and
// why bytes: a string per member and per cell, joined and then encoded,
// still cost about 8 µs a row, most of an export's time
// (bench/export-bench.mjs). The tests hold the fast path to the generic
// path's bytes (test/exports-csv.test.ts).

/** A cell taken from a string member (its text has no quote, backslash or control character). */
const PLAIN = 0;
/** A cell taken from an integer member. */
const INTEGER = 1;
/** A cell taken from an object or array member (written as JSON), empty when absent. */
const JSON_TEXT = 2;

/** The cells read from the entry, in CSV_COLUMNS order: [slot, kind]. */
const ENTRY_CELLS: readonly (readonly [number, number])[] = [
  [ENTRY.id, PLAIN],
  [ENTRY.org, PLAIN],
  [ENTRY.orgExternalId, PLAIN],
  [ENTRY.chainIndex, INTEGER],
  [ENTRY.occurredAt, PLAIN],
  [ENTRY.createdAt, PLAIN],
  [ENTRY.action, PLAIN],
  [ENTRY.outcome, PLAIN],
  [ENTRY.entryType, PLAIN],
  [ENTRY.actorType, PLAIN],
  [ENTRY.actorId, PLAIN],
  [ENTRY.actorName, PLAIN],
  [ENTRY.actorEmail, PLAIN],
  [ENTRY.actorMetadata, JSON_TEXT],
  [ENTRY.targets, JSON_TEXT],
  [ENTRY.description, PLAIN],
  [ENTRY.contextIp, PLAIN],
  [ENTRY.contextUserAgent, PLAIN],
  [ENTRY.contextRequestId, PLAIN],
  [ENTRY.metadata, JSON_TEXT],
];

const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const COMMA = 0x2c;

/**
 * looksLikeFormula of the text s[start, end) (no control character: the
 * scan refused them), without a string for the common cases: ASCII has no
 * other trigger than = + - @ and no other skipped character than the space.
 */
function isFormula(s: Buffer, start: number, end: number): boolean {
  const first = s[start]!;
  // A letter, digit, `{` or `[` first (nearly every cell) is plain text.
  if (
    (first >= 0x61 && first <= 0x7b) ||
    (first >= 0x41 && first <= 0x5b) ||
    (first >= 0x30 && first <= 0x39)
  ) {
    return false;
  }
  let i = start;
  while (i < end && s[i] === APOSTROPHE) i++;
  for (; i < end; i++) {
    const c = s[i]!;
    if (c === 0x3d || c === 0x2b || c === 0x2d || c === 0x40) return true; // = + - @
    if (c >= 0x80) return looksLikeFormula(s.toString('utf8', start, end));
    if (c !== 0x20) return false;
  }
  return false;
}

/**
 * Writes the cell of the text s[start, end) at `p` of `o`: neutralised,
 * quoted when it holds a comma (it holds no quote, CR or LF). Equal to
 * csvField(neutraliseCsvCell(text)). Returns the end of the cell.
 */
function writePlain(s: Buffer, start: number, end: number, o: Buffer, p: number): number {
  const begin = p;
  if (isFormula(s, start, end)) o[p++] = APOSTROPHE;
  let comma = false;
  for (let i = start; i < end; i++) {
    const c = s[i]!;
    if (c === COMMA) comma = true;
    o[p++] = c;
  }
  if (!comma) return p;
  o.copyWithin(begin + 1, begin, p);
  o[begin] = QUOTE;
  o[p + 1] = QUOTE;
  return p + 2;
}

/**
 * Writes the cell of the JSON text s[start, end) (metadata, targets): `{}`
 * and `[]` as they are, any other holds a quoted member name, so it is
 * quoted, its quotes doubled. Equal to csvField(neutraliseCsvCell(text)):
 * `{` and `[` never start a formula.
 */
function writeJson(s: Buffer, start: number, end: number, o: Buffer, p: number): number {
  if (end - start <= 2) {
    for (let i = start; i < end; i++) o[p++] = s[i]!;
    return p;
  }
  o[p++] = QUOTE;
  for (let i = start; i < end; i++) {
    const c = s[i]!;
    if (c === QUOTE) o[p++] = QUOTE;
    o[p++] = c;
  }
  o[p++] = QUOTE;
  return p;
}

/**
 * Writes CSV rows into an export's buffers. One per export: it keeps the
 * entry's bytes and spans between rows rather than allocating them per row.
 */
export class CsvRowWriter {
  #bytes = Buffer.allocUnsafe(8192);
  readonly #spans: EntrySpans = createEntrySpans();

  /** Writes one page of events as CSV rows. */
  writeRows(out: ChunkWriter, events: readonly EventParts[]): void {
    for (const event of events) {
      if (!this.writeFast(out, event)) out.write(csvLine(csvCells(storedEvent(event))));
    }
  }

  /**
   * Writes the CSV row of one event read from its canonical bytes without
   * parsing it (entry-scan.ts), or nothing and false when the scan gives up:
   * the caller then takes the generic path (csvCells of the parsed event),
   * which this equals byte for byte. Columns in CSV_COLUMNS order: a column
   * added there must be added to ENTRY_CELLS or here too (the tests then
   * fail until it is).
   */
  writeFast(out: ChunkWriter, event: EventParts): boolean {
    const { canonical } = event;
    // A lone surrogate: UTF-8 would write U+FFFD, JSON.stringify `\udxxx`.
    if (!canonical.isWellFormed()) return false;
    if (canonical.length * 3 + 1 > this.#bytes.length) {
      this.#bytes = Buffer.allocUnsafe(canonical.length * 3 + 1);
    }
    const s = this.#bytes;
    const n = s.write(canonical, 0);
    s[n] = 0;
    const spans = this.#spans;
    // The generic path reads actor.* and context.* (throwing when they are absent).
    if (!scanEntry(s, n, spans) || spans[2 * ENTRY.actor]! < 0 || spans[2 * ENTRY.context]! < 0) {
      return false;
    }
    if (spans[2 * ENTRY.chainIndex]! < 0) return false;
    // The derived cells as one string, written at once (a write per cell
    // cost more than joining them). Lowercase hex from the store: never a
    // formula, never quoted. Base64 holds no comma or quote, but may start
    // with + (a formula).
    const derived =
      event.leafHashHex +
      ',' +
      event.hashHex +
      ',' +
      event.previousHashHex +
      ',' +
      csvField(neutraliseCsvCell(event.keyId)) +
      ',' +
      neutraliseCsvCell(event.signatureBase64) +
      '\r\n';
    // Each cell at most doubles (JSON's quotes) and gains three bytes; UTF-16 is at most 3 bytes a unit.
    if (!out.reserve(2 * n + 3 * ENTRY_CELLS.length + 3 * derived.length)) return false;
    const o = out.buffer;
    let p = out.used;
    for (let c = 0; c < ENTRY_CELLS.length; c++) {
      const [slot, kind] = ENTRY_CELLS[c]!;
      const start = spans[2 * slot]!;
      const end = spans[2 * slot + 1]!;
      if (start >= 0) {
        p = kind === JSON_TEXT ? writeJson(s, start, end, o, p) : writePlain(s, start, end, o, p);
      }
      o[p++] = COMMA;
    }
    p += o.write(derived, p);
    out.commit(p);
    return true;
  }
}

/** The fast path's row of one event as text (see CsvRowWriter.writeFast), or null when it gives up. */
export function csvRowFast(event: EventParts): string | null {
  const out = new ChunkWriter();
  return new CsvRowWriter().writeFast(out, event)
    ? Buffer.concat(out.takeAll()).toString('utf8')
    : null;
}
