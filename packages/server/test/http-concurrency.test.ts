// Concurrent writers never fork the chain (API.md "Events"): the log stays
// dense, linked, signed and provable (PROOFS.md §1-§6), checked here from the
// API's answers alone with the core's verifier.
import { bytesToHex, type StoredEvent } from '@logproof/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, getJson, postJson, validEvent, type TestApp } from './helpers/http-app.js';
import {
  canonicalOf,
  checkWholeLog,
  expectCheckpointMatches,
  expectEventVerifies,
} from './helpers/log-check.js';

interface OrgView {
  id: string;
  origin: string;
  tree_size: number;
  root_hash: string;
  key_id: string;
  verifier_key: string;
}

interface CheckpointView {
  origin: string;
  tree_size: number;
  root_hash: string;
  checkpoint: string;
  key_id: string;
  verifier_key: string;
}

describe('concurrent writers on one org', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  /** `writers` clients, each posting `perWriter` events one after another. */
  async function runWriters(
    writers: number,
    perWriter: number,
    body: (w: number, i: number) => unknown,
    url = '/v1/events',
  ) {
    const results = await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const mine: StoredEvent[] = [];
        for (let i = 0; i < perWriter; i++) {
          const res = await postJson(t.app, t.apiKey, url, body(w, i));
          expect(res.statusCode, res.body).toBe(201);
          const json = res.json<StoredEvent | { events: StoredEvent[] }>();
          mine.push(...('events' in json ? json.events : [json]));
        }
        return mine;
      }),
    );
    return results.flat();
  }

  it('64 writers x 10 events: dense chain 0..639, no fork, every signature, canonical bytes and the checkpoint verify', async () => {
    const events = await runWriters(64, 10, (w, i) =>
      validEvent({ actor: { id: `writer_${w}` }, metadata: { w, i } }),
    );
    expect(events).toHaveLength(640);
    const { ordered, tree } = checkWholeLog(events);
    expect(ordered.at(-1)!.chain_index).toBe(639);

    // Each writer's own events are in its own order.
    for (let w = 0; w < 64; w++) {
      const mine = ordered.filter((e) => e.metadata.w === w).map((e) => e.metadata.i);
      expect(mine).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }

    const org = (await getJson(t.app, t.apiKey, '/v1/orgs/default')).json<OrgView>();
    expect(org.tree_size).toBe(640);
    expect(org.root_hash).toBe(bytesToHex(tree.root()));

    await Promise.all(
      ordered.map(async (event) => {
        expectEventVerifies(event, org.verifier_key);
        const stored = await getJson(t.app, t.apiKey, `/v1/events/${event.id}`);
        expect(stored.json()).toEqual(event);
        const canonical = await getJson(t.app, t.apiKey, `/v1/events/${event.id}/canonical`);
        expect(canonical.statusCode).toBe(200);
        expect(canonical.headers['content-type']).toMatch(/^application\/json/);
        expect(new Uint8Array(canonical.rawPayload)).toEqual(canonicalOf(event));
      }),
    );

    const json = await getJson(t.app, t.apiKey, '/v1/orgs/default/checkpoint', {
      accept: 'application/json',
    });
    const checkpoint = json.json<CheckpointView>();
    expect(checkpoint).toMatchObject({
      origin: org.origin,
      tree_size: 640,
      root_hash: org.root_hash,
      key_id: org.key_id,
      verifier_key: org.verifier_key,
    });
    expect(expectCheckpointMatches(checkpoint.checkpoint, org.verifier_key, tree).treeSize).toBe(
      640,
    );

    // The default representation is the signed note itself.
    const note = await getJson(t.app, t.apiKey, '/v1/orgs/default/checkpoint');
    expect(note.headers['content-type']).toMatch(/^text\/plain/);
    expect(note.body).toBe(checkpoint.checkpoint);
  });

  it('writers on two orgs mixing single events and batches keep both logs dense and provable', async () => {
    const created = await postJson(t.app, t.apiKey, '/v1/orgs', {
      external_id: 'acme',
      name: 'Acme',
    });
    expect(created.statusCode).toBe(201);
    const [singles, batches] = await Promise.all([
      runWriters(32, 5, (w, i) =>
        validEvent({ org: w % 2 ? 'acme' : 'default', metadata: { w, i } }),
      ),
      runWriters(
        16,
        3,
        (w, i) => ({
          events: Array.from({ length: 7 }, (_, k) =>
            validEvent({ org: k % 2 ? 'acme' : 'default', metadata: { w: 100 + w, i, k } }),
          ),
        }),
        '/v1/events/batch',
      ),
    ]);
    const all = [...singles, ...batches];
    expect(all).toHaveLength(32 * 5 + 16 * 3 * 7);
    for (const ref of ['default', 'acme']) {
      const org = (await getJson(t.app, t.apiKey, `/v1/orgs/${ref}`)).json<OrgView>();
      const events = all.filter((e) => e.org === org.id);
      expect(events).toHaveLength(org.tree_size);
      const { tree } = checkWholeLog(events);
      for (const e of events) expectEventVerifies(e, org.verifier_key);
      const checkpoint = (
        await getJson(t.app, t.apiKey, `/v1/orgs/${ref}/checkpoint`, { accept: 'application/json' })
      ).json<CheckpointView>();
      expect(expectCheckpointMatches(checkpoint.checkpoint, org.verifier_key, tree).treeSize).toBe(
        org.tree_size,
      );
    }
    // A batch's items for one org are consecutive, in request order.
    for (const e of batches.filter((x) => x.metadata.k === 3)) {
      const next = batches.find(
        (x) => x.metadata.w === e.metadata.w && x.metadata.i === e.metadata.i && x.metadata.k === 5,
      )!;
      expect(next.chain_index).toBe(e.chain_index + 1);
    }
  });
});
