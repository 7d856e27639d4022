import { isLogproofError } from '../errors.js';
import { isValidIpAddress } from './ip-address.js';
import { isObjectLike, isPlainObject, ownMember } from './json-data.js';
import { EVENT_LIMITS, METADATA_KEY_PATTERN } from './limits.js';
import { memberPath, type ProblemList } from './problems.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';

// The rules of API.md "Events" that JSON Schema cannot state: well-formed
// Unicode, plain objects, metadata keys one by one, `target` XOR `targets`,
// the calendar and window of `occurred_at`, and IP address forms. They run
// after the TypeBox pass, on input that may still be malformed, so every read
// is type-guarded, and a path TypeBox already complained about is skipped:
// one problem per path, the first one found.

/** The window `occurred_at` must fall in, resolved from ValidationOptions. */
export interface TimeWindow {
  readonly now: number;
  readonly futureSkewMs: number;
  readonly backfillWindowMs: number;
}

/** Records problems under one base path (e.g. `/events/17`). */
export interface RuleContext {
  readonly problems: ProblemList;
  readonly basePath: string;
  readonly window: TimeWindow;
  /**
   * True when the TypeBox pass accepted the input, so its shape, lengths and
   * patterns hold and need no second look (metadata keys, for one).
   */
  readonly schemaValid: boolean;
  /** Called for each problem this item adds. */
  report(path: string, message: string): void;
}

const LONE_SURROGATE =
  'contains a lone surrogate (an unpaired UTF-16 code unit in U+D800-U+DFFF); strings must be well-formed Unicode';

function isFree(ctx: RuleContext, path: string): boolean {
  // Most bodies have no problem at all: then every path is free, and joining
  // the two path halves (a quarter of this pass's time) is skipped.
  if (ctx.problems.size === 0) return true;
  return !ctx.problems.full && !ctx.problems.has(ctx.basePath + path);
}

// U+0000 is valid Unicode but no PostgreSQL text value can hold it, and most
// SIEMs and spreadsheets truncate at it: refuse it on every backend alike.
const NUL_CHARACTER = 'contains U+0000 (NUL), which is not allowed in any string';

function checkString(ctx: RuleContext, path: string, value: unknown): void {
  if (typeof value !== 'string' || !isFree(ctx, path)) return;
  if (!value.isWellFormed()) ctx.report(path, LONE_SURROGATE);
  else if (value.includes('\u0000')) ctx.report(path, NUL_CHARACTER);
}

/** Checks that an object TypeBox accepted as an object is a plain JSON object. */
function checkPlain(
  ctx: RuleContext,
  path: string,
  value: unknown,
): value is Record<string, unknown> {
  if (!isObjectLike(value)) return false;
  if (isPlainObject(value)) return true;
  if (isFree(ctx, path)) ctx.report(path, 'must be a plain JSON object');
  return false;
}

// Returns the problem with a metadata key, if any. When the schema passed,
// every key already matches METADATA_KEY_PATTERN (so it is also well-formed).
function describeKeyProblem(ctx: RuleContext, key: string): string | undefined {
  if (ctx.schemaValid) return undefined;
  if (key === '__proto__') {
    return '"__proto__" is not allowed as a metadata key: JavaScript consumers of the log would treat it as the prototype';
  }
  if (!key.isWellFormed()) return `key ${LONE_SURROGATE}`;
  if (!METADATA_KEY_PATTERN.test(key)) {
    return `keys are 1 to ${EVENT_LIMITS.maxMetadataKeyLength} characters of A-Z a-z 0-9 _ . - and may not start with . or -`;
  }
  return undefined;
}

function checkMetadata(ctx: RuleContext, path: string, value: unknown): void {
  if (!checkPlain(ctx, path, value)) return;
  const keys = Object.keys(value);
  // Over the limit, TypeBox has said so; walking thousands of keys would only
  // produce more of the same.
  if (keys.length > EVENT_LIMITS.maxMetadataKeys) return;
  for (const key of keys) {
    if (ctx.problems.full) return;
    const keyProblem = describeKeyProblem(ctx, key);
    const member = value[key];
    // Paths are built only for a problem: this loop is on the append path.
    if (keyProblem !== undefined) {
      const { path: keyPath, prefix } = memberPath(path, key);
      ctx.report(keyPath, prefix + keyProblem);
    } else if (
      typeof member === 'string' &&
      (!member.isWellFormed() || member.includes('\u0000'))
    ) {
      checkString(ctx, memberPath(path, key).path, member);
    }
  }
}

