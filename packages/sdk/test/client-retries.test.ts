import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogproofApiError, LogproofNetworkError } from '../src/index.js';
import { faultyFetch } from './helpers/faulty-fetch.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

async function treeSize(): Promise<number> {
  return (await t.client().orgs.get('default')).tree_size;
}

const input = { action: 'user.login', actor: { id: 'user_retry' } };

describe('retries of events.create', () => {
  it('records the event once when the answer is lost and the retry carries the same key', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    const before = await treeSize();
    net.plan('lose-answer');
    const event = await client.events.create(input);
    expect(net.seen).toHaveLength(2);
    expect(net.seen[1]!.idempotencyKey).toBe(net.seen[0]!.idempotencyKey);
    expect(await treeSize()).toBe(before + 1);
    expect(event.chain_index).toBe(before);
  });

  it('retries after connection failures with back-off and succeeds', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch, retryBaseDelayMs: 20 });
    net.plan('network', 'network');
    const before = await treeSize();
    await client.events.create(input);
    expect(net.seen).toHaveLength(3);
    expect(new Set(net.seen.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(await treeSize()).toBe(before + 1);
  });

  it('retries a 503 after the seconds its Retry-After asks for', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    net.plan({ status: 503, retryAfter: '1' });
    await client.events.create(input);
    expect(net.seen).toHaveLength(2);
    expect(net.seen[1]!.at - net.seen[0]!.at).toBeGreaterThanOrEqual(950);
    expect(net.seen[1]!.idempotencyKey).toBe(net.seen[0]!.idempotencyKey);
  });

  it('retries a 429 at the HTTP date its Retry-After names', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    // HTTP dates have whole seconds: 2 s ahead is at least 1 s ahead.
    net.plan({ status: 429, retryAfter: new Date(Date.now() + 2000).toUTCString() });
    const before = await treeSize();
    await client.events.create(input);
    expect(net.seen).toHaveLength(2);
    expect(net.seen[1]!.at - net.seen[0]!.at).toBeGreaterThanOrEqual(950);
    expect(await treeSize()).toBe(before + 1);
  });

  it('waits for a 409 in-flight answer of the same key and then gets the replay', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    net.plan({ status: 409, code: 'idempotency_key_in_flight', retryAfter: '0' });
    const event = await client.events.create(input, { idempotencyKey: 'in-flight-1' });
    expect(event.id).toMatch(/^evt_/);
    expect(net.seen).toHaveLength(2);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch, maxRetries: 2 });
    net.plan(
      { status: 503, retryAfter: '0' },
      { status: 503, retryAfter: '0' },
      { status: 503, retryAfter: '0' },
    );
    const error = (await client.events.create(input).catch((e: unknown) => e)) as LogproofApiError;
    expect(error).toBeInstanceOf(LogproofApiError);
    expect(error.status).toBe(503);
    expect(error.retryAfterMs).toBe(0);
    expect(error.requestId).toBe('req-injected');
    expect(net.seen).toHaveLength(3);
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch, maxRetryAfterMs: 1000 });
    net.plan({ status: 429, retryAfter: '3600' });
    const error = (await client.events.create(input).catch((e: unknown) => e)) as LogproofApiError;
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(3_600_000);
    expect(net.seen).toHaveLength(1);
  });

  it('times out a hanging attempt and retries it', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch, timeoutMs: 100 });
    net.plan('hang');
    await client.events.create(input);
    expect(net.seen).toHaveLength(2);
  });

  it('reports a timeout as LogproofNetworkError with code timeout once retries are spent', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch, timeoutMs: 50, maxRetries: 1 });
    net.plan('hang', 'hang');
    const error = (await client.events
      .create(input)
      .catch((e: unknown) => e)) as LogproofNetworkError;
    expect(error).toBeInstanceOf(LogproofNetworkError);
    expect(error.code).toBe('timeout');
    expect(error.attempts).toBe(2);
  });

  it('wraps a non-problem error page with code http_<status>', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch, maxRetries: 0 });
    net.plan({ status: 502, body: '<html>Bad gateway</html>' });
    const error = (await client.events.get('evt_x').catch((e: unknown) => e)) as LogproofApiError;
    expect(error.code).toBe('http_502');
    expect(error.problem.detail).toContain('Bad gateway');
  });

  it('stops at once when the caller aborts, even while waiting to retry', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    net.plan({ status: 503, retryAfter: '30' });
    const controller = new AbortController();
    const started = Date.now();
    const pending = client.events
      .create(input, { signal: controller.signal })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    const error = (await pending) as Error;
    expect(error.message).toBe('caller gave up');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(net.seen).toHaveLength(1);
  });

  it('stops at once when the caller aborts a request in flight', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    net.plan('hang');
    const controller = new AbortController();
    const pending = client.events
      .get('evt_x', { signal: controller.signal })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    expect(((await pending) as Error).message).toBe('caller gave up');
    expect(net.seen).toHaveLength(1);
  });
});

describe('which requests are retried', () => {
  it('retries an idempotent GET after a network error', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    net.plan('network');
    expect((await client.orgs.get('default')).external_id).toBe('default');
    expect(net.seen).toHaveLength(2);
  });

  it('never retries a POST without an idempotency key (creating an API key)', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    net.plan({ status: 503, retryAfter: '0' });
    const error = (await client.apiKeys
      .create({ name: 'x', scopes: ['events:read'] })
      .catch((e: unknown) => e)) as LogproofApiError;
    expect(error.status).toBe(503);
    expect(net.seen).toHaveLength(1);
    expect(net.seen[0]!.idempotencyKey).toBeNull();
  });

  it('does not retry a 400: the same request would fail the same way', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    const error = (await client.events
      .create({ action: 'x', actor: { id: 'u' } })
      .catch((e: unknown) => e)) as LogproofApiError;
    expect(error.code).toBe('validation_failed');
    expect(net.seen).toHaveLength(1);
  });

  it('sends batches with one Idempotency-Key kept across retries', async () => {
    const net = faultyFetch();
    const client = t.client({ fetch: net.fetch });
    const before = await treeSize();
    net.plan('lose-answer', { status: 503, retryAfter: '0' });
    const events = await client.events.createBatch([input, input, input]);
    expect(events.map((e) => e.chain_index)).toEqual([before, before + 1, before + 2]);
    expect(net.seen).toHaveLength(3);
    expect(new Set(net.seen.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(await treeSize()).toBe(before + 3);
  });
});
