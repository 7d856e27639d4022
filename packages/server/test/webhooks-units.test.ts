// The pieces of a delivery that need no network: the retry schedule
// (Standard Webhooks) and its scaling, signatures, message bodies, action
// patterns.
import { Webhook } from 'standardwebhooks';
import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { GIVE_UP_AFTER_MS, RetrySchedule, parseRetryAfter } from '../src/webhooks/schedule.js';
import {
  formatWebhookSecret,
  generateWebhookSecret,
  webhookHeaders,
} from '../src/webhooks/signer.js';
import {
  eventMessageBody,
  eventOfRow,
  isActionPattern,
  matchesActions,
  parseEventRow,
} from '../src/webhooks/webhook-message.js';
import { isUndiciTimeout } from '../src/webhooks/webhook-sender.js';
import { createTestApp, recordEvent } from './helpers/http-app.js';

describe('RetrySchedule', () => {
  it('follows the Standard Webhooks steps: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then 10 h', () => {
    const s = new RetrySchedule();
    expect([1, 2, 3, 4, 5, 6, 7, 12].map((n) => s.stepMs(n))).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, 36_000_000,
    ]);
  });

  it('jitters each delay by at most ±20 %', () => {
    expect(new RetrySchedule(5_000, () => 0).delayMs(2)).toBe(240_000);
    expect(new RetrySchedule(5_000, () => 0.5).delayMs(2)).toBe(300_000);
    expect(new RetrySchedule(5_000, () => 0.999999).delayMs(2)).toBe(360_000);
  });

  it('scales the whole schedule, 3-day horizon included, with the base', () => {
    const fast = new RetrySchedule(10, () => 0.5);
    expect(fast.delayMs(1)).toBe(10);
    expect(fast.stepMs(6)).toBe(72_000);
    const horizon = (GIVE_UP_AFTER_MS * 10) / 5_000;
    expect(fast.givesUp(0, horizon - 1)).toBe(false);
    expect(fast.givesUp(0, horizon)).toBe(true);
    expect(new RetrySchedule().givesUp(0, 3 * 86_400_000)).toBe(true);
    expect(new RetrySchedule().givesUp(0, 3 * 86_400_000 - 1)).toBe(false);
  });

  it('lets Retry-After replace the step, between the first and the longest step', () => {
    const s = new RetrySchedule();
    expect(s.retryAfterDelayMs(120_000)).toBe(120_000);
    expect(s.retryAfterDelayMs(0)).toBe(5_000);
    expect(s.retryAfterDelayMs(7 * 86_400_000)).toBe(36_000_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-02-10T12:00:00Z');
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 10 Feb 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 10 Feb 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('1e3', now)).toBeNull();
  });
});

describe('webhookHeaders', () => {
  it('signs as PROOFS.md §8 says: the standardwebhooks package verifies it', () => {
    const { text, bytes } = generateWebhookSecret();
    expect(text).toBe(formatWebhookSecret(bytes));
    const body = JSON.stringify({ type: 'audit.event.created', data: { id: 'evt_1' } });
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders([bytes], 'evt_1', now, body);
    expect(headers['webhook-signature']).toBe(
      new Webhook(text).sign('evt_1', new Date(now * 1000), body),
    );
    expect(new Webhook(text).verify(body, headers)).toEqual(JSON.parse(body));
    // A changed byte of the body does not verify.
    expect(() => new Webhook(text).verify(body.replace('evt_1', 'evt_2'), headers)).toThrow();
  });

  it('carries one signature per secret, each verifiable on its own', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders([a.bytes, b.bytes], 'evt_9', now, '{}');
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    new Webhook(a.text).verify('{}', headers);
    new Webhook(b.text).verify('{}', headers);
    expect(() => new Webhook(generateWebhookSecret().text).verify('{}', headers)).toThrow();
  });
});

describe('matchesActions', () => {
  it('matches exact actions and leading segments followed by .*', () => {
    expect(matchesActions('user.login', null)).toBe(true);
    expect(matchesActions('user.login', ['user.*'])).toBe(true);
    expect(matchesActions('user.mfa.enabled', ['user.*'])).toBe(true);
    expect(matchesActions('users.login', ['user.*'])).toBe(false);
    expect(matchesActions('user', ['user.*'])).toBe(false);
    expect(matchesActions('billing.invoice.paid', ['user.*', 'billing.invoice.paid'])).toBe(true);
    expect(matchesActions('billing.invoice.paid.late', ['billing.invoice.paid'])).toBe(false);
  });

  it('accepts the events list’s action syntax only', () => {
    expect(['user.*', 'user.login', 'billing.invoice.*'].every(isActionPattern)).toBe(true);
    expect(
      ['*', 'User.*', 'user.', 'user.*.x', '.user', 'a'.repeat(131)].some(isActionPattern),
    ).toBe(false);
  });
});

describe('parseEventRow', () => {
  it('writes the same body as serialising the API’s event, byte for byte', async () => {
    const t = await createTestApp({ selfAuditIntervalMs: 0 });
    try {
      const event = await recordEvent(t.app, t.apiKey, {
        action: 'user.login',
        actor: { id: 'u_1', name: 'Zoë "the admin"', email: 'z@example.com' },
        targets: [{ type: 'doc', id: 'd/1' }],
        metadata: { plan: 'pro', emoji: '\u2603', seats: 12, beta: true, big: -9007199254740991 },
        description: 'line\nbreak </script>',
      });
      const odd = await recordEvent(t.app, t.apiKey, {
        action: 'user.login',
        actor: { id: 'u' },
        metadata: { '10': 'a', '2': 'b', z: 'c' },
      });
      const rows = await t.logproof.store.scanLog(event.org, event.chain_index, 2, {
        signatures: true,
      });
      expect(parseEventRow(rows[0]!).body()).toBe(eventMessageBody(eventOfRow(rows[0]!)));
      expect(parseEventRow(rows[0]!).action).toBe('user.login');
      // Integer-like keys keep their canonical order; the JSON value is the same.
      expect(JSON.parse(parseEventRow(rows[1]!).body())).toEqual({
        type: 'audit.event.created',
        timestamp: odd.created_at,
        data: odd,
      });
    } finally {
      await t.close();
    }
  });
});

describe('isUndiciTimeout', () => {
  it('knows undici’s connect, headers and body timeouts, also as a cause', () => {
    expect(isUndiciTimeout(new undiciErrors.HeadersTimeoutError())).toBe(true);
    expect(isUndiciTimeout(new undiciErrors.BodyTimeoutError())).toBe(true);
    expect(isUndiciTimeout(new undiciErrors.ConnectTimeoutError())).toBe(true);
    expect(
      isUndiciTimeout(new Error('fetch failed', { cause: new undiciErrors.HeadersTimeoutError() })),
    ).toBe(true);
  });

  it('is false for resets, refusals and anything else', () => {
    expect(isUndiciTimeout(new undiciErrors.SocketError('other side closed'))).toBe(false);
    expect(isUndiciTimeout(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(
      false,
    );
    expect(isUndiciTimeout('UND_ERR_HEADERS_TIMEOUT')).toBe(false);
    expect(isUndiciTimeout(null)).toBe(false);
  });
});
