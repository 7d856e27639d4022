import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { Problem } from '../errors.js';
import {
  ACTION_PATTERN,
  EMAIL_PATTERN,
  EVENT_LIMITS,
  METADATA_KEY_PATTERN,
  RFC3339_PATTERN,
} from './limits.js';
import { escapePointerSegment, unescapePointerSegment } from './json-data.js';
import { MetadataValueSchema } from './schemas.js';

// Turns TypeBox's value errors into problems a developer can act on, and
// keeps the list bounded: a hostile body with thousands of bad members costs
// at most `maxProblems` entries and stops the walk early.

/**
 * A key longer than this is named by its start only, at its parent's path:
 * 100 problems each repeating a megabyte-long key would make a huge response.
 */
const MAX_KEY_IN_PATH = 256;

/** An ordered, bounded, path-aware list of problems. */
export class ProblemList {
  private readonly items: Problem[] = [];
  private readonly paths = new Set<string>();
  private truncated = false;

  constructor(private readonly limit: number = EVENT_LIMITS.maxProblems) {}

  /** True once no more problems can be recorded; callers stop walking. */
  get full(): boolean {
    return this.truncated;
  }

  get size(): number {
    return this.items.length;
  }

  /** True when a problem was recorded at exactly `path`. */
  has(path: string): boolean {
    return this.paths.has(path);
  }

  /** Records a problem; false when the list is full (the caller should stop). */
  add(path: string, message: string): boolean {
    if (this.truncated) return false;
    if (this.items.length === this.limit - 1) {
      // Keep the last place for a note, so the list never exceeds `limit`.
      this.truncated = true;
      this.items.push({
        path: '',
        message: `more problems were found; only the first ${this.limit - 1} are listed`,
      });
      return false;
    }
    // JSON Pointers name members exactly, but a key with a lone surrogate
    // would make the error response itself ill-formed; U+FFFD stands in.
    const safePath = path.toWellFormed();
    this.items.push({ path: safePath, message });
    this.paths.add(safePath);
    return true;
  }

  toArray(): Problem[] {
    return [...this.items];
  }
}

/** Shows the start of a long or odd key in a message, JSON-quoted. */
export function quoteKey(key: string): string {
  const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  return JSON.stringify(shown.toWellFormed());
}

/** A member path, or the parent's path when the key is too long to repeat. */
export function memberPath(parent: string, key: string): { path: string; prefix: string } {
  if (key.length > MAX_KEY_IN_PATH) {
    return { path: parent, prefix: `member ${quoteKey(key)} (${key.length} characters): ` };
  }
  return { path: `${parent}/${escapePointerSegment(key)}`, prefix: '' };
}

function formatBound(bound: unknown): string {
  if (bound === Number.MAX_SAFE_INTEGER) return '2^53 - 1';
  if (bound === -Number.MAX_SAFE_INTEGER) return '-(2^53 - 1)';
  return String(bound);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const PATTERN_MESSAGES = new Map<string, string>([
  [
    ACTION_PATTERN.source,
    `must be 2 to 8 dot-separated segments, each a lowercase letter followed by lowercase ` +
      `letters, digits, '_' or '-', at most ${EVENT_LIMITS.maxActionLength} characters ` +
      `(e.g. "user.login", "billing.invoice.paid")`,
  ],
  [EMAIL_PATTERN.source, 'must be an e-mail address such as "ada@example.com"'],
  [
    RFC3339_PATTERN.source,
    'must be an RFC 3339 date-time such as "2026-02-10T14:32:18.123Z" or "2026-02-10T16:32:18+02:00"',
  ],
  [
    METADATA_KEY_PATTERN.source,
    `keys are 1 to ${EVENT_LIMITS.maxMetadataKeyLength} characters of A-Z a-z 0-9 _ . - and may not start with . or -`,
  ],
]);

/** Explains why a value is not a metadata value, from what it is. */
export function describeMetadataValue(value: unknown): string {
  if (value === null) return 'null is not allowed; omit the key instead';
  if (typeof value === 'string') {
    return `must be at most ${EVENT_LIMITS.maxMetadataString} characters (got ${value.length})`;
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      return 'floats are not allowed; send an integer (e.g. cents) or a string';
    }
    return 'integers must be safe (between -(2^53 - 1) and 2^53 - 1); send larger ones as strings';
  }
  if (typeof value === 'object') {
    return 'nested objects and arrays are not allowed: metadata is flat; flatten to dotted keys such as "address.city"';
  }
  return 'must be a string, a safe integer or a boolean';
}

