// Event schema, validation, canonical JSON and the entry model (API.md
// "Events", PROOFS.md §2).
export {
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
export {
  ActorSchema,
  ActorTypeSchema,
  BatchInputSchema,
  BatchItemSchema,
  ContextSchema,
  EntryTypeSchema,
  EventEntrySchema,
  EventInputSchema,
  MetadataSchema,
  MetadataValueSchema,
  OutcomeSchema,
  StoredActorSchema,
  StoredEventSchema,
  TargetSchema,
  type Actor,
  type ActorInput,
  type ActorType,
  type BatchInput,
  type BatchItem,
  type EntryType,
  type EventContext,
  type EventEntry,
  type EventInput,
  type Metadata,
  type MetadataValue,
  type Outcome,
  type StoredEvent,
  type Target,
} from './schemas.js';
export { formatTimestamp, isNormalizedTimestamp, parseTimestamp } from './timestamp.js';
export { isValidIpAddress } from './ip-address.js';
export { canonicalBytes, canonicalizeEntry, canonicalJson } from './canonical-json.js';
export type { NormalizedEvent } from './normalize-event.js';
export {
  assertValidBatchInput,
  assertValidEventInput,
  validateBatchInput,
  validateEventInput,
  type ValidationOptions,
  type ValidationResult,
} from './validate-event.js';
export { buildEntry, entryFromEvent, type EntryFields } from './entry.js';
