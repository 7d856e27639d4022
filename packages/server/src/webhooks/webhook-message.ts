import type { StoredEvent } from '@logproof/core';
import { ACTION_FILTER_PATTERN } from '../query/event-filter.js';
import { toStoredEvent } from '../services/event-service.js';
import type { LogRow } from '../store/log-read-port.js';

/** The payload type of an event delivery (API.md "Webhooks (streams)"). */
export const EVENT_MESSAGE_TYPE = 'audit.event.created';
/** The payload type of POST /v1/webhooks/{id}/test. */
export const TEST_MESSAGE_TYPE = 'webhook.test';

/** At most this many action patterns per webhook. */
export const MAX_ACTION_PATTERNS = 50;

/** True for `user.login` and `user.*` (leading segments, then `.*`): the events list's action syntax. */
export function isActionPattern(text: string): boolean {
  return text.length <= 130 && ACTION_FILTER_PATTERN.test(text);
}

/** Whether `action` is selected by `patterns` (null: every action). `user.*` matches `user.mfa.enabled`. */
export function matchesActions(action: string, patterns: readonly string[] | null): boolean {
  if (patterns === null) return true;
  return patterns.some((p) =>
    p.endsWith('.*') ? action.startsWith(p.slice(0, -1)) : action === p,
  );
}

/**
 * The event exactly as the API returns it (PROOFS.md §2: the entry plus its
 * five derived members), from a log row read with its signature.
 */
export function eventOfRow(row: LogRow): StoredEvent {
  if (row.signature === null || row.keyId === null) {
    throw new Error(`eventOfRow: ${row.id} was read without its signature`);
  }
  return toStoredEvent({ ...row, signature: row.signature, keyId: row.keyId });
}

/**
 * The body of an event delivery, the same on every attempt: `{ type,
 * timestamp, data }` (Standard Webhooks payload structure), `data` the event
 * as the API returns it, so the receiver can verify it offline, `timestamp`
 * when it was recorded.
 */
export function eventMessageBody(event: StoredEvent): string {
  return JSON.stringify({ type: EVENT_MESSAGE_TYPE, timestamp: event.created_at, data: event });
}

/** One log row ready to deliver: its action (for the filter), and its body built on demand. */
export interface EventRowMessage {
  readonly action: string;
  body(): string;
}

const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * As `eventMessageBody(eventOfRow(row))`, without the parse-and-restringify
 * of the whole event: the stored canonical bytes (RFC 8785, which is what
 * JSON.stringify writes for them) are spliced in, and the five derived members
 * appended, in toStoredEvent's order. This is the delivery hot path: about a
 * tenth of a delivery's CPU (bench/webhook-bench.mjs). The one difference,
 * for an object with integer-like keys, is that they keep their canonical
 * order; the receiver parses the same JSON value.
 */
export function parseEventRow(row: LogRow): EventRowMessage {
  if (row.signature === null || row.keyId === null) {
    throw new Error(`parseEventRow: ${row.id} was read without its signature`);
  }
  const { signature, keyId } = row;
  const entry = JSON.parse(row.canonical) as { action: string; created_at: string };
  return {
    action: entry.action,
    body: () =>
      `{"type":"${EVENT_MESSAGE_TYPE}","timestamp":${JSON.stringify(entry.created_at)},"data":` +
      `${row.canonical.slice(0, -1)},"leaf_hash":"${bytes(row.leafHash).toString('hex')}",` +
      `"hash":"${bytes(row.hash).toString('hex')}","previous_hash":"${bytes(row.previousHash).toString('hex')}",` +
      `"signature":"${bytes(signature).toString('base64')}","key_id":${JSON.stringify(keyId)}}}`,
  };
}
