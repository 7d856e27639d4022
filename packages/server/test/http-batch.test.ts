// POST /v1/events/batch (API.md "Events"): up to 1000 items, all-or-nothing,
// per-item error paths, consecutive chain_index values per org in request order.
import type { StoredEvent } from '@logproof/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  expectProblem,
  getJson,
  postJson,
  treeSize,
  validEvent,
  type TestApp,
} from './helpers/http-app.js';
import {
  checkWholeLog,
  expectCheckpointMatches,
  expectEventVerifies,
} from './helpers/log-check.js';

interface OrgView {
  id: string;
  external_id: string;
  tree_size: number;
  root_hash: string;
  verifier_key: string;
}

describe('POST /v1/events/batch', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const batch = (body: unknown) => postJson(t.app, t.apiKey, '/v1/events/batch', body);
  const items = (count: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
    Array.from({ length: count }, (_, i) => validEvent({ metadata: { i }, ...extra(i) }));

  async function expectRefused(body: unknown, status: number, code: string, paths: string[]) {
    const before = await treeSize(t.app, t.apiKey);
    const problem = expectProblem(await batch(body), status, code, paths);
    expect(await treeSize(t.app, t.apiKey)).toBe(before);
    return problem;
  }

  it('appends 1000 items at consecutive chain indexes, in request order', async () => {
    const before = await treeSize(t.app, t.apiKey);
    const res = await batch({ events: items(1000) });
    expect(res.statusCode, res.body).toBe(201);
    const events = res.json<{ events: StoredEvent[] }>().events;
    expect(events).toHaveLength(1000);
    events.forEach((event, i) => {
      expect(event.chain_index).toBe(before + i);
      expect(event.metadata).toEqual({ i });
    });
    expect(await treeSize(t.app, t.apiKey)).toBe(before + 1000);
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.previous_hash).toBe(events[i - 1]!.hash);
  });

  it('refuses 1001 items with 400 naming /events', async () => {
    await expectRefused({ events: items(1001) }, 400, 'validation_failed', ['/events']);
  });

  it.each([
    ['no events member', {}, '/events'],
    ['an empty list', { events: [] }, '/events'],
    ['events that is not a list', { events: validEvent() }, '/events'],
    ['an unknown envelope member', { events: items(1), org: 'default' }, '/org'],
  ])('refuses %s', async (_, body, path) => {
    await expectRefused(body, 400, 'validation_failed', [path]);
  });

  it('fails the whole batch for one bad item, naming it: /events/17/action', async () => {
    const events = items(30, (i) => (i === 17 ? { action: 'Not An Action' } : {}));
    const problem = await expectRefused({ events }, 400, 'validation_failed', [
      '/events/17/action',
    ]);
    expect(problem.errors.every((e) => e.path.startsWith('/events/17/'))).toBe(true);
  });

  it('names every bad item of a batch', async () => {
    const events = items(40, (i) =>
      i === 3
        ? { actor: {} }
        : i === 21
          ? { metadata: { f: 0.5 } }
          : i === 39
            ? { extra: true }
            : {},
    );
    await expectRefused({ events }, 400, 'validation_failed', [
      '/events/3/actor/id',
      '/events/21/metadata/f',
      '/events/39/extra',
    ]);
  });

  it('refuses an item that is not an object, naming it', async () => {
    await expectRefused({ events: [validEvent(), 'user.login'] }, 400, 'validation_failed', [
      '/events/1',
    ]);
  });

  it('appends items for two orgs, each org at consecutive indexes in request order', async () => {
    const created = await postJson(t.app, t.apiKey, '/v1/orgs', {
      external_id: 'acme-prod',
      name: 'Acme',
    });
    expect(created.statusCode, created.body).toBe(201);
    const acme = created.json<OrgView>();
    const defaultBefore = await treeSize(t.app, t.apiKey);

    const events = items(9, (i) => (i % 3 === 0 ? { org: 'acme-prod' } : {}));
    const res = await batch({ events });
    expect(res.statusCode, res.body).toBe(201);
    const stored = res.json<{ events: StoredEvent[] }>().events;
    const forAcme = stored.filter((e) => e.org === acme.id);
    const forDefault = stored.filter((e) => e.org !== acme.id);
    expect(forAcme.map((e) => e.metadata.i)).toEqual([0, 3, 6]);
    expect(forAcme.map((e) => e.chain_index)).toEqual([0, 1, 2]);
    expect(forAcme.every((e) => e.org_external_id === 'acme-prod')).toBe(true);
    expect(forDefault.map((e) => e.chain_index)).toEqual(
      Array.from({ length: 6 }, (_, i) => defaultBefore + i),
    );

    // The acme log is exactly these three events, signed with acme's own key.
    const org = (await getJson(t.app, t.apiKey, '/v1/orgs/acme-prod')).json<OrgView>();
    expect(org.tree_size).toBe(3);
    const { tree } = checkWholeLog(forAcme);
    for (const e of forAcme) expectEventVerifies(e, org.verifier_key);
    const checkpoint = (
      await getJson(t.app, t.apiKey, '/v1/orgs/acme-prod/checkpoint', {
        accept: 'application/json',
      })
    ).json<{ checkpoint: string; tree_size: number }>();
    expect(checkpoint.tree_size).toBe(3);
    expectCheckpointMatches(checkpoint.checkpoint, org.verifier_key, tree);
    const defaultKey = (await getJson(t.app, t.apiKey, '/v1/orgs/default')).json<OrgView>()
      .verifier_key;
    expect(defaultKey).not.toBe(org.verifier_key);
  });
});
