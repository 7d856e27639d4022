import type { ChunkWriter } from './chunk-writer.js';
import { storedEventJson, type EventParts } from './event-json.js';

// JSON export: one array of the events exactly as the API returns them,
// written incrementally (an opening bracket, one event per line, a closing
// bracket), so that it streams like NDJSON yet is one JSON document.

export const JSON_OPEN = '[\n';
/** Closes the array; `empty` when no event was written. */
export function jsonClose(empty: boolean): string {
  return empty ? ']\n' : '\n]\n';
}

/** Writes one page of events as array members; `first` is true for the page that opens the array. */
export function writeJsonRows(
  out: ChunkWriter,
  events: readonly EventParts[],
  first: boolean,
): void {
  for (let i = 0; i < events.length; i++) {
    out.write((first && i === 0 ? '' : ',\n') + storedEventJson(events[i]!));
  }
}
