// Limits and grammars of the event API (API.md "Events"). Defined once here so
// the TypeBox schemas (and through them the server's OpenAPI document), the
// hand-written checks and the error messages can never disagree.
//
// Every length below counts UTF-16 code units (JavaScript `String.length`), not
// code points: a character outside the Basic Multilingual Plane, such as most
// emoji, counts as two. API.md says "chars" without choosing; code units keep
// the check O(1) and bound storage (UTF-8 needs at most 3 bytes per unit).

/**
 * Every numeric limit of an event, as the API enforces it.
 *
 * @example
 * ```ts
 * if (items.length > EVENT_LIMITS.maxBatch) splitIntoChunks(items, EVENT_LIMITS.maxBatch);
 * ```
 */
export const EVENT_LIMITS = Object.freeze({
  /** Longest `action`. */
  maxActionLength: 128,
  /** Longest id (`actor.id`, `targets[].id`, `org`, `context.request_id`, `idempotency_key`). */
  maxIdLength: 256,
  /** Longest `actor.name`, `targets[].name` and `targets[].type`. */
  maxNameLength: 256,
  /** Longest `actor.email` (64 local + `@` + 255 domain, RFC 5321 §4.5.3.1). */
  maxEmailLength: 320,
  /** Most elements of `targets`. */
  maxTargets: 32,
  /** Most keys of one metadata object. */
  maxMetadataKeys: 64,
  /** Longest metadata key. */
  maxMetadataKeyLength: 128,
  /** Longest metadata string value. */
  maxMetadataString: 2048,
  /** Longest `description`. */
  maxDescription: 1024,
  /** Longest `context.user_agent`. */
  maxUserAgent: 1024,
  /** Longest `context.ip` (45 for IPv6 with embedded IPv4, plus a zone id). */
  maxIpLength: 64,
  /** Longest `occurred_at` as sent (room for nanoseconds and an offset). */
  maxTimestampLength: 64,
  /** Most events in one batch. */
  maxBatch: 1000,
  /** Most problems one validation reports (the last may say that more were left out). */
  maxProblems: 100,
  /** How far in the future `occurred_at` may lie (API.md: 5 minutes). */
  futureSkewMs: 5 * 60_000,
  /** Default backfill window: how far in the past `occurred_at` may lie (API.md: 365 days). */
  defaultBackfillWindowMs: 365 * 86_400_000,
} as const);

/**
 * `action`: 2 to 8 dot-separated segments, each `[a-z][a-z0-9_-]*`, at most
 * 128 characters in all (API.md "Events"). The length is part of the pattern
 * (a bounded look-ahead) so that the pattern alone is the whole rule. Linear
 * time: segments are separated by a character no segment may contain.
 *
 * @example
 * ```ts
 * ACTION_PATTERN.test('billing.invoice.paid'); // true
 * ACTION_PATTERN.test('login');                // false: one segment
 * ```
 */
export const ACTION_PATTERN =
  /^(?=[a-z0-9_.-]{3,128}$)[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*){1,7}$/;

/**
 * A metadata key: 1 to 128 characters of `A-Z a-z 0-9 _ . -`, not starting
 * with `.` or `-`, and not `__proto__`. API.md is silent; keys are
 * addressable as `metadata.<key>` in the `q` query language, so they must be
 * plain identifiers, and `__proto__` would be taken for the prototype by
 * JavaScript consumers of the log (Object.assign, `obj[key] = value`).
 *
 * @example
 * ```ts
 * METADATA_KEY_PATTERN.test('invoice.total_cents'); // true
 * METADATA_KEY_PATTERN.test('__proto__');           // false
 * ```
 */
export const METADATA_KEY_PATTERN = /^(?!__proto__$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * A plausible e-mail address: one `@`, no white space or control characters,
 * and a domain of at least two dot-separated labels. Deliberately permissive
 * (Unicode local parts and IDN domains pass, quoted local parts do not): the
 * log records what the customer's system says, it does not deliver mail.
 * Linear time: a domain label cannot contain the `.` that ends it.
 *
 * @example
 * ```ts
 * EMAIL_PATTERN.test('ada@example.com'); // true
 * ```
 */
export const EMAIL_PATTERN =
  // Control characters are named on purpose: they are what the class excludes.
  // eslint-disable-next-line no-control-regex
  /^[^\s@\u0000-\u001f\u007f]+@[^\s@.\u0000-\u001f\u007f]+(?:\.[^\s@.\u0000-\u001f\u007f]+)+$/;

/**
 * RFC 3339 §5.6 `date-time`, syntax only: `T`/`t`, `Z`/`z` or `±hh:mm`, a
 * fraction of any precision. Calendar validity (02-30, hour 24, ...) is
 * checked by {@link parseTimestamp}.
 *
 * @example
 * ```ts
 * RFC3339_PATTERN.test('2026-02-10T16:32:18.123456+02:00'); // true
 * ```
 */
export const RFC3339_PATTERN =
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The one timestamp form Logproof writes (PROOFS.md §2): UTC, exactly three
 * fractional digits, `Z`.
 *
 * @example
 * ```ts
 * NORMALIZED_TIMESTAMP_PATTERN.test('2026-02-10T14:32:18.123Z'); // true
 * ```
 */
export const NORMALIZED_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A SHA-256 hash in the API: 64 lowercase hex digits (PROOFS.md §3).
 *
 * @example
 * ```ts
 * HASH_HEX_PATTERN.test(event.leaf_hash);
 * ```
 */
export const HASH_HEX_PATTERN = /^[0-9a-f]{64}$/;

/**
 * An Ed25519 signature in the API: standard padded base64 of 64 bytes (PROOFS.md §6).
 *
 * @example
 * ```ts
 * SIGNATURE_BASE64_PATTERN.test(event.signature);
 * ```
 */
export const SIGNATURE_BASE64_PATTERN = /^[A-Za-z0-9+/]{86}==$/;

/**
 * A key ID in the API: 8 lowercase hex digits (PROOFS.md §5).
 *
 * @example
 * ```ts
 * KEY_ID_PATTERN.test('0a1b2c3d'); // true
 * ```
 */
export const KEY_ID_PATTERN = /^[0-9a-f]{8}$/;
