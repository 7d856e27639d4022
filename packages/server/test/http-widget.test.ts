// The widget's server side (API.md "Portal and widget") through the real app,
// on SQLite and PostgreSQL: minting embed tokens, GET /v1/widget/events
// (scope, paging, proofs checked offline with the core's verifiers), token
// refusals, and CORS on /v1/widget/* only (GET /widget.js: http-widget-serving.test.ts).
import {
  bytesToHex,
  canonicalBytes,
  entryFromEvent,
  hexToBytes,
  leafHash,
  parseVerifierKey,
  verifyCheckpoint,
  verifyEventSignature,
  verifyInclusion,
  type StoredEvent,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/index.js';
import {
  createTestApp,
  createTestClock,
  expectProblem,
  getJson,
  postJson,
  type TestApp,
} from './helpers/http-app.js';
import { createTestDatabase, describeWithPostgres } from './helpers/postgres.js';
import { TEST_MASTER_KEY } from './helpers/server-process.js';

const crypto = createNodeCrypto();
const TOKEN_SHAPE = /^lp_et_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
const REFUSED = 'invalid or expired embed token';

interface Minted {
  token: string;
  expires_at: string;
  org_id: string;
  actor_id: string | null;
}

interface WidgetPage {
  data: Array<{
    event: StoredEvent;
    inclusion_proof: { leaf_index: number; tree_size: number; hashes: string[] };
  }>;
  checkpoint: string;
  keys: Array<{ key_id: string; verifier_key: string }>;
  next_cursor: string | null;
}

type Backend = 'sqlite' | 'postgres';

function describeOnBackends(name: string, body: (backend: Backend) => void): void {
  describe(`${name} (sqlite)`, () => body('sqlite'));
  describeWithPostgres(`${name} (postgres)`, () => body('postgres'));
}

/** The payload of a token, decoded (tests only: the server never trusts it unverified). */
function payloadOf(token: string): Record<string, unknown> {
  const body = token.slice('lp_et_'.length, token.indexOf('.'));
  return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** `token` with its payload replaced (the MAC kept): what a forger can do without the key. */
function withPayload(token: string, payload: Record<string, unknown>): string {
  const mac = token.slice(token.indexOf('.') + 1);
  return `lp_et_${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}.${mac}`;
}

describeOnBackends('the widget API', (backend) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  let drop: (() => Promise<void>) | undefined;
  let acme: { id: string; verifierKey: string };
  let globexId: string;
  /** Every event of acme, as recorded. */
  const acmeEvents: StoredEvent[] = [];

  function widget(token: string | null, query = '', headers: Record<string, string> = {}) {
    return t.app.inject({
      method: 'GET',
      url: `/v1/widget/events${query}`,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
    });
  }

  async function mint(body: Record<string, unknown>): Promise<Minted> {
    const res = await postJson(t.app, t.apiKey, '/v1/embed-tokens', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Minted>();
  }

  async function page(token: string, query = ''): Promise<WidgetPage> {
    const res = await widget(token, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<WidgetPage>();
  }

  /** Follows next_cursor to the end with pages of `limit`. */
  async function walk(token: string, limit: number): Promise<WidgetPage[]> {
    const pages: WidgetPage[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`;
      const p = await page(token, q);
      expect(p.data.length).toBeLessThanOrEqual(limit);
      if (p.next_cursor !== null) expect(p.data.length).toBe(limit);
      pages.push(p);
      cursor = p.next_cursor;
      if (pages.length > 100) throw new Error('too many pages');
    } while (cursor !== null);
    return pages;
  }

  async function recordBatch(org: string, actors: readonly string[]): Promise<StoredEvent[]> {
    const res = await postJson(t.app, t.apiKey, '/v1/events/batch', {
      events: actors.map((id, i) => ({ org, action: `doc.edit`, actor: { id }, metadata: { i } })),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ events: StoredEvent[] }>().events;
  }

  async function createOrg(externalId: string): Promise<{ id: string; verifier_key: string }> {
    const res = await postJson(t.app, t.apiKey, '/v1/orgs', {
      external_id: externalId,
      name: externalId,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string; verifier_key: string }>();
  }

  beforeAll(async () => {
    let config: Partial<Config> = { rateLimitPerMinute: 0, selfAuditIntervalMs: 0 };
    if (backend === 'postgres') {
      const db = await createTestDatabase();
      drop = () => db.drop();
      config = { ...config, databaseUrl: db.url, masterKey: TEST_MASTER_KEY };
    }
    t = await createTestApp(config, { clock });
    const a = await createOrg('acme');
    acme = { id: a.id, verifierKey: a.verifier_key };
    globexId = (await createOrg('globex')).id;
    // Several batches (several checkpoints), alice and bob interleaved: 31
    // events, more than the default page of 25.
    for (let b = 0; b < 4; b++) {
      acmeEvents.push(
        ...(await recordBatch('acme', ['alice', 'bob', 'alice', 'carol', 'bob', 'alice', 'bob'])),
      );
      await recordBatch('globex', ['alice', 'dave']);
    }
    acmeEvents.push(...(await recordBatch('acme', ['alice', 'bob', 'alice'])));
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  describe('POST /v1/embed-tokens', () => {
    it('mints a token for an org named by external id, valid 600 s by default', async () => {
      const minted = await mint({ org: 'acme' });
      expect(minted.token).toMatch(TOKEN_SHAPE);
      expect(minted.org_id).toBe(acme.id);
      expect(minted.actor_id).toBeNull();
      expect(Date.parse(minted.expires_at)).toBe(clock() + 600_000);
      expect(payloadOf(minted.token)).toEqual({
        v: 1,
        p: expect.stringMatching(/^proj_/),
        o: acme.id,
        e: clock() + 600_000,
      });
    });

    it('mints a token for an org id, scoped to an actor, with a chosen lifetime', async () => {
      for (const expiresIn of [60, 86_400]) {
        const minted = await mint({ org: acme.id, actor_id: 'alice', expires_in: expiresIn });
        expect(minted).toMatchObject({ org_id: acme.id, actor_id: 'alice' });
        expect(Date.parse(minted.expires_at)).toBe(clock() + expiresIn * 1000);
        expect(payloadOf(minted.token)).toMatchObject({ a: 'alice', o: acme.id });
      }
    });

    it('answers 404 for an org the project does not have', async () => {
      const res = await postJson(t.app, t.apiKey, '/v1/embed-tokens', { org: 'nope' });
      expectProblem(res, 404, 'not_found', ['/org']);
    });

    it.each([
      [{ org: '' }, '/org'],
      [{ org: 'acme', actor_id: '' }, '/actor_id'],
      [{ org: 'acme', actor_id: 'x'.repeat(257) }, '/actor_id'],
      [{ org: 'acme', actor_id: 'a\u0000b' }, '/actor_id'],
      [{ org: 'acme', actor_id: { id: 'alice' } }, '/actor_id'],
      [{ org: 'acme', expires_in: 59 }, '/expires_in'],
      [{ org: 'acme', expires_in: 86_401 }, '/expires_in'],
      [{ org: 'acme', expires_in: 90.5 }, '/expires_in'],
      [{ org: 'acme', scope: 'write' }, '/scope'],
    ])('refuses %j with a 400 naming the member', async (body, path) => {
      const res = await postJson(t.app, t.apiKey, '/v1/embed-tokens', body);
      expectProblem(res, 400, 'validation_failed', [path]);
    });

    it('refuses an actor_id holding a lone surrogate', async () => {
      const res = await postJson(
        t.app,
        t.apiKey,
        '/v1/embed-tokens',
        '{"org":"acme","actor_id":"a\\ud800"}',
      );
      expectProblem(res, 400, 'validation_failed', ['/actor_id']);
    });

    it('refuses a body without org and one that is not JSON', async () => {
      expectProblem(
        await postJson(t.app, t.apiKey, '/v1/embed-tokens', {}),
        400,
        'validation_failed',
      );
      expectProblem(
        await postJson(t.app, t.apiKey, '/v1/embed-tokens', '{"org":'),
        400,
        'malformed_request',
      );
    });

    it('needs an admin key', async () => {
      const reader = await postJson(t.app, t.apiKey, '/v1/api-keys', {
        name: 'reader',
        scopes: ['events:read'],
      });
      expect(reader.statusCode, reader.body).toBe(201);
      const res = await postJson(
        t.app,
        reader.json<{ secret: string }>().secret,
        '/v1/embed-tokens',
        {
          org: 'acme',
        },
      );
      expectProblem(res, 403, 'forbidden');
      const anonymous = await t.app.inject({
        method: 'POST',
        url: '/v1/embed-tokens',
        headers: { 'content-type': 'application/json' },
        payload: '{"org":"acme"}',
      });
      expectProblem(anonymous, 401, 'unauthorized');
    });
  });

  describe('GET /v1/widget/events', () => {
    it("lists exactly the token's org, newest first, as GET /v1/events lists it", async () => {
      const { token } = await mint({ org: 'acme' });
      const pages = await walk(token, 100);
      expect(pages).toHaveLength(1);
      const ids = pages[0]!.data.map((d) => d.event.id);
      expect(new Set(ids)).toEqual(new Set(acmeEvents.map((e) => e.id)));
      expect(pages[0]!.data.every((d) => d.event.org === acme.id)).toBe(true);
      const admin = await getJson(t.app, t.apiKey, '/v1/events?org=acme&limit=100');
      expect(admin.statusCode, admin.body).toBe(200);
      expect(ids).toEqual(admin.json<{ data: StoredEvent[] }>().data.map((e) => e.id));
      // Byte for byte the stored event, signature and hashes included.
      const recorded = new Map(acmeEvents.map((e) => [e.id, e]));
      for (const d of pages[0]!.data) expect(d.event).toEqual(recorded.get(d.event.id));
    });

    it('serves 25 events by default', async () => {
      const { token } = await mint({ org: 'acme' });
      const p = await page(token);
      expect(p.data).toHaveLength(25);
      expect(p.next_cursor).not.toBeNull();
    });

    it('lists only the events of the actor a token is scoped to', async () => {
      const { token } = await mint({ org: 'acme', actor_id: 'alice' });
      const seen = (await walk(token, 4)).flatMap((p) => p.data.map((d) => d.event));
      const alice = acmeEvents.filter((e) => e.actor.id === 'alice');
      expect(alice.length).toBeGreaterThan(4);
      expect(seen.map((e) => e.id).sort()).toEqual(alice.map((e) => e.id).sort());
      expect(seen.every((e) => e.actor.id === 'alice' && e.org === acme.id)).toBe(true);
    });

    it('shows nothing of another org, even for an actor that acts in both', async () => {
      const { token } = await mint({ org: 'globex', actor_id: 'dave' });
      const seen = (await walk(token, 100)).flatMap((p) => p.data.map((d) => d.event));
      expect(seen).toHaveLength(4);
      expect(seen.every((e) => e.org === globexId && e.actor.id === 'dave')).toBe(true);
      const none = await mint({ org: 'acme', actor_id: 'dave' });
      expect((await page(none.token)).data).toEqual([]);
    });

    it('pages through every event exactly once', async () => {
      const { token } = await mint({ org: 'acme' });
      const pages = await walk(token, 6);
      expect(pages).toHaveLength(Math.ceil(acmeEvents.length / 6));
      const ids = pages.flatMap((p) => p.data.map((d) => d.event.id));
      expect(ids).toHaveLength(acmeEvents.length);
      expect(new Set(ids).size).toBe(acmeEvents.length);
    });

    it('proves every event against the one checkpoint it returns, checked offline', async () => {
      const { token } = await mint({ org: 'acme' });
      for (const p of await walk(token, 9)) {
        expect(p.keys).toEqual([
          { key_id: expect.stringMatching(/^[0-9a-f]{8}$/), verifier_key: acme.verifierKey },
        ]);
        // The checkpoint is verified with the org key we got when creating the org.
        const key = parseVerifierKey(acme.verifierKey, crypto);
        const checkpoint = verifyCheckpoint(p.checkpoint, key, crypto);
        expect(checkpoint.treeSize).toBe(acmeEvents.length);
        for (const { event, inclusion_proof: proof } of p.data) {
          expect(proof.leaf_index).toBe(event.chain_index);
          expect(proof.tree_size).toBe(checkpoint.treeSize);
          const bytes = canonicalBytes(entryFromEvent(event));
          const leaf = leafHash(bytes, crypto);
          expect(bytesToHex(leaf)).toBe(event.leaf_hash);
          expect(verifyEventSignature(bytes, event.signature, key.publicKey, crypto)).toBe(true);
          const hashes = proof.hashes.map(hexToBytes);
          verifyInclusion(
            proof.leaf_index,
            proof.tree_size,
            leaf,
            hashes,
            checkpoint.rootHash,
            crypto,
          );
          // The check bites: one changed hash in the path and it fails.
          const bad = hashes.map((h, i) => (i === 0 ? leaf : h));
          expect(() =>
            verifyInclusion(
              proof.leaf_index,
              proof.tree_size,
              leaf,
              bad,
              checkpoint.rootHash,
              crypto,
            ),
          ).toThrow();
        }
      }
    });

    it('refuses a bad limit, an unknown parameter and a cursor of another scope', async () => {
      const { token } = await mint({ org: 'acme' });
      expectProblem(await widget(token, '?limit=0'), 400, 'validation_failed', ['/limit']);
      expectProblem(await widget(token, '?limit=101'), 400, 'validation_failed', ['/limit']);
      expectProblem(await widget(token, '?org=globex'), 400, 'validation_failed', ['/org']);
      expectProblem(await widget(token, '?cursor=%21%21'), 400, 'validation_failed', ['/cursor']);
      const first = await page(token, '?limit=2');
      const scoped = await mint({ org: 'acme', actor_id: 'alice' });
      expectProblem(
        await widget(scoped.token, `?limit=2&cursor=${first.next_cursor!}`),
        400,
        'validation_failed',
        ['/cursor'],
      );
    });
  });

  describe('embed token refusals', () => {
    /** A 401 that says nothing about why, with the CORS headers the widget needs to read it. */
    function expectRefused(res: LightMyRequestResponse): void {
      const problem = expectProblem(res, 401, 'unauthorized');
      expect(problem.detail).toBe(REFUSED);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.body).not.toMatch(/mac|expired"|payload|malformed/i);
    }

    it('refuses a request without a token', async () => {
      expectRefused(await widget(null));
      expectRefused(await widget(null, '', { authorization: 'Basic YTpi' }));
    });

    it('refuses an API key', async () => {
      expectRefused(await widget(t.apiKey));
    });

    it('refuses a token whose MAC was changed', async () => {
      const { token } = await mint({ org: 'acme' });
      const mac = token.slice(-43);
      const flipped = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
      expectRefused(await widget(token.slice(0, -43) + flipped));
      // The last character carries 2 unused bits: a decoder would read the
      // same bytes, the text comparison does not.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac.at(-1)!) ^ 1]!;
      expect(Buffer.from(sibling, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
      expectRefused(await widget(token.slice(0, -43) + sibling));
      expect((await widget(token)).statusCode).toBe(200);
    });

    it('refuses a token whose payload was changed', async () => {
      const { token } = await mint({ org: 'acme', actor_id: 'alice' });
      const payload = payloadOf(token);
      expectRefused(await widget(withPayload(token, { ...payload, o: globexId })));
      const { a: _actor, ...unscoped } = payload;
      expectRefused(await widget(withPayload(token, unscoped)));
      expectRefused(
        await widget(withPayload(token, { ...payload, e: (payload.e as number) + 86_400_000 })),
      );
    });

    it('refuses garbled tokens', async () => {
      const { token } = await mint({ org: 'acme' });
      for (const bad of [
        'lp_et_',
        token.slice(0, -1),
        token.replace('.', ''),
        `${token}.x`,
        `lp_et_${'A'.repeat(5000)}.${token.slice(-43)}`,
        token.replace('lp_et_', 'lp_sk_'),
      ]) {
        expectRefused(await widget(bad));
      }
    });

    it('refuses a token once it expires, at the millisecond', async () => {
      const start = clock();
      try {
        const { token } = await mint({ org: 'acme', expires_in: 60 });
        clock.set(start + 59_999);
        expect((await widget(token)).statusCode).toBe(200);
        clock.set(start + 60_000);
        expectRefused(await widget(token));
      } finally {
        clock.set(start);
      }
    });

    it('is refused by every API route', async () => {
      const { token } = await mint({ org: 'acme' });
      for (const url of ['/v1/events', '/v1/orgs', '/v1/orgs/acme/checkpoint']) {
        const res = await getJson(t.app, token, url);
        expectProblem(res, 401, 'unauthorized');
      }
      expectProblem(
        await postJson(t.app, token, '/v1/embed-tokens', { org: 'acme' }),
        401,
        'unauthorized',
      );
      expectProblem(
        await postJson(t.app, token, '/v1/events', {
          org: 'acme',
          action: 'x.y',
          actor: { id: 'a' },
        }),
        401,
        'unauthorized',
      );
    });
  });

  describe('CORS', () => {
    const origin = { origin: 'https://vendor.example' };
    const preflight = {
      ...origin,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    };

    it('allows any origin, without credentials, on the widget routes', async () => {
      const { token } = await mint({ org: 'acme' });
      const res = await widget(token, '', origin);
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('answers the preflight with 204', async () => {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url: '/v1/widget/events',
        headers: preflight,
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-methods']).toBe('GET');
      expect(res.headers['access-control-allow-headers']).toBe('authorization');
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(res.body).toBe('');
    });

    it('sends no CORS headers on any other /v1 route', async () => {
      const get = await getJson(t.app, t.apiKey, '/v1/events?limit=1', origin);
      expect(get.statusCode).toBe(200);
      const post = await postJson(t.app, t.apiKey, '/v1/embed-tokens', { org: 'acme' }, origin);
      expect(post.statusCode).toBe(201);
      for (const res of [get, post]) {
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['access-control-allow-methods']).toBeUndefined();
      }
      for (const url of ['/v1/events', '/v1/embed-tokens', '/v1/orgs']) {
        const res = await t.app.inject({ method: 'OPTIONS', url, headers: preflight });
        expect(res.statusCode, url).toBe(404);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['access-control-allow-methods']).toBeUndefined();
      }
    });
  });
});
