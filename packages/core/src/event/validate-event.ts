import type { TSchema } from '@sinclair/typebox';
import { Errors } from '@sinclair/typebox/errors';
import { LogproofError, type Problem } from '../errors.js';
import { checkEventRules, type RuleContext, type TimeWindow } from './event-rules.js';
import { isPlainObject, ownMember } from './json-data.js';
import { EVENT_LIMITS } from './limits.js';
import { normalizeEvent, type NormalizedEvent } from './normalize-event.js';
import { describeSchemaError, describeType, memberPath, ProblemList } from './problems.js';
import { matchesSchema } from './schema-check.js';
import { BatchItemSchema, EventInputSchema } from './schemas.js';

/**
 * What validation needs to know about the server.
 *
 * @example
 * ```ts
 * const options: ValidationOptions = { now: Date.now(), backfillWindowMs: config.backfillWindowMs };
 * ```
 */
export interface ValidationOptions {
  /** The receipt time, ms since the Unix epoch. */
  now: number;
  /** How old `occurred_at` may be, in ms (server setting; default {@link EVENT_LIMITS}.defaultBackfillWindowMs). */
  backfillWindowMs: number;
  /** How far ahead `occurred_at` may be, in ms (default 5 minutes). */
  futureSkewMs?: number;
}

/** Either the normalised value or every problem found (at most {@link EVENT_LIMITS}.maxProblems). */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

function resolveWindow(options: ValidationOptions): TimeWindow {
  const futureSkewMs = options.futureSkewMs ?? EVENT_LIMITS.futureSkewMs;
  // Bad options are the caller's bug, not bad input: they throw.
  if (!Number.isFinite(options.now) || !(options.backfillWindowMs >= 0) || !(futureSkewMs >= 0)) {
    throw new RangeError('ValidationOptions need a finite `now` and non-negative windows');
  }
  return { now: options.now, futureSkewMs, backfillWindowMs: options.backfillWindowMs };
}

/**
 * Validates one event object at `basePath` into `problems`; returns the
 * normalised event when this item has no problem.
 */
function validateItem(
  input: unknown,
  basePath: string,
  problems: ProblemList,
  window: TimeWindow,
  schema: TSchema,
): NormalizedEvent | undefined {
  if (!isPlainObject(input)) {
    problems.add(basePath, `must be a JSON object (got ${describeType(input)})`);
    return undefined;
  }
  let failed = false;
  const structurallyValid = matchesSchema(schema, input);
  const ctx: RuleContext = {
    problems,
    basePath,
    window,
    schemaValid: structurallyValid,
    report(path, message) {
      failed = true;
      problems.add(basePath + path, message);
    },
  };
  if (!structurallyValid) {
    // Errors() is lazy: stopping at the cap stops the walk.
    for (const error of Errors(schema, input)) {
      if (problems.full) break;
      const described = describeSchemaError(error);
      if (described === undefined || problems.has(basePath + described.path)) continue;
      ctx.report(described.path, described.message);
    }
  }
  const occurredAtMs = problems.full ? undefined : checkEventRules(ctx, input);
  if (!structurallyValid && !failed) {
    // Safety net: never accept what the schema refused, even if no message fit.
    ctx.report('', 'does not match the event schema');
  }
  return failed || !structurallyValid ? undefined : normalizeEvent(input, occurredAtMs);
}

function unreadable(problems: ProblemList, path: string): void {
  problems.add(path, 'could not be read as JSON data');
}

/**
 * Validates one `POST /v1/events` body (API.md "Events") and normalises it.
 * Collects every problem, not just the first (up to
 * {@link EVENT_LIMITS}.maxProblems, the last of which then says more were
 * left out), each with a JSON Pointer under `basePath` and a message a
 * developer can act on. Never throws on any input; throws RangeError only
 * for invalid `options`.
 *
 * @example
 * ```ts
 * const result = validateEventInput(JSON.parse(body), { now: Date.now(), backfillWindowMs: EVENT_LIMITS.defaultBackfillWindowMs });
 * if (!result.ok) return reply.code(400).send({ errors: result.problems });
 * append(result.value);
 * ```
 */
export function validateEventInput(
  input: unknown,
  options: ValidationOptions,
  basePath = '',
): ValidationResult<NormalizedEvent> {
  const window = resolveWindow(options);
  const problems = new ProblemList();
  let value: NormalizedEvent | undefined;
  try {
    value = validateItem(input, basePath, problems, window, EventInputSchema);
  } catch {
    // Only exotic non-JSON input (a throwing getter or Proxy) gets here.
    unreadable(problems, basePath);
  }
  return value !== undefined && problems.size === 0
    ? { ok: true, value }
    : { ok: false, problems: problems.toArray() };
}

