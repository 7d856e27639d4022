import type { StoredEvent } from '@logproof/core';

/**
 * What an exported event is made of: the stored canonical bytes and the
 * derived members as text (see ExportEventRow: the stores convert them).
 */
export interface EventParts {
  readonly canonical: string;
  readonly leafHashHex: string;
  readonly hashHex: string;
  readonly previousHashHex: string;
  readonly signatureBase64: string;
  readonly keyId: string;
}

/**
 * The event as the API returns it (PROOFS.md §2: the entry plus its five
 * derived members), as JSON text. The stored canonical JSON is spliced in
 * as it is rather than parsed and serialised again: the same members in the
 * same order, the entry's bytes untouched, and about three times faster on
 * the export hot path (bench/export-bench.mjs writes millions of them).
 * `canonical` is a JCS object (never `{}`: an entry has fifteen members), so
 * dropping its closing brace and appending members keeps it valid JSON.
 */
export function storedEventJson(event: EventParts): string {
  return (
    event.canonical.slice(0, -1) +
    ',"leaf_hash":"' +
    event.leafHashHex +
    '","hash":"' +
    event.hashHex +
    '","previous_hash":"' +
    event.previousHashHex +
    '","signature":"' +
    event.signatureBase64 +
    // Quoted by JSON.stringify: a row edited behind the server's back must
    // still give valid JSON (which then fails verification, as it should).
    '","key_id":' +
    JSON.stringify(event.keyId) +
    '}'
  );
}

/** The event as the API returns it, as a value (the entry parsed, derived members added). */
export function storedEvent(event: EventParts): StoredEvent {
  // The parsed entry is fresh and ours: the five members are added to it
  // rather than copied with it into another object.
  const entry = JSON.parse(event.canonical) as StoredEvent;
  entry.leaf_hash = event.leafHashHex;
  entry.hash = event.hashHex;
  entry.previous_hash = event.previousHashHex;
  entry.signature = event.signatureBase64;
  entry.key_id = event.keyId;
  return entry;
}