function checkTarget(ctx: RuleContext, path: string, value: unknown): void {
  if (!checkPlain(ctx, path, value)) return;
  checkString(ctx, `${path}/id`, ownMember(value, 'id'));
  checkString(ctx, `${path}/type`, ownMember(value, 'type'));
  checkString(ctx, `${path}/name`, ownMember(value, 'name'));
  checkMetadata(ctx, `${path}/metadata`, ownMember(value, 'metadata'));
}

function checkActor(ctx: RuleContext, value: unknown): void {
  if (!checkPlain(ctx, '/actor', value)) return;
  checkString(ctx, '/actor/id', ownMember(value, 'id'));
  checkString(ctx, '/actor/name', ownMember(value, 'name'));
  checkString(ctx, '/actor/email', ownMember(value, 'email'));
  checkMetadata(ctx, '/actor/metadata', ownMember(value, 'metadata'));
}

function checkContext(ctx: RuleContext, value: unknown): void {
  if (!checkPlain(ctx, '/context', value)) return;
  const ip = ownMember(value, 'ip');
  checkString(ctx, '/context/ip', ip);
  if (typeof ip === 'string' && isFree(ctx, '/context/ip') && !isValidIpAddress(ip)) {
    ctx.report(
      '/context/ip',
      'must be an IPv4 address in dotted-decimal form (e.g. "203.0.113.7"; not "127.1", "0x7f.0.0.1" or "010.0.0.1") or an IPv6 address (e.g. "2001:db8::1")',
    );
  }
  checkString(ctx, '/context/user_agent', ownMember(value, 'user_agent'));
  checkString(ctx, '/context/request_id', ownMember(value, 'request_id'));
}

function describeDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${ms / 1000} seconds`;
}

function describeInstant(ms: number): string {
  try {
    return formatTimestamp(ms);
  } catch {
    return `${ms} ms since the epoch`;
  }
}

// Returns the parsed instant when occurred_at is present and acceptable.
function checkOccurredAt(ctx: RuleContext, value: unknown): number | undefined {
  const path = '/occurred_at';
  if (typeof value !== 'string' || !isFree(ctx, path)) return undefined;
  let ms: number;
  try {
    ms = parseTimestamp(value);
  } catch (error) {
    if (!isLogproofError(error)) throw error;
    ctx.report(path, error.message);
    return undefined;
  }
  const { now, futureSkewMs, backfillWindowMs } = ctx.window;
  if (ms > now + futureSkewMs) {
    ctx.report(
      path,
      `is more than ${describeDuration(futureSkewMs)} in the future (server time ${describeInstant(now)}); check the sender's clock`,
    );
  } else if (ms < now - backfillWindowMs) {
    ctx.report(
      path,
      `is older than the backfill window of ${describeDuration(backfillWindowMs)} (earliest accepted ${describeInstant(now - backfillWindowMs)})`,
    );
  } else {
    return ms;
  }
  return undefined;
}

/**
 * Applies every hand-written rule to one event object (already known to be a
 * plain object); problems go to `ctx.report` with paths relative to the
 * event. Returns the parsed `occurred_at` (ms) when it was sent and is
 * acceptable, so that it is parsed once.
 */
export function checkEventRules(
  ctx: RuleContext,
  input: Record<string, unknown>,
): number | undefined {
  const member = (key: string) => ownMember(input, key);
  checkString(ctx, '/org', member('org'));
  checkActor(ctx, member('actor'));
  const target = member('target');
  const targets = member('targets');
  if (target !== undefined && targets !== undefined && isFree(ctx, '/targets')) {
    ctx.report('/targets', 'send either "target" (one) or "targets" (a list), not both');
  }
  checkTarget(ctx, '/target', target);
  if (Array.isArray(targets) && targets.length <= EVENT_LIMITS.maxTargets) {
    for (let i = 0; i < targets.length && !ctx.problems.full; i++) {
      checkTarget(ctx, `/targets/${i}`, targets[i]);
    }
  }
  checkMetadata(ctx, '/metadata', member('metadata'));
  checkContext(ctx, member('context'));
  checkString(ctx, '/description', member('description'));
  checkString(ctx, '/idempotency_key', member('idempotency_key'));
  return checkOccurredAt(ctx, member('occurred_at'));
}
