// POST /v1/orgs/{org}/keys/rotate (API.md "Orgs and keys", PROOFS.md §6):
// new events and checkpoints use the new key, in this process and in any
// other sharing the database, and everything signed before still verifies
// with the old key, which stays published.
import {
  canonicalBytes,
  entryFromEvent,
  parseVerifierKey,
  verifyCheckpoint,
  verifyEventSignature,
  type StoredEvent,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  expectProblem,
  getJson,
  postJson,
  recordEvent,
  validEvent,
} from './helpers/http-app.js';
import {
  describeOnBackends,
  openVerifyApp,
  seedLog,
  type VerifyApp,
} from './helpers/verify-app.js';

const crypto = createNodeCrypto();

interface Key {
  key_id: string;
  verifier_key: string;
  public_key: string;
  created_at: string;
  retired_at: string | null;
}

describeOnBackends('key rotation', (backend) => {
  let t: VerifyApp;

  beforeAll(async () => {
    t = await openVerifyApp(backend);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function rotate(org: string, app = t.app): Promise<Key> {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/orgs/${org}/keys/rotate`,
      headers: bearer(t.apiKey),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Key>();
  }

  async function keysOf(org: string): Promise<Key[]> {
    return (await getJson(t.app, t.apiKey, `/v1/orgs/${org}/keys`)).json<{ data: Key[] }>().data;
  }

  /** Every event's signature, checked with the published key its key_id names. */
  function expectSignedByPublishedKeys(events: readonly StoredEvent[], keys: readonly Key[]): void {
    for (const event of events) {
      const key = keys.find((k) => k.key_id === event.key_id);
      expect(key, `key ${event.key_id} is published`).toBeDefined();
      const bytes = canonicalBytes(entryFromEvent(event));
      expect(
        verifyEventSignature(
          bytes,
          event.signature,
          parseVerifierKey(key!.verifier_key, crypto).publicKey,
          crypto,
        ),
      ).toBe(true);
    }
  }

  it('makes a new current key and keeps the old one listed, retired', async () => {
    await seedLog(t, 'rot-list', [3]);
    const before = await keysOf('rot-list');
    expect(before).toHaveLength(1);
    const fresh = await rotate('rot-list');
    expect(fresh.retired_at).toBeNull();
    expect(fresh.key_id).not.toBe(before[0]!.key_id);
    const after = await keysOf('rot-list');
    expect(after.map((k) => k.key_id)).toEqual([before[0]!.key_id, fresh.key_id]);
    expect(after[0]!.retired_at).toBe(fresh.created_at);
    expect(after[1]).toEqual(fresh);
    const org = (await getJson(t.app, t.apiKey, '/v1/orgs/rot-list')).json<{
      id: string;
      key_id: string;
      verifier_key: string;
    }>();
    expect(org).toMatchObject({ key_id: fresh.key_id, verifier_key: fresh.verifier_key });
    const published = (
      await t.app.inject({ method: 'GET', url: `/v1/public/logs/${org.id}/keys` })
    ).json<{ data: Key[] }>();
    expect(published.data).toEqual(after);
  });

  it('signs new events and checkpoints with the new key while old ones still verify with the old key', async () => {
    const { events: old } = await seedLog(t, 'rot-sign', [4, 3]);
    const oldKey = (await keysOf('rot-sign'))[0]!;
    const fresh = await rotate('rot-sign');
    const added = await postJson(t.app, t.apiKey, '/v1/events/batch', {
      events: Array.from({ length: 5 }, () => validEvent({ org: 'rot-sign' })),
    });
    const recent = added.json<{ events: StoredEvent[] }>().events;
    expect(recent.map((e) => e.key_id)).toEqual(Array(5).fill(fresh.key_id));
    expectSignedByPublishedKeys([...old, ...recent], await keysOf('rot-sign'));

    // The checkpoint at 7 was signed before the rotation, the one at 12 after it.
    const at7 = (await getJson(t.app, t.apiKey, '/v1/orgs/rot-sign/checkpoints?tree_size=7')).body;
    expect(
      verifyCheckpoint(at7, parseVerifierKey(oldKey.verifier_key, crypto), crypto).treeSize,
    ).toBe(7);
    const at12 = (await getJson(t.app, t.apiKey, '/v1/orgs/rot-sign/checkpoints?tree_size=12'))
      .body;
    expect(
      verifyCheckpoint(at12, parseVerifierKey(fresh.verifier_key, crypto), crypto).treeSize,
    ).toBe(12);
    expect(() =>
      verifyCheckpoint(at12, parseVerifierKey(oldKey.verifier_key, crypto), crypto),
    ).toThrow();

    const v = (await getJson(t.app, t.apiKey, `/v1/events/${old[2]!.id}/verify`)).json();
    expect(v).toMatchObject({
      valid: true,
      verifier_key: oldKey.verifier_key,
      checkpoint_verifier_key: fresh.verifier_key,
    });
    const log = await postJson(t.app, t.apiKey, '/v1/orgs/rot-sign/verify', { signatures: true });
    expect(log.json()).toMatchObject({ valid: true, tree_size: 12, problems: [] });
  });

  it('lets a second rotation retire the second key too, all three staying published', async () => {
    const { events } = await seedLog(t, 'rot-twice', [2]);
    await rotate('rot-twice');
    const middle = await recordEvent(t.app, t.apiKey, validEvent({ org: 'rot-twice' }));
    await rotate('rot-twice');
    const last = await recordEvent(t.app, t.apiKey, validEvent({ org: 'rot-twice' }));
    const keys = await keysOf('rot-twice');
    expect(keys.map((k) => k.retired_at === null)).toEqual([false, false, true]);
    expect([events[0]!.key_id, middle.key_id, last.key_id]).toEqual(keys.map((k) => k.key_id));
    expect(
      (await postJson(t.app, t.apiKey, '/v1/orgs/rot-twice/verify', { signatures: true })).json(),
    ).toMatchObject({
      valid: true,
    });
  });

  describe('across processes sharing the database', () => {
    it('signs with the new key at the next commit after another process rotated', async () => {
      await seedLog(t, 'rot-peer', [2]);
      const first = await recordEvent(t.app, t.apiKey, validEvent({ org: 'rot-peer' }));
      const peer = await t.openPeer();
      const fresh = await rotate('rot-peer', peer.app);
      expect(fresh.key_id).not.toBe(first.key_id);
      // This process still has the old signer cached: the log lock tells it.
      const next = await recordEvent(t.app, t.apiKey, validEvent({ org: 'rot-peer' }));
      expect(next.key_id).toBe(fresh.key_id);
      const cp = (
        await getJson(
          t.app,
          t.apiKey,
          `/v1/orgs/rot-peer/checkpoints?tree_size=${next.chain_index + 1}`,
        )
      ).body;
      expect(() =>
        verifyCheckpoint(cp, parseVerifierKey(fresh.verifier_key, crypto), crypto),
      ).not.toThrow();
    });

    it('never signs with the retired key after the rotation, with commits in flight', async () => {
      await seedLog(t, 'rot-race', [1]);
      const oldKey = (await keysOf('rot-race'))[0]!;
      const peer = await t.openPeer();
      const posts: Array<Promise<StoredEvent>> = [];
      let rotated: Promise<Key> | undefined;
      for (let i = 0; i < 40; i++) {
        posts.push(recordEvent(t.app, t.apiKey, validEvent({ org: 'rot-race' })));
        if (i === 15) rotated = rotate('rot-race', peer.app);
        if (i % 5 === 4) await new Promise((resolve) => setImmediate(resolve));
      }
      const events = (await Promise.all(posts)).sort((a, b) => a.chain_index - b.chain_index);
      const fresh = await rotated!;
      // A rotation is one point in the log's order: old key before it, new key after.
      const ids = events.map((e) => e.key_id);
      const firstNew = ids.indexOf(fresh.key_id);
      expect(firstNew).toBeGreaterThan(-1);
      expect(ids.slice(0, firstNew).every((k) => k === oldKey.key_id)).toBe(true);
      expect(ids.slice(firstNew).every((k) => k === fresh.key_id)).toBe(true);
      const after = await recordEvent(t.app, t.apiKey, validEvent({ org: 'rot-race' }));
      expect(after.key_id).toBe(fresh.key_id);
      expectSignedByPublishedKeys(events, await keysOf('rot-race'));
      expect(
        (await postJson(t.app, t.apiKey, '/v1/orgs/rot-race/verify', { signatures: true })).json(),
      ).toMatchObject({
        valid: true,
      });
    });
  });

  it('needs the admin scope, and answers 404 for an unknown org', async () => {
    const created = await postJson(t.app, t.apiKey, '/v1/api-keys', {
      name: 'reader',
      scopes: ['events:read'],
    });
    const reader = created.json<{ secret: string }>().secret;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/orgs/default/keys/rotate',
      headers: bearer(reader),
    });
    expectProblem(res, 403, 'forbidden');
    const missing = await t.app.inject({
      method: 'POST',
      url: '/v1/orgs/nope/keys/rotate',
      headers: bearer(t.apiKey),
    });
    expectProblem(missing, 404, 'not_found');
  });
});