function validateBatchItems(
  events: unknown[],
  problems: ProblemList,
  window: TimeWindow,
): NormalizedEvent[] {
  const accepted: NormalizedEvent[] = [];
  const firstIndexByKey = new Map<string, number>();
  for (let i = 0; i < events.length && !problems.full; i++) {
    const path = `/events/${i}`;
    const event = validateItem(events[i], path, problems, window, BatchItemSchema);
    if (event === undefined) continue;
    accepted.push(event);
    const key = event.idempotencyKey;
    if (key === undefined) continue;
    const first = firstIndexByKey.get(key);
    // API.md is silent; two items with one key would make a replay ambiguous.
    if (first !== undefined) {
      problems.add(
        `${path}/idempotency_key`,
        `repeats the idempotency_key of /events/${first}; each item needs its own`,
      );
    } else {
      firstIndexByKey.set(key, i);
    }
  }
  return accepted;
}

/**
 * Validates a `POST /v1/events/batch` body: `{ "events": [...] }` with 1 to
 * 1000 items, each an event plus an optional `idempotency_key` (unique within
 * the batch). All-or-nothing: the result is ok only when every item is.
 * Problem paths name the item, like `/events/17/action`. Never throws on any
 * input.
 *
 * @example
 * ```ts
 * const result = validateBatchInput(body, { now: Date.now(), backfillWindowMs });
 * if (result.ok) appendAll(result.value); // in request order
 * ```
 */
export function validateBatchInput(
  input: unknown,
  options: ValidationOptions,
): ValidationResult<NormalizedEvent[]> {
  const window = resolveWindow(options);
  const problems = new ProblemList();
  let value: NormalizedEvent[] | undefined;
  try {
    value = validateBatch(input, problems, window);
  } catch {
    unreadable(problems, '');
  }
  return value !== undefined && problems.size === 0
    ? { ok: true, value }
    : { ok: false, problems: problems.toArray() };
}

// The envelope is checked by hand rather than with BatchInputSchema so that a
// batch over the limit is refused before any item is looked at.
function validateBatch(
  input: unknown,
  problems: ProblemList,
  window: TimeWindow,
): NormalizedEvent[] | undefined {
  if (!isPlainObject(input)) {
    problems.add('', `must be a JSON object with an "events" array (got ${describeType(input)})`);
    return undefined;
  }
  for (const key of Object.keys(input)) {
    if (key === 'events') continue;
    const { path, prefix } = memberPath('', key);
    if (!problems.add(path, `${prefix}unknown member; allowed members here: events`)) break;
  }
  const events = ownMember(input, 'events');
  if (events === undefined) {
    problems.add('/events', 'is required');
  } else if (!Array.isArray(events)) {
    problems.add('/events', `must be an array (got ${describeType(events)})`);
  } else if (events.length === 0) {
    problems.add('/events', 'must hold at least 1 event');
  } else if (events.length > EVENT_LIMITS.maxBatch) {
    problems.add(
      '/events',
      `must hold at most ${EVENT_LIMITS.maxBatch} events (got ${events.length}); split it into several batches`,
    );
  } else {
    return validateBatchItems(events, problems, window);
  }
  return undefined;
}

function summarize(what: string, problems: readonly Problem[]): string {
  const first = problems[0];
  if (first === undefined) return `${what} is invalid`;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return `${what} is invalid: ${first.path || '/'} ${first.message}${more}`;
}

/**
 * Like {@link validateEventInput}, but returns the normalised event or throws
 * `ERR_VALIDATION` carrying every problem.
 *
 * @example
 * ```ts
 * const event = assertValidEventInput(body, { now: Date.now(), backfillWindowMs });
 * ```
 */
export function assertValidEventInput(
  input: unknown,
  options: ValidationOptions,
  basePath = '',
): NormalizedEvent {
  const result = validateEventInput(input, options, basePath);
  if (result.ok) return result.value;
  throw new LogproofError('ERR_VALIDATION', summarize('event', result.problems), {
    problems: result.problems,
  });
}

/**
 * Like {@link validateBatchInput}, but returns the normalised events or
 * throws `ERR_VALIDATION` carrying every problem.
 *
 * @example
 * ```ts
 * const events = assertValidBatchInput(body, { now: Date.now(), backfillWindowMs });
 * ```
 */
export function assertValidBatchInput(
  input: unknown,
  options: ValidationOptions,
): NormalizedEvent[] {
  const result = validateBatchInput(input, options);
  if (result.ok) return result.value;
  throw new LogproofError('ERR_VALIDATION', summarize('batch', result.problems), {
    problems: result.problems,
  });
}
