import { describe, expect, it } from 'vitest';
import { validateEventInput } from '../src/index.js';

const options = { now: Date.parse('2026-06-01T00:00:00Z'), backfillWindowMs: 365 * 86_400_000 };

describe('validateEventInput', () => {
  it.each([
    ['/actor/id', { action: 'user.login', actor: { id: 'u\u00001' } }],
    ['/actor/name', { action: 'user.login', actor: { id: 'u1', name: 'A\u0000' } }],
    [
      '/targets/0/id',
      { action: 'user.login', actor: { id: 'u1' }, targets: [{ id: '\u0000', type: 'doc' }] },
    ],
    [
      '/metadata/note',
      { action: 'user.login', actor: { id: 'u1' }, metadata: { note: 'x\u0000y' } },
    ],
    ['/description', { action: 'user.login', actor: { id: 'u1' }, description: '\u0000' }],
    [
      '/context/user_agent',
      { action: 'user.login', actor: { id: 'u1' }, context: { user_agent: 'a\u0000' } },
    ],
  ])('refuses a U+0000 character at %s', (path, input) => {
    const result = validateEventInput(input, options);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems).toContainEqual({ path, message: expect.stringContaining('U+0000') });
    }
  });

  it('accepts other control characters, which JSON and every backend can hold', () => {
    const result = validateEventInput(
      { action: 'user.login', actor: { id: 'u1', name: 'tab\there\u0001' } },
      options,
    );
    expect(result.ok).toBe(true);
  });
});
