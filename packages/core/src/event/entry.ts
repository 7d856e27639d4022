import { Errors } from '@sinclair/typebox/errors';
import { LogproofError, type Problem } from '../errors.js';
import { isPlainObject } from './json-data.js';
import { EVENT_LIMITS } from './limits.js';
import {
  copyActor,
  copyContext,
  copyMetadata,
  copyTarget,
  type NormalizedEvent,
} from './normalize-event.js';
import { describeSchemaError, ProblemList } from './problems.js';
import { matchesSchema } from './schema-check.js';
import { StoredEventSchema, type EventEntry, type StoredEvent } from './schemas.js';
import { isNormalizedTimestamp } from './timestamp.js';

/** What the server decides when it appends an event (PROOFS.md §1, §2). */
export interface EntryFields {
  /** The event id (`evt_...`). */
  id: string;
  /** The org's id (`org_...`), not its external id. */
  org: string;
  /** The org's external id at write time. */
  orgExternalId: string;
  /** The event's 0-based position in its org's log. */
  chainIndex: number;
  /** Receipt time, as {@link formatTimestamp} writes it. */
  createdAt: string;
}

function invalid(problems: Problem[], what: string): never {
  const first = problems[0];
  const detail = first === undefined ? '' : `: ${first.path || '/'} ${first.message}`;
  throw new LogproofError('ERR_VALIDATION', `${what}${detail}`, { problems });
}

function checkFields(fields: EntryFields): void {
  const problems: Problem[] = [];
  const isId = (value: unknown) =>
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= EVENT_LIMITS.maxIdLength &&
    value.isWellFormed();
  if (!isId(fields.id))
    problems.push({ path: '/id', message: 'must be an id of 1 to 256 characters' });
  if (!isId(fields.org))
    problems.push({ path: '/org', message: 'must be an id of 1 to 256 characters' });
  if (!isId(fields.orgExternalId)) {
    problems.push({ path: '/org_external_id', message: 'must be an id of 1 to 256 characters' });
  }
  if (!Number.isSafeInteger(fields.chainIndex) || fields.chainIndex < 0) {
    problems.push({ path: '/chain_index', message: 'must be a non-negative safe integer' });
  }
  if (!isNormalizedTimestamp(fields.createdAt)) {
    problems.push({
      path: '/created_at',
      message: 'must be a timestamp like 2026-02-10T14:32:18.123Z',
    });
  }
  if (problems.length > 0) invalid(problems, 'cannot build the entry');
}

/**
 * Builds the entry of an event, exactly as PROOFS.md §2 lists it: `v` 1, the
 * server's fields, the normalised input with defaults filled in, `occurred_at`
 * falling back to `created_at`, and `description` only when sent. Optional
 * members are omitted, never null. The result shares nothing with `event`.
 * Throws `ERR_VALIDATION` when a field is malformed.
 *
 * @example
 * ```ts
 * const entry = buildEntry(event, {
 *   id: 'evt_01', org: 'org_01', orgExternalId: 'acme-prod', chainIndex: 0,
 *   createdAt: formatTimestamp(Date.now()),
 * });
 * const bytes = canonicalBytes(entry);
 * ```
 */
export function buildEntry(event: NormalizedEvent, fields: EntryFields): EventEntry {
  checkFields(fields);
  if (event.occurredAt !== undefined && !isNormalizedTimestamp(event.occurredAt)) {
    invalid(
      [{ path: '/occurred_at', message: 'must be normalised (2026-02-10T14:32:18.123Z)' }],
      'cannot build the entry',
    );
  }
  const entry: EventEntry = {
    v: 1,
    id: fields.id,
    org: fields.org,
    org_external_id: fields.orgExternalId,
    chain_index: fields.chainIndex,
    action: event.action,
    actor: copyActor(event.actor),
    targets: event.targets.map(copyTarget),
    metadata: copyMetadata(event.metadata),
    context: copyContext(event.context),
    occurred_at: event.occurredAt ?? fields.createdAt,
    created_at: fields.createdAt,
    entry_type: event.entryType,
    outcome: event.outcome,
  };
  if (event.description !== undefined) entry.description = event.description;
  return entry;
}

/**
 * The entry of an event as the API returns it: the event minus exactly its
 * five derived members `leaf_hash`, `hash`, `previous_hash`, `signature` and
 * `key_id` (PROOFS.md §2). Takes `unknown` so that parsed JSON can be passed
 * as it is; a {@link StoredEvent} is of course accepted. Throws `ERR_VALIDATION`, with every problem, when
 * the event does not have exactly the stored-event shape: any extra member
 * would otherwise go unsigned. The returned object shares nested objects with
 * `event`.
 *
 * @example
 * ```ts
 * const event = await (await fetch(`${base}/v1/events/${id}`)).json();
 * const ok = equalBytes(leafHash(canonicalBytes(entryFromEvent(event))), parseHash(event.leaf_hash));
 * ```
 */
export function entryFromEvent(event: unknown): EventEntry {
  if (!isPlainObject(event)) {
    invalid([{ path: '', message: 'must be a JSON object' }], 'not a stored event');
  }
  if (!matchesSchema(StoredEventSchema, event)) {
    const problems = new ProblemList();
    for (const error of Errors(StoredEventSchema, event)) {
      const described = describeSchemaError(error, { metadataKeys: true });
      if (described === undefined || problems.has(described.path)) continue;
      if (!problems.add(described.path, described.message)) break;
    }
    if (problems.size === 0) problems.add('', 'does not match the stored event schema');
    invalid(problems.toArray(), 'not a stored event');
  }
  const {
    leaf_hash: _leafHash,
    hash: _hash,
    previous_hash: _previousHash,
    signature: _signature,
    key_id: _keyId,
    ...entry
  } = event as StoredEvent;
  return entry;
}
