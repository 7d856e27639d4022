import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../src/retry.js';

const policy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 60_000 };

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter(' 5 ')).toBe(5000);
  });

  it('reads an HTTP date as the time left until it, never negative', () => {
    const now = Date.parse('2026-02-10T14:32:18.000Z');
    expect(parseRetryAfter('Tue, 10 Feb 2026 14:32:21 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 10 Feb 2026 14:00:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unreadable value', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
    expect(parseRetryAfter('1.5')).toBeUndefined();
    expect(parseRetryAfter('10 Feb 2026')).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('draws from a window that doubles per retry (full jitter)', () => {
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(2, policy, () => 0.999)).toBe(399);
    expect(backoffDelay(0, policy, () => 0)).toBe(0);
  });

  it('never exceeds maxDelayMs', () => {
    expect(backoffDelay(30, policy, () => 0.999)).toBe(999);
  });
});
