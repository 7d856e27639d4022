import { Type, type Static } from '@sinclair/typebox';
import {
  ACTION_PATTERN,
  EMAIL_PATTERN,
  EVENT_LIMITS,
  HASH_HEX_PATTERN,
  KEY_ID_PATTERN,
  METADATA_KEY_PATTERN,
  NORMALIZED_TIMESTAMP_PATTERN,
  RFC3339_PATTERN,
  SIGNATURE_BASE64_PATTERN,
} from './limits.js';

// The event schemas, defined once: the core validates with them (validate-event.ts),
// the server publishes them in its OpenAPI 3.1 document, the SDK derives its
// types from them. Descriptions state every rule API.md leaves open, so the
// published document is the whole contract. `additionalProperties: false`
// everywhere: API.md rejects unknown members anywhere.

const LENGTH_NOTE = 'Lengths count UTF-16 code units (an emoji outside the BMP counts as two).';

function idString(description: string, example: string) {
  return Type.String({
    minLength: 1,
    maxLength: EVENT_LIMITS.maxIdLength,
    description: `${description} 1 to ${EVENT_LIMITS.maxIdLength} characters, kept exactly as sent.`,
    examples: [example],
  });
}

function nameString(description: string, example: string) {
  return Type.String({
    minLength: 1,
    maxLength: EVENT_LIMITS.maxNameLength,
    description: `${description} 1 to ${EVENT_LIMITS.maxNameLength} characters.`,
    examples: [example],
  });
}

/**
 * One metadata value: a string (at most 2048 characters), a safe integer or a boolean.
 *
 * @example
 * ```ts
 * const values: MetadataValue[] = ['EUR', 12900, true];
 * ```
 */
export const MetadataValueSchema = Type.Union(
  [
    Type.String({ maxLength: EVENT_LIMITS.maxMetadataString }),
    Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
    Type.Boolean(),
  ],
  {
    description:
      `A string of at most ${EVENT_LIMITS.maxMetadataString} characters, a safe integer ` +
      '(|n| <= 2^53 - 1) or a boolean. No floats (send cents or a string), no null (omit the key), no nesting.',
  },
);

/**
 * A flat metadata object (API.md "Events" `metadata`).
 *
 * @example
 * ```ts
 * const metadata: Metadata = { plan: 'pro', seats: 12, sso: true };
 * ```
 */
export const MetadataSchema = Type.Record(
  Type.String({ pattern: METADATA_KEY_PATTERN.source }),
  MetadataValueSchema,
  {
    maxProperties: EVENT_LIMITS.maxMetadataKeys,
    additionalProperties: false,
    title: 'Metadata',
    description:
      `Flat object of at most ${EVENT_LIMITS.maxMetadataKeys} keys. Keys are 1 to ` +
      `${EVENT_LIMITS.maxMetadataKeyLength} characters of A-Z a-z 0-9 _ . - not starting with . or - ` +
      '(queryable as `metadata.<key>`), and not `__proto__`, which JavaScript consumers would ' +
      `take for the object's prototype. ${LENGTH_NOTE}`,
    examples: [{ plan: 'pro', seats: 12, sso: true }],
  },
);

/**
 * Who did it: `user` (default), `service` or `system`.
 *
 * @example
 * ```ts
 * const type: ActorType = 'service';
 * ```
 */
export const ActorTypeSchema = Type.Union(
  [Type.Literal('user'), Type.Literal('service'), Type.Literal('system')],
  { description: 'Kind of actor.', default: 'user' },
);

const actorId = idString("The actor's id in the customer's system.", 'user_2mZ8k1');
const actorName = nameString('Display name of the actor.', 'Ada Lovelace');
const actorEmail = Type.String({
  maxLength: EVENT_LIMITS.maxEmailLength,
  pattern: EMAIL_PATTERN.source,
  description:
    `A plausible e-mail address (one @, no white space, a dotted domain), at most ` +
    `${EVENT_LIMITS.maxEmailLength} characters. It is recorded, never used to send mail.`,
  examples: ['ada@example.com'],
});