/** What a value is, for messages: 'null', 'an array', 'an object', 'a string', ... */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

function describeUnion(error: ValueError): string {
  if (error.schema === MetadataValueSchema) return describeMetadataValue(error.value);
  const variants = (error.schema.anyOf ?? []) as { const?: unknown }[];
  const consts = variants.map((variant) => variant.const).filter((c) => typeof c === 'string');
  if (consts.length === variants.length && consts.length > 0) {
    return `must be one of ${consts.map((c) => `"${c}"`).join(', ')}`;
  }
  return `is not an accepted value (got ${describeType(error.value)})`;
}

function lengthOf(value: unknown): number {
  return typeof value === 'string' || Array.isArray(value) ? value.length : 0;
}

/**
 * The problem for one TypeBox error: a path relative to the validated value
 * and a message, or undefined when the error is left to the hand-written
 * checks (which say it better): bad metadata keys, unless `metadataKeys`.
 */
export function describeSchemaError(
  error: ValueError,
  options: { metadataKeys?: boolean } = {},
): { path: string; message: string } | undefined {
  const schema = error.schema;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const cut = error.path.lastIndexOf('/');
      const key = unescapePointerSegment(error.path.slice(cut + 1));
      const { path, prefix } = memberPath(error.path.slice(0, cut), key);
      if (schema.patternProperties !== undefined) {
        // A metadata object (a Record). TypeBox names only its first bad key,
        // so validation checks keys one by one by hand and skips this, unless
        // the caller asks for it (`metadataKeys`).
        if (options.metadataKeys !== true) return undefined;
        return { path, message: prefix + PATTERN_MESSAGES.get(METADATA_KEY_PATTERN.source)! };
      }
      const allowed = Object.keys(schema.properties ?? {}).join(', ');
      const hint =
        key === 'idempotency_key'
          ? '; for a single event send the Idempotency-Key header instead'
          : `; allowed members here: ${allowed}`;
      return { path, message: `${prefix}unknown member${hint}` };
    }
    case ValueErrorType.ObjectRequiredProperty:
      return { path: error.path, message: 'is required' };
    case ValueErrorType.Object:
      return {
        path: error.path,
        message: `must be a JSON object (got ${describeType(error.value)})`,
      };
    case ValueErrorType.ObjectMaxProperties: {
      const count =
        typeof error.value === 'object' && error.value !== null
          ? Object.keys(error.value).length
          : 0;
      return {
        path: error.path,
        message: `must have at most ${plural(schema.maxProperties, 'key')} (got ${count})`,
      };
    }
    case ValueErrorType.Array:
      return { path: error.path, message: `must be an array (got ${describeType(error.value)})` };
    case ValueErrorType.ArrayMaxItems:
      return {
        path: error.path,
        message: `must hold at most ${plural(schema.maxItems, 'item')} (got ${lengthOf(error.value)})`,
      };
    case ValueErrorType.ArrayMinItems:
      return { path: error.path, message: `must hold at least ${plural(schema.minItems, 'item')}` };
    case ValueErrorType.String:
      return { path: error.path, message: `must be a string (got ${describeType(error.value)})` };
    case ValueErrorType.StringMinLength:
      return {
        path: error.path,
        message:
          schema.minLength === 1
            ? 'must not be empty'
            : `must be at least ${plural(schema.minLength, 'character')}`,
      };
    case ValueErrorType.StringMaxLength:
      return {
        path: error.path,
        message: `must be at most ${plural(schema.maxLength, 'character')} (got ${lengthOf(error.value)})`,
      };
    case ValueErrorType.StringPattern:
      return {
        path: error.path,
        message: PATTERN_MESSAGES.get(schema.pattern) ?? 'has an invalid format',
      };
    case ValueErrorType.Integer:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return {
        path: error.path,
        message: `must be an integer from ${formatBound(schema.minimum)} to ${formatBound(schema.maximum)}`,
      };
    case ValueErrorType.Boolean:
      return { path: error.path, message: `must be a boolean (got ${describeType(error.value)})` };
    case ValueErrorType.Literal:
      return { path: error.path, message: `must be ${JSON.stringify(schema.const)}` };
    case ValueErrorType.Union:
      return { path: error.path, message: describeUnion(error) };
    default:
      return { path: error.path, message: error.message.toLowerCase() };
  }
}
