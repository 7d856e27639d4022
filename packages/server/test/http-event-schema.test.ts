// Every rule of the event body (API.md "Events"), each at its limit (accepted)
// and one past it (400 validation_failed naming the member, nothing appended).
import type { StoredEvent } from '@logproof/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  createTestClock,
  expectProblem,
  getJson,
  postJson,
  treeSize,
  validEvent,
  type TestApp,
} from './helpers/http-app.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const segments = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`).join('.');
const target = (i: number) => ({ id: `t_${i}`, type: 'doc' });
const manyKeys = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

describe('POST /v1/events: the event schema', () => {
  const clock = createTestClock(NOW);
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({}, { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  async function expectAccepted(body: unknown): Promise<StoredEvent> {
    const before = await treeSize(t.app, t.apiKey);
    const res = await postJson(t.app, t.apiKey, '/v1/events', body);
    expect(res.statusCode, res.body).toBe(201);
    expect(await treeSize(t.app, t.apiKey)).toBe(before + 1);
    return res.json<StoredEvent>();
  }

  async function expectRejected(body: unknown, path: string): Promise<void> {
    const before = await treeSize(t.app, t.apiKey);
    const res = await postJson(t.app, t.apiKey, '/v1/events', body);
    const problem = expectProblem(res, 400, 'validation_failed', [path]);
    expect(problem.errors.find((e) => e.path === path)?.message).toMatch(/\S/);
    expect(await treeSize(t.app, t.apiKey)).toBe(before);
  }

  describe('defaults and normalisation', () => {
    it('stores a minimal event with every default filled in (PROOFS.md §2)', async () => {
      const event = await expectAccepted(validEvent());
      expect(event).toMatchObject({
        v: 1,
        org_external_id: 'default',
        action: 'user.login',
        actor: { id: 'user_1', type: 'user' },
        targets: [],
        metadata: {},
        context: {},
        occurred_at: iso(NOW),
        created_at: iso(NOW),
        entry_type: 'business',
        outcome: 'success',
      });
      expect(event).not.toHaveProperty('description');
      expect(event.id).toMatch(/^evt_/);
      expect(event.org).toMatch(/^org_/);
      const again = await getJson(t.app, t.apiKey, `/v1/events/${event.id}`);
      expect(again.json()).toEqual(event);
    });

    it('stores a Logproof-style target as a one-element targets array', async () => {
      const event = await expectAccepted(validEvent({ target: { id: 'inv_1', type: 'invoice' } }));
      expect(event.targets).toEqual([{ id: 'inv_1', type: 'invoice' }]);
      expect(event).not.toHaveProperty('target');
    });

    it('normalises occurred_at with another offset and precision to UTC milliseconds', async () => {
      const event = await expectAccepted(
        validEvent({ occurred_at: '2026-03-01T13:30:18.123456+02:00' }),
      );
      expect(event.occurred_at).toBe('2026-03-01T11:30:18.123Z');
    });

    it('keeps strings exactly as sent, with surrogate pairs and surrounding spaces', async () => {
      const event = await expectAccepted(
        validEvent({ description: ' paid 😀 ', actor: { id: ' u 1 ', name: 'Zoë' } }),
      );
      expect(event.description).toBe(' paid 😀 ');
      expect(event.actor).toEqual({ id: ' u 1 ', type: 'user', name: 'Zoë' });
    });
  });

  describe('action', () => {
    it.each([
      ['2 segments', 'a.b'],
      ['8 segments', segments(8)],
      ['128 characters', `a.${'b'.repeat(126)}`],
      ['digits, _ and - after the first letter', 'user_x9.log-in'],
    ])('accepts %s', async (_, action) => {
      expect((await expectAccepted(validEvent({ action }))).action).toBe(action);
    });

    it.each([
      ['1 segment', 'login'],
      ['9 segments', segments(9)],
      ['129 characters', `a.${'b'.repeat(127)}`],
      ['an upper-case letter', 'User.login'],
      ['a segment starting with a digit', 'user.1login'],
      ['an empty segment', 'user..login'],
      ['a trailing dot', 'user.login.'],
      ['the empty string', ''],
      ['a number', 42],
    ])('refuses %s', async (_, action) => {
      await expectRejected(validEvent({ action }), '/action');
    });

    it('is required', async () => {
      await expectRejected({ actor: { id: 'u' } }, '/action');
    });
  });

  describe('actor', () => {
    it.each(['user', 'service', 'system'])('accepts type %s', async (type) => {
      expect((await expectAccepted(validEvent({ actor: { id: 'a', type } }))).actor.type).toBe(
        type,
      );
    });

    it('accepts name, email and flat metadata', async () => {
      const actor = {
        id: 'a',
        type: 'service',
        name: 'Bot',
        email: 'bot@example.com',
        metadata: { tier: 2 },
      };
      expect((await expectAccepted(validEvent({ actor }))).actor).toEqual(actor);
    });

    it.each([
      ['a missing actor', undefined, '/actor'],
      ['an actor that is not an object', 'user_1', '/actor'],
      ['a missing id', { type: 'user' }, '/actor/id'],
      ['an unknown type', { id: 'a', type: 'admin' }, '/actor/type'],
      ['an e-mail address without a domain', { id: 'a', email: 'ada' }, '/actor/email'],
      ['an unknown member', { id: 'a', role: 'owner' }, '/actor/role'],
    ])('refuses %s', async (_, actor, path) => {
      await expectRejected(
        { action: 'user.login', ...(actor === undefined ? {} : { actor }) },
        path,
      );
    });
  });

  describe('ids are 1 to 256 characters', () => {
    it.each([
      ['actor.id', (id: string) => validEvent({ actor: { id } })],
      ['target.id', (id: string) => validEvent({ target: { id, type: 'doc' } })],
      ['targets[0].id', (id: string) => validEvent({ targets: [{ id, type: 'doc' }] })],
      ['context.request_id', (id: string) => validEvent({ context: { request_id: id } })],
    ])('accepts a 1- and a 256-character %s', async (_, make) => {
      await expectAccepted(make('x'));
      await expectAccepted(make('x'.repeat(256)));
    });

    it.each([
      ['actor.id', '/actor/id', (id: string) => validEvent({ actor: { id } })],
      ['target.id', '/target/id', (id: string) => validEvent({ target: { id, type: 'doc' } })],
      [
        'targets[0].id',
        '/targets/0/id',
        (id: string) => validEvent({ targets: [{ id, type: 'doc' }] }),
      ],
      [
        'context.request_id',
        '/context/request_id',
        (id: string) => validEvent({ context: { request_id: id } }),
      ],
      ['org', '/org', (id: string) => validEvent({ org: id })],
    ])('refuses an empty and a 257-character %s', async (_, path, make) => {
      await expectRejected(make(''), path);
      await expectRejected(make('x'.repeat(257)), path);
    });
  });

  describe('targets', () => {
    it('accepts 32 targets', async () => {
      const targets = Array.from({ length: 32 }, (_, i) => target(i));
      expect((await expectAccepted(validEvent({ targets }))).targets).toEqual(targets);
    });

    it('refuses 33 targets', async () => {
      await expectRejected(
        validEvent({ targets: Array.from({ length: 33 }, (_, i) => target(i)) }),
        '/targets',
      );
    });

    it('refuses target together with targets', async () => {
      await expectRejected(validEvent({ target: target(0), targets: [target(1)] }), '/targets');
    });

    it.each([
      ['a target without a type', { target: { id: 't' } }, '/target/type'],
      [
        'a target with an unknown member',
        { targets: [{ id: 't', type: 'doc', owner: 'x' }] },
        '/targets/0/owner',
      ],
      ['targets that is not an array', { targets: target(0) }, '/targets'],
    ])('refuses %s', async (_, extra, path) => {
      await expectRejected(validEvent(extra), path);
    });
  });

  describe('metadata', () => {
    it('accepts 64 keys', async () => {
      const metadata = manyKeys(64);
      expect((await expectAccepted(validEvent({ metadata }))).metadata).toEqual(metadata);
    });

    it('accepts a 2048-character string, the safe integer bounds and booleans', async () => {
      const metadata = {
        note: 'n'.repeat(2048),
        max: Number.MAX_SAFE_INTEGER,
        min: -Number.MAX_SAFE_INTEGER,
        yes: true,
        no: false,
      };
      expect((await expectAccepted(validEvent({ metadata }))).metadata).toEqual(metadata);
    });

    it('refuses 65 keys', async () => {
      await expectRejected(validEvent({ metadata: manyKeys(65) }), '/metadata');
    });

    it.each([
      ['a 2049-character string', { note: 'n'.repeat(2049) }, '/metadata/note'],
      ['a float', { amount: 12.5 }, '/metadata/amount'],
      ['an integer past 2^53 - 1', { big: Number.MAX_SAFE_INTEGER + 1 }, '/metadata/big'],
      ['a nested object', { address: { city: 'Paris' } }, '/metadata/address'],
      ['an array', { tags: ['a'] }, '/metadata/tags'],
      ['null', { gone: null }, '/metadata/gone'],
      ['a key with a space', { 'bad key': 1 }, '/metadata/bad key'],
    ])('refuses %s', async (_, metadata, path) => {
      await expectRejected(validEvent({ metadata }), path);
    });

    it('applies the same rules to actor and target metadata', async () => {
      await expectRejected(
        validEvent({ actor: { id: 'a', metadata: { x: 1.5 } } }),
        '/actor/metadata/x',
      );
      await expectRejected(
        validEvent({ target: { id: 't', type: 'd', metadata: { x: {} } } }),
        '/target/metadata/x',
      );
    });
  });

  describe('context', () => {
    it.each(['203.0.113.7', '2001:db8::1', '::ffff:192.0.2.1', '::1'])(
      'accepts the IP %s',
      async (ip) => {
        expect((await expectAccepted(validEvent({ context: { ip } }))).context).toEqual({ ip });
      },
    );

    it.each(['256.0.0.1', '127.1', '010.0.0.1', 'localhost', '2001:db8:::1', ''])(
      'refuses the IP %j',
      async (ip) => {
        await expectRejected(validEvent({ context: { ip } }), '/context/ip');
      },
    );

    it('accepts a user agent and a request id, and refuses unknown members', async () => {
      await expectAccepted(
        validEvent({ context: { user_agent: 'curl/8.5.0', request_id: 'req_1' } }),
      );
      await expectRejected(validEvent({ context: { referer: 'x' } }), '/context/referer');
    });
  });

  describe('occurred_at', () => {
    it('accepts exactly 5 minutes in the future and exactly the 365-day backfill window', async () => {
      expect(
        (await expectAccepted(validEvent({ occurred_at: iso(NOW + 5 * MINUTE) }))).occurred_at,
      ).toBe(iso(NOW + 5 * MINUTE));
      expect(
        (await expectAccepted(validEvent({ occurred_at: iso(NOW - 365 * DAY) }))).occurred_at,
      ).toBe(iso(NOW - 365 * DAY));
    });

    it.each([
      ['more than 5 minutes in the future', iso(NOW + 5 * MINUTE + 1)],
      ['older than the backfill window', iso(NOW - 365 * DAY - 1)],
      ['not RFC 3339', '2026-03-01 12:00:00'],
      ['not a calendar date', '2026-02-30T12:00:00Z'],
      ['a number', NOW],
    ])('refuses a time %s', async (_, occurredAt) => {
      await expectRejected(validEvent({ occurred_at: occurredAt }), '/occurred_at');
    });

    it("follows the server's backfill window setting", async () => {
      const short = await createTestApp({ backfillWindowMs: DAY }, { clock: () => NOW });
      try {
        const ok = await postJson(
          short.app,
          short.apiKey,
          '/v1/events',
          validEvent({ occurred_at: iso(NOW - DAY) }),
        );
        expect(ok.statusCode, ok.body).toBe(201);
        const old = await postJson(
          short.app,
          short.apiKey,
          '/v1/events',
          validEvent({ occurred_at: iso(NOW - DAY - 1) }),
        );
        expectProblem(old, 400, 'validation_failed', ['/occurred_at']);
        expect(await treeSize(short.app, short.apiKey)).toBe(1);
      } finally {
        await short.close();
      }
    });
  });

  describe('entry_type, outcome and description', () => {
    it.each(['business', 'auth', 'system', 'database'])(
      'accepts entry_type %s',
      async (entryType) => {
        expect((await expectAccepted(validEvent({ entry_type: entryType }))).entry_type).toBe(
          entryType,
        );
      },
    );

    it.each(['success', 'failure'])('accepts outcome %s', async (outcome) => {
      expect((await expectAccepted(validEvent({ outcome }))).outcome).toBe(outcome);
    });

    it('accepts a 1024-character description', async () => {
      const description = 'd'.repeat(1024);
      expect((await expectAccepted(validEvent({ description }))).description).toBe(description);
    });

    it.each([
      ['entry_type', { entry_type: 'audit' }, '/entry_type'],
      ['outcome', { outcome: 'partial' }, '/outcome'],
      ['description of 1025 characters', { description: 'd'.repeat(1025) }, '/description'],
    ])('refuses a bad %s', async (_, extra, path) => {
      await expectRejected(validEvent(extra), path);
    });
  });

  describe('well-formed Unicode', () => {
    // Sent as raw JSON text: the escapes reach the server's JSON parser as is.
    it.each([
      ['actor.id', '{"action":"user.login","actor":{"id":"\\ud800"}}', '/actor/id'],
      [
        'description',
        '{"action":"user.login","actor":{"id":"u"},"description":"a\\udc00b"}',
        '/description',
      ],
      [
        'a metadata value',
        '{"action":"user.login","actor":{"id":"u"},"metadata":{"k":"\\ud83d"}}',
        '/metadata/k',
      ],
      [
        'a target name',
        '{"action":"user.login","actor":{"id":"u"},"target":{"id":"t","type":"d","name":"\\udfff"}}',
        '/target/name',
      ],
    ])('refuses a lone surrogate in %s', async (_, body, path) => {
      await expectRejected(body, path);
    });

    it('refuses a lone surrogate in a metadata key', async () => {
      const before = await treeSize(t.app, t.apiKey);
      const res = await postJson(
        t.app,
        t.apiKey,
        '/v1/events',
        '{"action":"user.login","actor":{"id":"u"},"metadata":{"\\ud800":1}}',
      );
      const problem = expectProblem(res, 400, 'validation_failed');
      expect(problem.errors.some((e) => e.path.startsWith('/metadata/'))).toBe(true);
      // The answer itself is well-formed Unicode.
      expect(res.body.isWellFormed()).toBe(true);
      expect(await treeSize(t.app, t.apiKey)).toBe(before);
    });

    it('accepts an escaped surrogate pair', async () => {
      const event = await expectAccepted('{"action":"user.login","actor":{"id":"\\ud83d\\ude00"}}');
      expect(event.actor.id).toBe('😀');
    });
  });

  describe('unknown members and body shape', () => {
    it.each([
      ['a top-level member', validEvent({ severity: 'high' }), '/severity'],
      [
        'idempotency_key in a single event (it is a header there)',
        validEvent({ idempotency_key: 'k' }),
        '/idempotency_key',
      ],
      [
        'targets[3] member',
        validEvent({ targets: [target(0), target(1), target(2), { ...target(3), x: 1 }] }),
        '/targets/3/x',
      ],
    ])('refuses %s', async (_, body, path) => {
      await expectRejected(body, path);
    });

    it.each([
      ['an array', '[]'],
      ['a string', '"user.login"'],
      ['a number', '42'],
      ['null', 'null'],
    ])('refuses a body that is %s', async (_, body) => {
      const before = await treeSize(t.app, t.apiKey);
      const res = await postJson(t.app, t.apiKey, '/v1/events', body);
      expectProblem(res, 400, 'validation_failed', ['']);
      expect(await treeSize(t.app, t.apiKey)).toBe(before);
    });

    it('reports every problem of a body at once', async () => {
      const res = await postJson(t.app, t.apiKey, '/v1/events', {
        action: 'Bad',
        actor: { id: '' },
        outcome: 'maybe',
        extra: 1,
      });
      expectProblem(res, 400, 'validation_failed', ['/action', '/actor/id', '/outcome', '/extra']);
    });
  });
});
