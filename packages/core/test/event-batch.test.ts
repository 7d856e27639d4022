import { describe, expect, it } from 'vitest';
import {
  EVENT_LIMITS,
  assertValidBatchInput,
  isLogproofError,
  validateBatchInput,
} from '../src/index.js';
import { OPTIONS, batchProblemsOf, fullEvent, minimalEvent } from './event-fixtures.js';

const events = (n: number, make = minimalEvent) => Array.from({ length: n }, make);

describe('validateBatchInput', () => {
  it('accepts 1 to 1000 events and keeps their order', () => {
    const input = {
      events: events(EVENT_LIMITS.maxBatch, () => minimalEvent()).map((e, i) => ({
        ...e,
        description: `#${i}`,
      })),
    };
    const result = validateBatchInput(input, OPTIONS);
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.value.map((e) => e.description)).toEqual(
        input.events.map((e) => e.description),
      );
  });

  it('refuses 1001 events with one problem, before looking at any item', () => {
    const input = { events: events(EVENT_LIMITS.maxBatch + 1, () => ({ action: 'bad' })) };
    expect(batchProblemsOf(input)).toEqual([
      {
        path: '/events',
        message: 'must hold at most 1000 events (got 1001); split it into several batches',
      },
    ]);
  });

  it('refuses an empty, missing or non-array events member', () => {
    expect(batchProblemsOf({ events: [] })).toEqual([
      { path: '/events', message: 'must hold at least 1 event' },
    ]);
    expect(batchProblemsOf({})).toEqual([{ path: '/events', message: 'is required' }]);
    expect(batchProblemsOf({ events: {} })).toEqual([
      { path: '/events', message: 'must be an array (got an object)' },
    ]);
    expect(batchProblemsOf([minimalEvent()])[0]!.path).toBe('');
  });

  it('refuses unknown members of the envelope', () => {
    expect(batchProblemsOf({ events: events(1), dry_run: true })).toEqual([
      { path: '/dry_run', message: 'unknown member; allowed members here: events' },
    ]);
  });

  it('names each bad item by its index, like /events/17/action', () => {
    const list: Record<string, unknown>[] = events(20);
    list[17] = { ...minimalEvent(), action: 'Login' };
    list[3] = { ...minimalEvent(), actor: { id: 'u', type: 'robot' } };
    expect(batchProblemsOf({ events: list }).map((p) => p.path)).toEqual([
      '/events/3/actor/type',
      '/events/17/action',
    ]);
  });

  it('is all-or-nothing: one bad item fails the batch', () => {
    const result = validateBatchInput(
      { events: [fullEvent(), fullEvent(), { action: 'x.y' }] },
      OPTIONS,
    );
    expect(result.ok).toBe(false);
  });

  it("carries each item's idempotency_key, 1 to 256 characters", () => {
    const input = {
      events: [{ ...minimalEvent(), idempotency_key: 'k'.repeat(256) }, minimalEvent()],
    };
    const result = validateBatchInput(input, OPTIONS);
    expect(result.ok && result.value.map((e) => e.idempotencyKey)).toEqual([
      'k'.repeat(256),
      undefined,
    ]);
    expect(
      batchProblemsOf({ events: [{ ...minimalEvent(), idempotency_key: 'k'.repeat(257) }] }).map(
        (p) => p.path,
      ),
    ).toEqual(['/events/0/idempotency_key']);
    expect(
      batchProblemsOf({ events: [{ ...minimalEvent(), idempotency_key: '' }] }).map((p) => p.path),
    ).toEqual(['/events/0/idempotency_key']);
  });

  it('refuses an idempotency_key used twice in one batch', () => {
    const input = {
      events: [
        { ...minimalEvent(), idempotency_key: 'a' },
        minimalEvent(),
        { ...minimalEvent(), idempotency_key: 'a' },
      ],
    };
    expect(batchProblemsOf(input)).toEqual([
      {
        path: '/events/2/idempotency_key',
        message: 'repeats the idempotency_key of /events/0; each item needs its own',
      },
    ]);
  });

  it('caps the problems of a batch of a thousand bad items', () => {
    const problems = batchProblemsOf({
      events: events(1000, () => ({ action: 'x', actor: { id: '' } })),
    });
    expect(problems).toHaveLength(EVENT_LIMITS.maxProblems);
    expect(problems[0]!.path).toBe('/events/0/action');
    expect(problems.at(-1)!.message).toMatch(/more problems were found/);
  });

  it('throws ERR_VALIDATION with the item paths from assertValidBatchInput', () => {
    try {
      assertValidBatchInput({ events: [minimalEvent(), { action: 'x' }] }, OPTIONS);
      expect.unreachable();
    } catch (error) {
      expect(isLogproofError(error, 'ERR_VALIDATION')).toBe(true);
      expect(
        (error as { problems: { path: string }[] }).problems.map((p) => p.path).sort(),
      ).toEqual(['/events/1/action', '/events/1/actor']);
    }
  });
});
