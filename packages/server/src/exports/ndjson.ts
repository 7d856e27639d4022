import type { ChunkWriter } from './chunk-writer.js';
import { storedEventJson, type EventParts } from './event-json.js';

// NDJSON export: one event per line, exactly as the API returns it (with its
// hashes, signature and key id), each line ending in LF. JSON text never
// holds a raw LF, so a line is always one whole event.

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/** Writes one page of events as NDJSON lines. */
export function writeNdjsonRows(out: ChunkWriter, events: readonly EventParts[]): void {
  for (const event of events) out.write(storedEventJson(event) + '\n');
}
