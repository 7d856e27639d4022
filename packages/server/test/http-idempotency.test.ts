// Idempotency-Key (API.md "Events"): a replay answers 200 with the original
// event and appends nothing; another body is 422; a repeat while the first is
// still being committed is 409. Batch items carry their own keys.
import type { StoredEvent } from '@logproof/core';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  expectProblem,
  postJson,
  treeSize,
  validEvent,
  type TestApp,
} from './helpers/http-app.js';

describe('Idempotency-Key', () => {
  let t: TestApp;
  let n = 0;
  const freshKey = () => `idem-${Date.now()}-${n++}`;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (body: unknown, key?: string, url = '/v1/events') =>
    postJson(t.app, t.apiKey, url, body, key === undefined ? {} : { 'idempotency-key': key });

  describe('on POST /v1/events', () => {
    it('replays the original event with 200 and Idempotent-Replayed, appending nothing', async () => {
      const key = freshKey();
      const body = validEvent({ metadata: { n: 1 } });
      const first = await post(body, key);
      expect(first.statusCode, first.body).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const size = await treeSize(t.app, t.apiKey);

      const again = await post(body, key);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
    });

    it('treats the same JSON with other member order and spacing as the same body', async () => {
      const key = freshKey();
      const first = await post('{"action":"user.login","actor":{"id":"u","type":"user"}}', key);
      expect(first.statusCode).toBe(201);
      const again = await post(
        '{ "actor": { "type": "user", "id": "u" },\n "action": "user.login" }',
        key,
      );
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json<StoredEvent>().id).toBe(first.json<StoredEvent>().id);
    });

    it('replays through the /v1/audit/events alias too', async () => {
      const key = freshKey();
      const first = await post(validEvent(), key, '/v1/audit/events');
      const again = await post(validEvent(), key, '/v1/events');
      expect(first.statusCode).toBe(201);
      expect(again.statusCode).toBe(200);
      expect(again.json<StoredEvent>().id).toBe(first.json<StoredEvent>().id);
    });

    it('answers 422 for the same key with another body, appending nothing', async () => {
      const key = freshKey();
      expect((await post(validEvent({ metadata: { v: 1 } }), key)).statusCode).toBe(201);
      const size = await treeSize(t.app, t.apiKey);
      expectProblem(
        await post(validEvent({ metadata: { v: 2 } }), key),
        422,
        'idempotency_key_reused',
      );
      expectProblem(
        await post({ events: [validEvent({ metadata: { v: 1 } })] }, key, '/v1/events/batch'),
        422,
        'idempotency_key_reused',
      );
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
    });

    it('does not replay a refused request: a key first sent with an invalid body stays free', async () => {
      const key = freshKey();
      expectProblem(await post(validEvent({ action: 'Bad' }), key), 400, 'validation_failed');
      expect((await post(validEvent(), key)).statusCode).toBe(201);
    });

    it('scopes keys to the project', async () => {
      const other = await t.logproof.tenancy.initProject('Other vendor');
      const key = freshKey();
      const mine = await post(validEvent(), key);
      const theirs = await postJson(t.app, other.apiKey, '/v1/events', validEvent(), {
        'idempotency-key': key,
      });
      expect(mine.statusCode).toBe(201);
      expect(theirs.statusCode, theirs.body).toBe(201);
      expect(theirs.json<StoredEvent>().org).not.toBe(mine.json<StoredEvent>().org);
    });

    it('accepts keys of 1 to 255 printable ASCII characters and refuses others with 400', async () => {
      expect((await post(validEvent(), 'k')).statusCode).toBe(201);
      expect((await post(validEvent(), 'k'.repeat(255))).statusCode).toBe(201);
      const size = await treeSize(t.app, t.apiKey);
      expectProblem(await post(validEvent(), 'k'.repeat(256)), 400, 'validation_failed');
      expectProblem(await post(validEvent(), 'has space'), 400, 'validation_failed');
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
    });
  });

  describe('under concurrency', () => {
    it('appends one event for 16 identical concurrent requests; the others replay it or get 409', async () => {
      const key = freshKey();
      const body = validEvent({ metadata: { concurrent: true } });
      const size = await treeSize(t.app, t.apiKey);
      const answers = await Promise.all(Array.from({ length: 16 }, () => post(body, key)));
      const created = answers.filter((r) => r.statusCode === 201);
      expect(created).toHaveLength(1);
      const id = created[0]!.json<StoredEvent>().id;
      for (const r of answers) {
        if (r.statusCode === 201) continue;
        if (r.statusCode === 200) {
          expect(r.headers['idempotent-replayed']).toBe('true');
          expect(r.json<StoredEvent>().id).toBe(id);
        } else {
          const problem = expectProblem(r, 409, 'idempotency_key_in_flight');
          expect(problem.detail).toMatch(/retry/);
          expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        }
      }
      expect(await treeSize(t.app, t.apiKey)).toBe(size + 1);
      // Once settled, every repeat is a replay.
      expect((await post(body, key)).json<StoredEvent>().id).toBe(id);
    });

    it('appends one event for 8 concurrent requests with one key and different bodies', async () => {
      const key = freshKey();
      const size = await treeSize(t.app, t.apiKey);
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => post(validEvent({ metadata: { i } }), key)),
      );
      const created = answers.filter((r) => r.statusCode === 201);
      expect(created).toHaveLength(1);
      for (const r of answers) {
        if (r.statusCode === 201) continue;
        if (r.statusCode === 409) expectProblem(r, 409, 'idempotency_key_in_flight');
        else expectProblem(r, 422, 'idempotency_key_reused');
      }
      expect(await treeSize(t.app, t.apiKey)).toBe(size + 1);
    });

    it('appends an item once when two concurrent batches carry its key', async () => {
      const key = freshKey();
      const size = await treeSize(t.app, t.apiKey);
      const item = validEvent({ idempotency_key: key, metadata: { shared: 1 } });
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          post(
            { events: [validEvent({ metadata: { own: i } }), item] },
            undefined,
            '/v1/events/batch',
          ),
        ),
      );
      const ok = answers.filter((r) => r.statusCode === 201);
      for (const r of answers)
        if (r.statusCode !== 201) expectProblem(r, 409, 'idempotency_key_in_flight');
      const sharedIds = new Set(ok.map((r) => r.json<{ events: StoredEvent[] }>().events[1]!.id));
      expect(sharedIds.size).toBe(1);
      // Each accepted batch appended its own item; the shared one only once.
      expect(await treeSize(t.app, t.apiKey)).toBe(size + ok.length + 1);
    });
  });

  describe('on POST /v1/events/batch', () => {
    const batch = (events: unknown[], key?: string): Promise<LightMyRequestResponse> =>
      post({ events }, key, '/v1/events/batch');

    it('replays a whole batch sent with the same Idempotency-Key header', async () => {
      const key = freshKey();
      const events = [validEvent({ metadata: { b: 1 } }), validEvent({ metadata: { b: 2 } })];
      const first = await batch(events, key);
      expect(first.statusCode, first.body).toBe(201);
      const size = await treeSize(t.app, t.apiKey);
      const again = await batch(events, key);
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
      expectProblem(await batch([events[0]], key), 422, 'idempotency_key_reused');
    });

    it('returns items already recorded under their own key instead of appending them again', async () => {
      const [k1, k2] = [freshKey(), freshKey()];
      const items = [
        validEvent({ idempotency_key: k1, metadata: { item: 1 } }),
        validEvent({ idempotency_key: k2, metadata: { item: 2 } }),
        validEvent({ metadata: { item: 3 } }),
      ];
      const first = await batch(items);
      expect(first.statusCode, first.body).toBe(201);
      const firstEvents = first.json<{ events: StoredEvent[] }>().events;
      const size = await treeSize(t.app, t.apiKey);

      const again = await batch(items);
      expect(again.statusCode, again.body).toBe(201);
      const againEvents = again.json<{ events: StoredEvent[] }>().events;
      expect(againEvents[0]).toEqual(firstEvents[0]);
      expect(againEvents[1]).toEqual(firstEvents[1]);
      // The keyless item is a new event.
      expect(againEvents[2]!.id).not.toBe(firstEvents[2]!.id);
      expect(await treeSize(t.app, t.apiKey)).toBe(size + 1);
      // An item's key is not stored in the event.
      expect(firstEvents[0]).not.toHaveProperty('idempotency_key');
    });

    it('answers 422 naming the item whose key was used with other content, appending nothing', async () => {
      const key = freshKey();
      expect(
        (await batch([validEvent({ idempotency_key: key, metadata: { v: 1 } })])).statusCode,
      ).toBe(201);
      const size = await treeSize(t.app, t.apiKey);
      const res = await batch([
        validEvent(),
        validEvent(),
        validEvent({ idempotency_key: key, metadata: { v: 2 } }),
      ]);
      expectProblem(res, 422, 'idempotency_key_reused', ['/events/2/idempotency_key']);
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
    });

    it('answers 400 for two items with one key in a batch', async () => {
      const key = freshKey();
      const size = await treeSize(t.app, t.apiKey);
      const res = await batch([
        validEvent({ idempotency_key: key }),
        validEvent({ idempotency_key: key }),
      ]);
      expectProblem(res, 400, 'validation_failed', ['/events/1/idempotency_key']);
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
    });

    it('answers 400 when an item repeats the Idempotency-Key header of its own batch', async () => {
      const key = freshKey();
      const size = await treeSize(t.app, t.apiKey);
      const res = await batch([validEvent(), validEvent({ idempotency_key: key })], key);
      expectProblem(res, 400, 'validation_failed', ['/events/1/idempotency_key']);
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
    });

    it('accepts item keys of 1 to 256 characters and refuses 257', async () => {
      const long = `${freshKey()}-`.padEnd(256, 'k');
      expect((await batch([validEvent({ idempotency_key: long })])).statusCode).toBe(201);
      const size = await treeSize(t.app, t.apiKey);
      const res = await batch([validEvent({ idempotency_key: `${long}k` })]);
      expectProblem(res, 400, 'validation_failed', ['/events/0/idempotency_key']);
      expectProblem(await batch([validEvent({ idempotency_key: '' })]), 400, 'validation_failed', [
        '/events/0/idempotency_key',
      ]);
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
    });

    it('recognises an event first sent alone with the header, when a batch item carries that key', async () => {
      const key = freshKey();
      const body = validEvent({ metadata: { cross: 1 } });
      const single = await post(body, key);
      expect(single.statusCode).toBe(201);
      const size = await treeSize(t.app, t.apiKey);
      const res = await batch([{ ...body, idempotency_key: key }]);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<{ events: StoredEvent[] }>().events[0]!.id).toBe(
        single.json<StoredEvent>().id,
      );
      expect(await treeSize(t.app, t.apiKey)).toBe(size);
    });
  });
});
