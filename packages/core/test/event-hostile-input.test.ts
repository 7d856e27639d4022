import { describe, expect, it } from 'vitest';
import { EVENT_LIMITS, validateBatchInput, validateEventInput } from '../src/index.js';
import { OPTIONS, expectProblemAt, minimalEvent, problemsOf } from './event-fixtures.js';

// Every byte of a request body is attacker-controlled. Validation must never
// throw, and its answer must stay bounded whatever the input's size.

describe('validateEventInput on hostile input', () => {
  it.each([null, undefined, 42, 'user.login', true, [], [minimalEvent()]])(
    'refuses %j as a whole without throwing',
    (input) => {
      const problems = problemsOf(input);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.path).toBe('');
      expect(problems[0]!.message).toMatch(/must be a JSON object/);
    },
  );

  it('refuses non-plain objects wherever an object is expected', () => {
    class Actor {
      id = 'u';
    }
    expectProblemAt({ ...minimalEvent(), actor: new Actor() }, '/actor');
    expectProblemAt({ ...minimalEvent(), metadata: new Date() }, '/metadata');
    expectProblemAt({ ...minimalEvent(), context: new Map() }, '/context');
    expectProblemAt(
      {
        ...minimalEvent(),
        target: Object.assign(Object.create({ inherited: 1 }), { id: 't', type: 'x' }),
      },
      '/target',
    );
    expectProblemAt(new Date(), '');
  });

  it('accepts null-prototype objects (they are plain data)', () => {
    const actor = Object.assign(Object.create(null), { id: 'u' });
    expect(validateEventInput({ ...minimalEvent(), actor }, OPTIONS).ok).toBe(true);
  });

  it('turns a throwing getter or Proxy into a problem instead of an exception', () => {
    const getter = { ...minimalEvent() };
    Object.defineProperty(getter, 'description', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    expect(validateEventInput(getter, OPTIONS).ok).toBe(false);
    const proxy = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    const result = validateEventInput(proxy, OPTIONS);
    expect(result.ok).toBe(false);
    const batch = validateBatchInput({ events: [proxy] }, OPTIONS);
    expect(batch.ok).toBe(false);
  });

  it('caps the problem list of an input with thousands of unknown members, and says so', () => {
    const input: Record<string, unknown> = minimalEvent();
    for (let i = 0; i < 10_000; i++) input[`extra${i}`] = i;
    const problems = problemsOf(input);
    expect(problems).toHaveLength(EVENT_LIMITS.maxProblems);
    expect(problems.at(-1)).toEqual({
      path: '',
      message: 'more problems were found; only the first 99 are listed',
    });
  });

  it('caps the problem list of thousands of bad metadata values', () => {
    const metadata = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 1.5]));
    const problems = problemsOf({ ...minimalEvent(), metadata });
    expect(problems.length).toBeLessThanOrEqual(EVENT_LIMITS.maxProblems);
    expect(problems[0]).toEqual({
      path: '/metadata',
      message: 'must have at most 64 keys (got 50000)',
    });
  });

  it('reports an oversized targets list once, without checking each target', () => {
    const targets = Array.from({ length: 100_000 }, () => ({ id: '', type: '' }));
    const problems = problemsOf({ ...minimalEvent(), targets });
    expect(problems[0]).toEqual({
      path: '/targets',
      message: 'must hold at most 32 items (got 100000)',
    });
    expect(problems.length).toBeLessThanOrEqual(EVENT_LIMITS.maxProblems);
  });

  it('handles huge strings without echoing them', () => {
    const huge = 'a'.repeat(5_000_000);
    const problems = problemsOf({
      ...minimalEvent(),
      action: huge,
      description: huge,
      metadata: { k: huge },
    });
    expect(problems.map((p) => p.path)).toEqual(['/action', '/metadata/k', '/description']);
    expect(JSON.stringify(problems).length).toBeLessThan(2_000);
  });

  it('names a megabyte-long unknown key by its start, at its parent', () => {
    const key = 'k'.repeat(1_000_000);
    const problems = problemsOf({ ...minimalEvent(), [key]: 1, metadata: { [key]: 1 } });
    expect(problems.map((p) => p.path)).toEqual(['', '/metadata']);
    expect(problems[0]!.message).toMatch(/^member "k{40}…" \(1000000 characters\): unknown member/);
    expect(JSON.stringify(problems).length).toBeLessThan(2_000);
  });

  it('does not descend into deeply nested values it refuses', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const problems = problemsOf({ ...minimalEvent(), metadata: { deep }, extra: deep });
    expect(problems.map((p) => p.path).sort()).toEqual(['/extra', '/metadata/deep']);
  });

  it('never throws and never accepts arbitrary values', async () => {
    const fc = await import('fast-check');
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withMap: true,
          withSet: true,
          withDate: true,
          withBigInt: true,
          withSparseArray: true,
          withBoxedValues: true,
        }),
        (input) => {
          const result = validateEventInput(input, OPTIONS);
          if (!result.ok)
            expect(result.problems.length).toBeLessThanOrEqual(EVENT_LIMITS.maxProblems);
          const batch = validateBatchInput(input, OPTIONS);
          expect(batch.ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
