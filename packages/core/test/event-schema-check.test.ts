import type * as Compiler from '@sinclair/typebox/compiler';
import { describe, expect, it, vi } from 'vitest';

// A browser page whose Content-Security-Policy has no 'unsafe-eval' makes
// TypeCompiler's new Function() throw. Validation must still work.
const compile = vi.hoisted(() =>
  vi.fn(() => {
    throw new EvalError('Refused to evaluate a string as JavaScript (CSP)');
  }),
);

vi.mock('@sinclair/typebox/compiler', async (importOriginal) => {
  const original = await importOriginal<typeof Compiler>();
  return {
    ...original,
    TypeCompiler: {
      ...original.TypeCompiler,
      Compile: compile,
    },
  };
});

const { buildEntry, entryFromEvent, validateEventInput } = await import('../src/index.js');
const { OPTIONS, fullEvent, minimalEvent } = await import('./event-fixtures.js');

describe('validation without code generation (strict CSP)', () => {
  it('accepts valid input with the interpreted checker', () => {
    expect(validateEventInput(fullEvent(), OPTIONS).ok).toBe(true);
    expect(compile).toHaveBeenCalled();
  });

  it('refuses invalid input with the same problems', () => {
    const result = validateEventInput({ ...minimalEvent(), action: 'nope', extra: 1 }, OPTIONS);
    expect(result.ok ? [] : result.problems.map((p) => p.path).sort()).toEqual([
      '/action',
      '/extra',
    ]);
  });

  it('checks stored events too', () => {
    const result = validateEventInput(minimalEvent(), OPTIONS);
    if (!result.ok) throw new Error('expected ok');
    const entry = buildEntry(result.value, {
      id: 'evt_1',
      org: 'org_1',
      orgExternalId: 'acme',
      chainIndex: 0,
      createdAt: '2026-02-10T15:00:00.000Z',
    });
    expect(() => entryFromEvent(entry)).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION' }),
    );
  });
});
