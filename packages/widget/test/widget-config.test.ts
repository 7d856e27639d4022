import { describe, expect, it } from 'vitest';
import { readWidgetConfig, type WidgetAttributes } from '../src/widget-config.js';
import { WidgetError } from '../src/widget-error.js';

const attrs = (over: Partial<WidgetAttributes> = {}): WidgetAttributes => ({
  token: 'lp_et_abc.def',
  baseUrl: 'https://audit.example.com',
  limit: null,
  verifierKey: null,
  ...over,
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WidgetError) return error.code;
    throw error;
  }
  throw new Error('did not throw');
}

describe('readWidgetConfig', () => {
  it('builds the events URL from the base URL, keeping a path prefix and dropping a trailing slash', () => {
    expect(readWidgetConfig(attrs()).eventsUrl).toBe('https://audit.example.com/v1/widget/events');
    expect(readWidgetConfig(attrs({ baseUrl: 'https://h.example/logproof/' })).eventsUrl).toBe(
      'https://h.example/logproof/v1/widget/events',
    );
  });

  it('takes a limit of 1 to 100 and falls back to 25 for anything else', () => {
    expect(readWidgetConfig(attrs({ limit: '10' })).limit).toBe(10);
    for (const limit of [null, '', '0', '101', '-3', '2.5', 'ten']) {
      expect(readWidgetConfig(attrs({ limit })).limit).toBe(25);
    }
  });

  it('treats an empty verifier-key as no pinned key', () => {
    expect(readWidgetConfig(attrs({ verifierKey: '  ' })).pinnedKey).toBeNull();
    expect(readWidgetConfig(attrs({ verifierKey: 'a+b+c' })).pinnedKey).toBe('a+b+c');
  });

  it('rejects a missing token, a missing or relative base URL and a non-http scheme', () => {
    expect(codeOf(() => readWidgetConfig(attrs({ token: null })))).toBe('config_invalid');
    expect(codeOf(() => readWidgetConfig(attrs({ baseUrl: null })))).toBe('config_invalid');
    expect(codeOf(() => readWidgetConfig(attrs({ baseUrl: '/api' })))).toBe('config_invalid');
    expect(codeOf(() => readWidgetConfig(attrs({ baseUrl: 'javascript:alert(1)' })))).toBe(
      'config_invalid',
    );
  });
});