/**
 * The actor as sent: `type` may be omitted and defaults to `user`.
 *
 * @example
 * ```ts
 * const actor: ActorInput = { id: 'user_123', name: 'Ada', email: 'ada@example.com' };
 * ```
 */
export const ActorSchema = Type.Object(
  {
    id: actorId,
    type: Type.Optional(ActorTypeSchema),
    name: Type.Optional(actorName),
    email: Type.Optional(actorEmail),
    metadata: Type.Optional(MetadataSchema),
  },
  {
    additionalProperties: false,
    title: 'ActorInput',
    description: 'Who performed the action.',
    examples: [{ id: 'user_2mZ8k1', name: 'Ada Lovelace', email: 'ada@example.com' }],
  },
);

/**
 * The actor as stored in an entry: `type` always present (PROOFS.md §2).
 *
 * @example
 * ```ts
 * const actor: Actor = { id: 'user_123', type: 'user' };
 * ```
 */
export const StoredActorSchema = Type.Object(
  {
    id: actorId,
    type: ActorTypeSchema,
    name: Type.Optional(actorName),
    email: Type.Optional(actorEmail),
    metadata: Type.Optional(MetadataSchema),
  },
  {
    additionalProperties: false,
    title: 'Actor',
    description: 'Who performed the action; optional members are omitted when absent, never null.',
  },
);

/**
 * What the action was done to.
 *
 * @example
 * ```ts
 * const target: Target = { id: 'inv_42', type: 'invoice' };
 * ```
 */
export const TargetSchema = Type.Object(
  {
    id: idString("The target's id in the customer's system.", 'inv_8812'),
    type: nameString('Kind of target, chosen by the customer.', 'invoice'),
    name: Type.Optional(nameString('Display name of the target.', 'Invoice #8812')),
    metadata: Type.Optional(MetadataSchema),
  },
  {
    additionalProperties: false,
    title: 'Target',
    description: 'An object the action was performed on.',
    examples: [{ id: 'inv_8812', type: 'invoice', name: 'Invoice #8812' }],
  },
);

/**
 * Where the request came from.
 *
 * @example
 * ```ts
 * const context: EventContext = { ip: '203.0.113.7', user_agent: 'curl/8.5.0' };
 * ```
 */
export const ContextSchema = Type.Object(
  {
    ip: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: EVENT_LIMITS.maxIpLength,
        description:
          'IPv4 in dotted-decimal form (four decimal parts, no leading zeros: not `127.1`, ' +
          '`0x7f.0.0.1` or `010.0.0.1`) or IPv6 (RFC 4291 §2.2, optional zone id). Kept as sent.',
        examples: ['203.0.113.7', '2001:db8::1'],
      }),
    ),
    user_agent: Type.Optional(
      Type.String({
        maxLength: EVENT_LIMITS.maxUserAgent,
        description: `The client's User-Agent, at most ${EVENT_LIMITS.maxUserAgent} characters.`,
      }),
    ),
    request_id: Type.Optional(idString("The request id in the customer's system.", 'req_7Hq2')),
  },
  {
    additionalProperties: false,
    title: 'EventContext',
    description: 'Request context of the event.',
  },
);

/**
 * The event's category: `business` (default), `auth`, `system`, `database`.
 *
 * @example
 * ```ts
 * const entryType: EntryType = 'auth';
 * ```
 */
export const EntryTypeSchema = Type.Union(
  [
    Type.Literal('business'),
    Type.Literal('auth'),
    Type.Literal('system'),
    Type.Literal('database'),
  ],
  { description: 'Category of the event.', default: 'business' },
);

/**
 * Whether the action succeeded: `success` (default) or `failure`.
 *
 * @example
 * ```ts
 * const outcome: Outcome = 'failure';
 * ```
 */
export const OutcomeSchema = Type.Union([Type.Literal('success'), Type.Literal('failure')], {
  description: 'Whether the action succeeded.',
  default: 'success',
});

const actionSchema = Type.String({
  maxLength: EVENT_LIMITS.maxActionLength,
  pattern: ACTION_PATTERN.source,
  description:
    'What happened: 2 to 8 dot-separated segments, each a lowercase letter followed by ' +
    `lowercase letters, digits, _ or -, at most ${EVENT_LIMITS.maxActionLength} characters.`,
  examples: ['user.login', 'billing.invoice.paid'],
});

