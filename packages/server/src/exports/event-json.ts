import type { StoredEvent } from '@logproof/core';
import type { EventRecord } from '../store/records.js';

/** What an exported event is made of: the stored canonical bytes and the derived members. */
export type EventParts = Pick<
  EventRecord,
  'canonical' | 'leafHash' | 'hash' | 'previousHash' | 'signature' | 'keyId'
>;

function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
    `,"leaf_hash":"${buffer(event.leafHash).toString('hex')}"` +
    `,"hash":"${buffer(event.hash).toString('hex')}"` +
    `,"previous_hash":"${buffer(event.previousHash).toString('hex')}"` +
    `,"signature":"${buffer(event.signature).toString('base64')}"` +
    // Quoted by JSON.stringify: a row edited behind the server's back must
    // still give valid JSON (which then fails verification, as it should).
    `,"key_id":${JSON.stringify(event.keyId)}}`
  );
}

/** The event as the API returns it, as a value (the entry parsed, derived members added). */
export function storedEvent(event: EventParts): StoredEvent {
  // The parsed entry is fresh and ours: the five members are added to it
  // rather than copied with it into another object (hot path of CSV exports).
  const entry = JSON.parse(event.canonical) as StoredEvent;
  entry.leaf_hash = buffer(event.leafHash).toString('hex');
  entry.hash = buffer(event.hash).toString('hex');
  entry.previous_hash = buffer(event.previousHash).toString('hex');
  entry.signature = buffer(event.signature).toString('base64');
  entry.key_id = event.keyId;
  return entry;
}
