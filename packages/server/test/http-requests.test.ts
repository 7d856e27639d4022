// What the event endpoints refuse before anything is appended (API.md
// "Errors", "Tenancy and auth"): malformed JSON, media types, body limits,
// keys (missing, wrong, revoked, under-scoped, another project's), unknown
// orgs and the rate limit. Every refusal is RFC 9457 problem+json, and the
// org's tree size is unchanged after it.
import { randomBytes } from 'node:crypto';
import type { StoredEvent } from '@logproof/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  expectProblem,
  getJson,
  postJson,
  recordEvent,
  treeSize,
  validEvent,
  type TestApp,
} from './helpers/http-app.js';

describe('POST /v1/events: refused requests', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Runs `send` and checks that the default org's log did not grow. */
  async function appendsNothing<T>(send: () => Promise<T>): Promise<T> {
    const before = await treeSize(t.app, t.apiKey);
    const result = await send();
    expect(await treeSize(t.app, t.apiKey)).toBe(before);
    return result;
  }

  async function createKey(scopes: string[]): Promise<{ id: string; secret: string }> {
    const res = await postJson(t.app, t.apiKey, '/v1/api-keys', {
      name: `test ${scopes.join(' ')}`,
      scopes,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string; secret: string }>();
  }

  describe('malformed JSON', () => {
    it.each([
      ['a truncated object', '{"action": "user.login", "actor": '],
      ['a trailing comma', '{"action": "user.login", "actor": {"id": "u"},}'],
      ['single quotes', "{'action': 'user.login'}"],
      ['a bare word', 'user.login'],
    ])('answers 400 malformed_request for %s', async (_, body) => {
      for (const url of ['/v1/events', '/v1/events/batch']) {
        const res = await appendsNothing(() => postJson(t.app, t.apiKey, url, body));
        expectProblem(res, 400, 'malformed_request');
      }
    });

    it('answers 400 malformed_request for an empty body', async () => {
      const res = await appendsNothing(() => postJson(t.app, t.apiKey, '/v1/events', ''));
      expectProblem(res, 400, 'malformed_request');
    });

    it('answers 400 for a __proto__ member instead of silently dropping it', async () => {
      const res = await appendsNothing(() =>
        postJson(
          t.app,
          t.apiKey,
          '/v1/events',
          '{"action":"user.login","actor":{"id":"u"},"__proto__":{"admin":true}}',
        ),
      );
      expectProblem(res, 400, 'malformed_request');
    });
  });

  describe('media type', () => {
    it.each([
      ['text/plain', JSON.stringify(validEvent())],
      ['text/plain; charset=utf-8', JSON.stringify(validEvent())],
      ['application/x-www-form-urlencoded', 'action=user.login'],
      ['multipart/form-data; boundary=x', '--x--'],
      ['application/xml', '<event/>'],
    ])('answers 415 for %s', async (contentType, body) => {
      for (const url of ['/v1/events', '/v1/events/batch']) {
        const res = await appendsNothing(() =>
          t.app.inject({
            method: 'POST',
            url,
            headers: { ...bearer(t.apiKey), 'content-type': contentType },
            payload: body,
          }),
        );
        expectProblem(res, 415, 'unsupported_media_type');
      }
    });

    it('answers 415 for a body without a content type', async () => {
      const res = await appendsNothing(() =>
        t.app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: bearer(t.apiKey),
          payload: Buffer.from('{}'),
        }),
      );
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('accepts application/json with a charset', async () => {
      const res = await postJson(t.app, t.apiKey, '/v1/events', validEvent(), {
        'content-type': 'application/json; charset=utf-8',
      });
      expect(res.statusCode, res.body).toBe(201);
    });
  });

  describe('body size', () => {
    it('answers 413 for a 65 KiB single event', async () => {
      const body = JSON.stringify(
        validEvent({ description: 'x', metadata: { pad: 'p'.repeat(2000) } }),
      );
      const padded = body.slice(0, -1) + ' '.repeat(65 * 1024 - body.length) + '}';
      expect(Buffer.byteLength(padded)).toBe(65 * 1024);
      const res = await appendsNothing(() => postJson(t.app, t.apiKey, '/v1/events', padded));
      expectProblem(res, 413, 'payload_too_large');
    });

    it('accepts a single event of just under 64 KiB', async () => {
      const body = JSON.stringify(validEvent());
      const padded = body.slice(0, -1) + ' '.repeat(64 * 1024 - body.length) + '}';
      const res = await postJson(t.app, t.apiKey, '/v1/events', padded);
      expect(res.statusCode, res.body).toBe(201);
    });

    it('gives batches their own, larger limit (4 MiB), and answers 413 past it', async () => {
      const events = Array.from({ length: 100 }, (_, i) =>
        validEvent({ description: `${i} ${'d'.repeat(1000)}` }),
      );
      const ok = await postJson(t.app, t.apiKey, '/v1/events/batch', { events });
      expect(ok.statusCode, ok.body).toBe(201);

      const big = JSON.stringify({ events: [validEvent()] });
      const padded = big.slice(0, -1) + ' '.repeat(4 * 1024 * 1024 + 1 - big.length) + '}';
      const res = await appendsNothing(() => postJson(t.app, t.apiKey, '/v1/events/batch', padded));
      expectProblem(res, 413, 'payload_too_large');
    });
  });

  describe('API keys', () => {
    it('answers 401 without an Authorization header, before reading the body', async () => {
      const res = await appendsNothing(() =>
        t.app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { 'content-type': 'application/json' },
          payload: 'x'.repeat(70 * 1024),
        }),
      );
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    });

    it.each([
      ['another scheme', (key: string) => `Basic ${Buffer.from(`u:${key}`).toString('base64')}`],
      ['a bare key', (key: string) => key],
      ['an empty bearer token', () => 'Bearer '],
      ['a made-up key', () => `Bearer lp_sk_${randomBytes(40).toString('hex').slice(0, 49)}`],
      [
        'a key with one character changed',
        (key: string) => `Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`,
      ],
      ['the key of a truncated secret', (key: string) => `Bearer ${key.slice(0, -3)}`],
    ])('answers 401 for %s', async (_, header) => {
      const res = await appendsNothing(() =>
        postJson(t.app, t.apiKey, '/v1/events', validEvent(), { authorization: header(t.apiKey) }),
      );
      expectProblem(res, 401, 'unauthorized');
    });

    it('answers 401 for a revoked key, at once', async () => {
      const key = await createKey(['events:write', 'events:read']);
      await recordEvent(t.app, key.secret);
      const revoked = await t.app.inject({
        method: 'DELETE',
        url: `/v1/api-keys/${key.id}`,
        headers: bearer(t.apiKey),
      });
      expect(revoked.statusCode, revoked.body).toBe(200);
      expect(revoked.json<{ revoked_at: string | null }>().revoked_at).not.toBeNull();
      const res = await appendsNothing(() =>
        postJson(t.app, key.secret, '/v1/events', validEvent()),
      );
      expectProblem(res, 401, 'unauthorized');
      expectProblem(await getJson(t.app, key.secret, '/v1/orgs/default'), 401, 'unauthorized');
    });

    it('answers 403 to a key with only events:read on every write, and lets it read', async () => {
      const reader = await createKey(['events:read']);
      const single = await appendsNothing(() =>
        postJson(t.app, reader.secret, '/v1/events', validEvent()),
      );
      expectProblem(single, 403, 'forbidden');
      const batch = await appendsNothing(() =>
        postJson(t.app, reader.secret, '/v1/events/batch', { events: [validEvent()] }),
      );
      expectProblem(batch, 403, 'forbidden');
      const alias = await appendsNothing(() =>
        postJson(t.app, reader.secret, '/v1/audit/events', validEvent()),
      );
      expectProblem(alias, 403, 'forbidden');

      const event = await recordEvent(t.app, t.apiKey);
      const read = await getJson(t.app, reader.secret, `/v1/events/${event.id}`);
      expect(read.statusCode, read.body).toBe(200);
    });

    it('answers 403 to a key with only events:write on reads and admin routes', async () => {
      const writer = await createKey(['events:write']);
      const event = await recordEvent(t.app, writer.secret);
      expectProblem(
        await getJson(t.app, writer.secret, `/v1/events/${event.id}`),
        403,
        'forbidden',
      );
      expectProblem(await getJson(t.app, writer.secret, '/v1/orgs/default'), 403, 'forbidden');
      expectProblem(
        await postJson(t.app, writer.secret, '/v1/api-keys', { name: 'x', scopes: ['admin'] }),
        403,
        'forbidden',
      );
      expectProblem(
        await postJson(t.app, writer.secret, '/v1/orgs', { external_id: 'x', name: 'x' }),
        403,
        'forbidden',
      );
    });
  });

  describe('orgs', () => {
    it('answers 404 for an unknown org, naming /org', async () => {
      const res = await appendsNothing(() =>
        postJson(t.app, t.apiKey, '/v1/events', validEvent({ org: 'no-such-org' })),
      );
      expectProblem(res, 404, 'not_found', ['/org']);
    });

    it('answers 404 for a batch with one unknown org, naming the item, and appends nothing', async () => {
      const events = Array.from({ length: 5 }, (_, i) =>
        validEvent(i === 3 ? { org: 'no-such-org' } : {}),
      );
      const res = await appendsNothing(() =>
        postJson(t.app, t.apiKey, '/v1/events/batch', { events }),
      );
      expectProblem(res, 404, 'not_found', ['/events/3/org']);
    });

    it('accepts an org by id as well as by external id', async () => {
      const org = (await getJson(t.app, t.apiKey, '/v1/orgs/default')).json<{ id: string }>();
      const byId = await recordEvent(t.app, t.apiKey, validEvent({ org: org.id }));
      const byExternalId = await recordEvent(t.app, t.apiKey, validEvent({ org: 'default' }));
      expect(byId.org).toBe(org.id);
      expect(byExternalId.org).toBe(org.id);
      expect(byExternalId.chain_index).toBe(byId.chain_index + 1);
    });
  });

  describe('another project', () => {
    it("never reaches this project's orgs or events: 404, and nothing is appended anywhere", async () => {
      const other = await t.logproof.tenancy.initProject('Other vendor');
      const otherKey = other.apiKey;
      const org = (await getJson(t.app, t.apiKey, '/v1/orgs/default')).json<{ id: string }>();
      const event = await recordEvent(t.app, t.apiKey);
      const otherBefore = await treeSize(t.app, otherKey);

      // Its own default org is another org.
      const own = (await getJson(t.app, otherKey, '/v1/orgs/default')).json<{ id: string }>();
      expect(own.id).not.toBe(org.id);

      for (const url of [
        `/v1/orgs/${org.id}`,
        `/v1/orgs/${org.id}/keys`,
        `/v1/orgs/${org.id}/checkpoint`,
        `/v1/events/${event.id}`,
        `/v1/events/${event.id}/canonical`,
      ]) {
        expectProblem(await getJson(t.app, otherKey, url), 404, 'not_found');
      }
      const write = await appendsNothing(() =>
        postJson(t.app, otherKey, '/v1/events', validEvent({ org: org.id })),
      );
      expectProblem(write, 404, 'not_found', ['/org']);
      const batch = await appendsNothing(() =>
        postJson(t.app, otherKey, '/v1/events/batch', {
          events: [validEvent(), validEvent({ org: org.id })],
        }),
      );
      expectProblem(batch, 404, 'not_found', ['/events/1/org']);
      expect(await treeSize(t.app, otherKey)).toBe(otherBefore);

      // Nor its keys.
      const keys = (await getJson(t.app, t.apiKey, '/v1/api-keys')).json<{
        data: Array<{ id: string }>;
      }>();
      const firstKeyId = keys.data[0]!.id;
      const revoke = await t.app.inject({
        method: 'DELETE',
        url: `/v1/api-keys/${firstKeyId}`,
        headers: bearer(otherKey),
      });
      expectProblem(revoke, 404, 'not_found');
      expect((await getJson(t.app, t.apiKey, '/v1/orgs/default')).statusCode).toBe(200);

      // And the other way round.
      const theirs: StoredEvent = await recordEvent(t.app, otherKey);
      expectProblem(await getJson(t.app, t.apiKey, `/v1/events/${theirs.id}`), 404, 'not_found');
    });
  });
});

describe('rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ rateLimitPerMinute: 5 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 with Retry-After past the per-key limit, and appends nothing', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await postJson(t.app, t.apiKey, '/v1/events', validEvent());
      expect(res.statusCode, res.body).toBe(201);
    }
    const refused = await postJson(t.app, t.apiKey, '/v1/events', validEvent());
    expectProblem(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Another key has its own budget; public routes are not limited.
    const other = await t.logproof.tenancy.createApiKey(
      (await t.logproof.tenancy.authenticate(t.apiKey))!.projectId,
      'second',
      ['events:read'],
    );
    expect(
      (await getJson(t.app, other.secret, '/v1/orgs/default')).json<{ tree_size: number }>()
        .tree_size,
    ).toBe(5);
    for (let i = 0; i < 10; i++)
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