const descriptionSchema = Type.String({
  maxLength: EVENT_LIMITS.maxDescription,
  description: `A human sentence, at most ${EVENT_LIMITS.maxDescription} characters.`,
  examples: ['Ada paid invoice #8812'],
});

const eventInputProperties = {
  org: Type.Optional(
    idString('External id or id of the org; the default org when absent.', 'acme-prod'),
  ),
  action: actionSchema,
  actor: ActorSchema,
  target: Type.Optional(TargetSchema),
  targets: Type.Optional(
    Type.Array(TargetSchema, {
      maxItems: EVENT_LIMITS.maxTargets,
      description: `At most ${EVENT_LIMITS.maxTargets} targets. Not together with \`target\`.`,
    }),
  ),
  metadata: Type.Optional(MetadataSchema),
  context: Type.Optional(ContextSchema),
  occurred_at: Type.Optional(
    Type.String({
      maxLength: EVENT_LIMITS.maxTimestampLength,
      pattern: RFC3339_PATTERN.source,
      description:
        'RFC 3339 date-time (any offset, any fractional precision), stored as UTC with exactly ' +
        'three fractional digits (extra digits are truncated). Defaults to the receipt time. ' +
        'At most 5 minutes in the future and no older than the backfill window (default 365 ' +
        'days). Leap seconds (:60) are refused: send 23:59:59.999Z.',
      examples: ['2026-02-10T14:32:18.123Z'],
    }),
  ),
  entry_type: Type.Optional(EntryTypeSchema),
  outcome: Type.Optional(OutcomeSchema),
  description: Type.Optional(descriptionSchema),
};

// JSON Schema cannot say "not both" more plainly than this; the validator also
// checks it by hand so the message can say what to do.
const notBothTargetForms = { not: { required: ['target', 'targets'] } };

const eventExample = {
  action: 'billing.invoice.paid',
  actor: { id: 'user_2mZ8k1', name: 'Ada Lovelace', email: 'ada@example.com' },
  target: { id: 'inv_8812', type: 'invoice' },
  metadata: { amount_cents: 12900, currency: 'EUR' },
  context: { ip: '203.0.113.7' },
};

/**
 * Body of `POST /v1/events` (API.md "Events").
 *
 * @example
 * ```ts
 * const body: EventInput = { action: 'user.login', actor: { id: 'user_123' } };
 * ```
 */
export const EventInputSchema = Type.Object(eventInputProperties, {
  additionalProperties: false,
  title: 'EventInput',
  description:
    'One audit event. Unknown members anywhere are rejected; strings are kept exactly as sent ' +
    `(nothing is trimmed) and must be well-formed Unicode. ${LENGTH_NOTE}`,
  examples: [eventExample],
  ...notBothTargetForms,
});

/**
 * One item of `POST /v1/events/batch`: an event plus an optional `idempotency_key`.
 *
 * @example
 * ```ts
 * const item: BatchItem = { action: 'user.login', actor: { id: 'u1' }, idempotency_key: 'k-1' };
 * ```
 */
export const BatchItemSchema = Type.Object(
  {
    ...eventInputProperties,
    idempotency_key: Type.Optional(
      idString(
        'Idempotency key of this item (the batch form of the Idempotency-Key header); unique within the batch.',
        '9f1c0d2e-item-1',
      ),
    ),
  },
  {
    additionalProperties: false,
    title: 'BatchItem',
    description: 'One event of a batch.',
    ...notBothTargetForms,
  },
);

/**
 * Body of `POST /v1/events/batch`: 1 to 1000 events, all-or-nothing.
 *
 * @example
 * ```ts
 * const body: BatchInput = { events: [{ action: 'user.login', actor: { id: 'u1' } }] };
 * ```
 */
export const BatchInputSchema = Type.Object(
  {
    events: Type.Array(BatchItemSchema, {
      minItems: 1,
      maxItems: EVENT_LIMITS.maxBatch,
      description: `1 to ${EVENT_LIMITS.maxBatch} events, appended in request order.`,
    }),
  },
  { additionalProperties: false, title: 'BatchInput', examples: [{ events: [eventExample] }] },
);

