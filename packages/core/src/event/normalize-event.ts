import { ownMember } from './json-data.js';
import type { Actor, EntryType, EventContext, Metadata, Outcome, Target } from './schemas.js';
import { normalizeTimestamp } from './timestamp.js';

/**
 * An accepted, normalised event input: defaults filled in (`actor.type`
 * `user`, `entryType` `business`, `outcome` `success`, `targets` `[]` or the
 * one `target`, `metadata` `{}`, `context` `{}`), `occurredAt` in Logproof's
 * one timestamp form, or undefined when the sender left it to receipt time.
 * Every object is a fresh copy: the input can change afterwards without
 * changing this.
 */
export interface NormalizedEvent {
  /** External id or id of the org, as sent; the server resolves it. */
  org?: string;
  action: string;
  actor: Actor;
  targets: Target[];
  metadata: Metadata;
  context: EventContext;
  /** `2026-02-10T14:32:18.123Z` form; undefined means "use the receipt time". */
  occurredAt?: string;
  entryType: EntryType;
  outcome: Outcome;
  description?: string;
  /** Batch items only: the item's `idempotency_key`. */
  idempotencyKey?: string;
}

// The copies below read own members only and omit absent optional members
// rather than writing undefined: PROOFS.md §2 says optional members inside
// `actor` and `targets` are omitted, never null, and an undefined member
// would be refused by canonicalJson.

/** A copy of a metadata object; -0 becomes 0, as JCS would write it anyway. */
export function copyMetadata(metadata: Metadata): Metadata {
  const copy: Metadata = {};
  for (const key of Object.keys(metadata)) {
    const value = metadata[key]!;
    const data = value === 0 ? 0 : value;
    if (key === '__proto__') {
      // Assignment would set the copy's prototype (or do nothing for a
      // primitive); define it as the plain data member it is.
      Object.defineProperty(copy, key, {
        value: data,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = data;
    }
  }
  return copy;
}

/** A copy of an actor with `type` filled in (default `user`). */
export function copyActor(actor: Omit<Actor, 'type'> & { type?: Actor['type'] }): Actor {
  const source = actor as Record<string, unknown>;
  const copy: Actor = {
    id: actor.id,
    type: (ownMember(source, 'type') as Actor['type'] | undefined) ?? 'user',
  };
  const name = ownMember(source, 'name') as string | undefined;
  const email = ownMember(source, 'email') as string | undefined;
  const metadata = ownMember(source, 'metadata') as Metadata | undefined;
  if (name !== undefined) copy.name = name;
  if (email !== undefined) copy.email = email;
  if (metadata !== undefined) copy.metadata = copyMetadata(metadata);
  return copy;
}

/** A copy of a target. */
export function copyTarget(target: Target): Target {
  const source = target as Record<string, unknown>;
  const copy: Target = { id: target.id, type: target.type };
  const name = ownMember(source, 'name') as string | undefined;
  const metadata = ownMember(source, 'metadata') as Metadata | undefined;
  if (name !== undefined) copy.name = name;
  if (metadata !== undefined) copy.metadata = copyMetadata(metadata);
  return copy;
}

/** A copy of a context object; `{}` when absent. */
export function copyContext(context: EventContext | undefined): EventContext {
  const copy: EventContext = {};
  if (context === undefined) return copy;
  const source = context as Record<string, unknown>;
  const ip = ownMember(source, 'ip') as string | undefined;
  const userAgent = ownMember(source, 'user_agent') as string | undefined;
  const requestId = ownMember(source, 'request_id') as string | undefined;
  if (ip !== undefined) copy.ip = ip;
  if (userAgent !== undefined) copy.user_agent = userAgent;
  if (requestId !== undefined) copy.request_id = requestId;
  return copy;
}

/**
 * Builds the normalised event from an input that has passed every check
 * (validate-event.ts); never call it on unchecked input. `occurredAtMs` is
 * `occurred_at` as the checks parsed it.
 */
export function normalizeEvent(
  input: Record<string, unknown>,
  occurredAtMs: number | undefined,
): NormalizedEvent {
  const member = (key: string) => ownMember(input, key);
  const target = member('target') as Target | undefined;
  const targets = member('targets') as Target[] | undefined;
  const metadata = member('metadata') as Metadata | undefined;
  const event: NormalizedEvent = {
    action: member('action') as string,
    actor: copyActor(member('actor') as Actor),
    targets:
      targets !== undefined
        ? targets.map(copyTarget)
        : target !== undefined
          ? [copyTarget(target)]
          : [],
    metadata: metadata === undefined ? {} : copyMetadata(metadata),
    context: copyContext(member('context') as EventContext | undefined),
    entryType: (member('entry_type') as EntryType | undefined) ?? 'business',
    outcome: (member('outcome') as Outcome | undefined) ?? 'success',
  };
  const org = member('org') as string | undefined;
  const occurredAt = member('occurred_at') as string | undefined;
  const description = member('description') as string | undefined;
  const idempotencyKey = member('idempotency_key') as string | undefined;
  if (org !== undefined) event.org = org;
  // PROOFS.md §2: an occurred_at with another offset or precision is normalised.
  if (occurredAt !== undefined && occurredAtMs !== undefined) {
    event.occurredAt = normalizeTimestamp(occurredAt, occurredAtMs);
  }
  if (description !== undefined) event.description = description;
  if (idempotencyKey !== undefined) event.idempotencyKey = idempotencyKey;
  return event;
}