const timestampSchema = (description: string) =>
  Type.String({
    pattern: NORMALIZED_TIMESTAMP_PATTERN.source,
    description: `${description} RFC 3339 UTC with exactly three fractional digits and Z.`,
    examples: ['2026-02-10T14:32:18.123Z'],
  });

const eventEntryProperties = {
  v: Type.Literal(1, { description: 'Entry format version.' }),
  id: idString('The event id.', 'evt_2mZ8k1Qz'),
  org: idString("The org's id (not its external id).", 'org_2mZ8k1'),
  org_external_id: idString("The org's external id at write time.", 'acme-prod'),
  chain_index: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: "The event's 0-based position in its org's log.",
  }),
  action: actionSchema,
  actor: StoredActorSchema,
  targets: Type.Array(TargetSchema, {
    maxItems: EVENT_LIMITS.maxTargets,
    description: '`[]` when none.',
  }),
  metadata: MetadataSchema,
  context: ContextSchema,
  occurred_at: timestampSchema('When it happened (as sent, normalised), or the receipt time.'),
  created_at: timestampSchema('Receipt time.'),
  entry_type: EntryTypeSchema,
  outcome: OutcomeSchema,
  description: Type.Optional(descriptionSchema),
};

/**
 * The entry of an event: exactly the members PROOFS.md §2 lists, the object
 * whose JCS bytes are hashed and signed.
 *
 * @example
 * ```ts
 * const bytes = canonicalBytes(entry satisfies EventEntry);
 * ```
 */
export const EventEntrySchema = Type.Object(eventEntryProperties, {
  additionalProperties: false,
  title: 'EventEntry',
  description: 'The signed content of an event (PROOFS.md §2).',
});

/**
 * An event as the API returns it: the entry plus exactly five derived
 * members (PROOFS.md §2).
 *
 * @example
 * ```ts
 * const entry = entryFromEvent(await (await fetch(url)).json());
 * ```
 */
export const StoredEventSchema = Type.Object(
  {
    ...eventEntryProperties,
    leaf_hash: Type.String({
      pattern: HASH_HEX_PATTERN.source,
      description: 'SHA-256(0x00 || canonical bytes), hex (PROOFS.md §3).',
    }),
    hash: Type.String({
      pattern: HASH_HEX_PATTERN.source,
      description: 'SHA-256(previous_hash || leaf_hash), hex (PROOFS.md §3).',
    }),
    previous_hash: Type.String({
      pattern: HASH_HEX_PATTERN.source,
      description: 'hash of the previous event, or 32 zero bytes at chain_index 0, hex.',
    }),
    signature: Type.String({
      pattern: SIGNATURE_BASE64_PATTERN.source,
      description: 'Ed25519 signature of the canonical bytes, base64 (PROOFS.md §6).',
    }),
    key_id: Type.String({
      pattern: KEY_ID_PATTERN.source,
      description: 'ID of the signing key, 8 hex digits (PROOFS.md §5).',
    }),
  },
  { additionalProperties: false, title: 'Event', description: 'A stored, signed event.' },
);

export type MetadataValue = Static<typeof MetadataValueSchema>;
export type Metadata = Static<typeof MetadataSchema>;
export type ActorType = Static<typeof ActorTypeSchema>;
/** The actor as sent (`type` optional). */
export type ActorInput = Static<typeof ActorSchema>;
/** The actor as stored (`type` filled in). */
export type Actor = Static<typeof StoredActorSchema>;
export type Target = Static<typeof TargetSchema>;
export type EventContext = Static<typeof ContextSchema>;
export type EntryType = Static<typeof EntryTypeSchema>;
export type Outcome = Static<typeof OutcomeSchema>;
export type EventInput = Static<typeof EventInputSchema>;
export type BatchItem = Static<typeof BatchItemSchema>;
export type BatchInput = Static<typeof BatchInputSchema>;
export type EventEntry = Static<typeof EventEntrySchema>;
export type StoredEvent = Static<typeof StoredEventSchema>;
