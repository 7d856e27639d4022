// The portal session sees and changes its own org only (API.md "Portal and
// widget"), reads exactly what the admin routes answer for that org, and
// every change it makes is recorded as a `logproof.portal.*` event in that
// org's log, chained and signed like any other; on SQLite and PostgreSQL.
import type { StoredEvent } from '@logproof/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExportApp, type ExportApp } from './helpers/export-app.js';
import { bearer, expectProblem, getJson, postJson } from './helpers/http-app.js';
import { openPortal, portalRequest, type PortalBrowser } from './helpers/portal-client.js';
import { describeOnBackends } from './helpers/verify-app.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

interface Page {
  data: StoredEvent[];
  next_cursor: string | null;
}

describeOnBackends('portal isolation and portal events', (backend) => {
  let t: ExportApp;
  let r: Receiver;
  let orgA: string;
  let orgB: string;
  let eventsA: StoredEvent[];
  let eventsB: StoredEvent[];
  let a: PortalBrowser;

  async function record(org: string, count: number, action: string): Promise<StoredEvent[]> {
    const res = await postJson(t.app, t.apiKey, '/v1/events/batch', {
      events: Array.from({ length: count }, (_, i) => ({
        org,
        action,
        actor: { id: `user_${i}` },
        target: { type: 'document', id: `doc_${i}` },
      })),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ events: StoredEvent[] }>().events;
  }

  async function createOrg(externalId: string): Promise<string> {
    const res = await postJson(t.app, t.apiKey, '/v1/orgs', {
      external_id: externalId,
      name: externalId,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }

  /** Every event of an org with an action under `logproof.portal.`, oldest first (admin view). */
  async function portalEvents(org: string): Promise<StoredEvent[]> {
    const res = await getJson(
      t.app,
      t.apiKey,
      `/v1/events?org=${org}&action=logproof.portal.*&order=asc&limit=1000`,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Page>().data;
  }

  beforeAll(async () => {
    t = await openExportApp(backend, { webhookAllowHttp: true, webhookAllowPrivate: true });
    r = await startReceiver();
    orgA = await createOrg('tenant-a');
    orgB = await createOrg('tenant-b');
    eventsA = await record(orgA, 5, 'document.viewed');
    eventsB = await record(orgB, 4, 'document.deleted');
    a = await openPortal(t.app, t.apiKey, orgA, ['verify', 'export', 'webhooks']);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await r?.close();
  });

  describe('reading', () => {
    it("lists the session org's events only, exactly as GET /v1/events does for that org", async () => {
      const res = await portalRequest(t.app, a, 'GET', '/v1/portal/events?order=asc&limit=100');
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<Page>();
      const admin = (
        await getJson(t.app, t.apiKey, `/v1/events?org=${orgA}&order=asc&limit=100`)
      ).json<Page>();
      expect(page).toEqual(admin);
      expect(page.data.every((e) => e.org === orgA)).toBe(true);
      const ids = new Set(page.data.map((e) => e.id));
      for (const e of eventsA) expect(ids.has(e.id)).toBe(true);
      for (const e of eventsB) expect(ids.has(e.id)).toBe(false);
      // Filters and q work, still within the org.
      const filtered = await portalRequest(
        t.app,
        a,
        'GET',
        `/v1/portal/events?q=${encodeURIComponent('action:document.*')}&limit=2`,
      );
      const first = filtered.json<Page>();
      expect(first.data).toHaveLength(2);
      expect(first.data.every((e) => e.action === 'document.viewed')).toBe(true);
      const next = await portalRequest(
        t.app,
        a,
        'GET',
        `/v1/portal/events?q=${encodeURIComponent('action:document.*')}&limit=2&cursor=${first.next_cursor}`,
      );
      expect(next.json<Page>().data.every((e) => e.org === orgA)).toBe(true);
      // Naming another org's action finds nothing.
      const none = await portalRequest(
        t.app,
        a,
        'GET',
        '/v1/portal/events?action=document.deleted',
      );
      expect(none.json<Page>().data).toEqual([]);
    });

    it('refuses an org parameter as an unknown parameter', async () => {
      for (const org of [orgB, orgA, 'tenant-b']) {
        expectProblem(
          await portalRequest(t.app, a, 'GET', `/v1/portal/events?org=${org}`),
          400,
          'validation_failed',
          ['/org'],
        );
        expectProblem(
          await portalRequest(t.app, a, 'GET', `/v1/portal/export?format=ndjson&org=${org}`),
          400,
          'validation_failed',
          ['/org'],
        );
      }
    });

    it("answers another org's event id exactly as an unknown one", async () => {
      const b = eventsB[0]!.id;
      for (const suffix of ['', '/canonical', '/verify']) {
        const foreign = await portalRequest(t.app, a, 'GET', `/v1/portal/events/${b}${suffix}`);
        const unknown = await portalRequest(
          t.app,
          a,
          'GET',
          `/v1/portal/events/evt_00000000000000000000000000${suffix}`,
        );
        const p = expectProblem(foreign, 404, 'not_found');
        const q = expectProblem(unknown, 404, 'not_found');
        expect(p.detail).toBe(`no event "${b}" in this project`);
        expect(q.detail).toBe('no event "evt_00000000000000000000000000" in this project');
        expect(foreign.body).not.toContain(eventsB[0]!.hash);
      }
    });

    it('reads one event, its canonical bytes and its verification as the admin routes do', async () => {
      const e = eventsA[2]!;
      const got = await portalRequest(t.app, a, 'GET', `/v1/portal/events/${e.id}`);
      expect(got.json()).toEqual((await getJson(t.app, t.apiKey, `/v1/events/${e.id}`)).json());
      const canonical = await portalRequest(t.app, a, 'GET', `/v1/portal/events/${e.id}/canonical`);
      expect(canonical.headers['content-type']).toMatch(/^application\/json/);
      expect(canonical.body).toBe(
        (await getJson(t.app, t.apiKey, `/v1/events/${e.id}/canonical`)).body,
      );
      const verify = await portalRequest(t.app, a, 'GET', `/v1/portal/events/${e.id}/verify`);
      expect(verify.statusCode, verify.body).toBe(200);
      const admin = (await getJson(t.app, t.apiKey, `/v1/events/${e.id}/verify`)).json();
      expect(verify.json()).toEqual(admin);
      expect(verify.json()).toMatchObject({ valid: true, event: e });
    });

    it("gives the org's checkpoint and keys as the admin routes do", async () => {
      const cp = await portalRequest(t.app, a, 'GET', '/v1/portal/checkpoint');
      expect(cp.statusCode, cp.body).toBe(200);
      const adminCp = await getJson(t.app, t.apiKey, `/v1/orgs/${orgA}/checkpoint`, {
        accept: 'application/json',
      });
      expect(cp.json()).toEqual(adminCp.json());
      expect(cp.json<{ origin: string }>().origin).toBe(`logproof.local/${orgA}`);
      const keys = await portalRequest(t.app, a, 'GET', '/v1/portal/keys');
      expect(keys.json()).toEqual((await getJson(t.app, t.apiKey, `/v1/orgs/${orgA}/keys`)).json());
    });
  });

  describe('export', () => {
    it("streams the session org's events only, and records logproof.portal.exported", async () => {
      const res = await portalRequest(
        t.app,
        a,
        'GET',
        '/v1/portal/export?format=ndjson&action=document.*',
      );
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="/);
      const rows = res.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as StoredEvent);
      expect(rows.map((e) => e.id)).toEqual(eventsA.map((e) => e.id));
      expect(res.body).not.toContain(orgB);

      const bundle = await portalRequest(t.app, a, 'GET', '/v1/portal/export?format=bundle');
      expect(bundle.statusCode, bundle.body.slice(0, 300)).toBe(200);
      expect(bundle.body).not.toContain(orgB);

      const recorded = (await portalEvents(orgA)).filter(
        (e) => e.action === 'logproof.portal.exported',
      );
      expect(recorded.map((e) => e.metadata)).toEqual([
        { format: 'ndjson', filters: 'action=document.*&order=asc' },
        { format: 'bundle', filters: 'order=asc' },
      ]);
      expect(recorded[0]!.actor).toEqual({
        id: a.sessionId,
        type: 'user',
        name: 'Portal session',
        metadata: { kind: 'portal_session' },
      });
    });
  });

  describe('webhooks', () => {
    let foreignId: string;
    let allOrgsId: string;

    beforeAll(async () => {
      const foreign = await postJson(t.app, t.apiKey, '/v1/webhooks', { url: r.url, org: orgB });
      foreignId = foreign.json<{ id: string }>().id;
      const all = await postJson(t.app, t.apiKey, '/v1/webhooks', { url: r.url });
      allOrgsId = all.json<{ id: string }>().id;
    });

    it("creates, lists, changes, tests and deletes the org's own webhook", async () => {
      const created = await portalRequest(t.app, a, 'POST', '/v1/portal/webhooks', {
        body: { url: r.url, description: 'SIEM', actions: ['document.*'] },
      });
      expect(created.statusCode, created.body).toBe(201);
      const w = created.json<{ id: string; org: string; secret: string }>();
      expect(w.org).toBe(orgA);
      expect(w.secret).toMatch(/^whsec_/);
      const adminView = (await getJson(t.app, t.apiKey, `/v1/webhooks/${w.id}`)).json();
      const { secret: _secret, ...withoutSecret } = created.json<Record<string, unknown>>();
      expect(adminView).toEqual(withoutSecret);

      const list = await portalRequest(t.app, a, 'GET', '/v1/portal/webhooks');
      expect(list.json()).toEqual({ data: [withoutSecret], next_cursor: null });

      const patched = await portalRequest(t.app, a, 'PATCH', `/v1/portal/webhooks/${w.id}`, {
        body: { enabled: false, description: 'paused' },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ enabled: false, description: 'paused' });

      const tested = await portalRequest(t.app, a, 'POST', `/v1/portal/webhooks/${w.id}/test`);
      expect(tested.statusCode, tested.body).toBe(200);
      expect(tested.json()).toMatchObject({ ok: true, status_code: 204 });
      expect(r.requests.at(-1)!.body).toContain(w.id);

      const deliveries = await portalRequest(
        t.app,
        a,
        'GET',
        `/v1/portal/webhooks/${w.id}/deliveries`,
      );
      expect(deliveries.json()).toEqual(
        (await getJson(t.app, t.apiKey, `/v1/webhooks/${w.id}/deliveries`)).json(),
      );
      expect(deliveries.json<{ data: unknown[] }>().data).toHaveLength(1);

      const deleted = await portalRequest(t.app, a, 'DELETE', `/v1/portal/webhooks/${w.id}`);
      expect(deleted.statusCode, deleted.body).toBe(204);
      expect((await getJson(t.app, t.apiKey, `/v1/webhooks/${w.id}`)).statusCode).toBe(404);

      const recorded = (await portalEvents(orgA)).filter((e) =>
        e.action.startsWith('logproof.portal.webhook_'),
      );
      expect(recorded.map((e) => [e.action, e.targets])).toEqual(
        ['created', 'updated', 'tested', 'deleted'].map((what) => [
          `logproof.portal.webhook_${what}`,
          [{ type: 'webhook', id: w.id }],
        ]),
      );
      expect(recorded[1]!.metadata).toEqual({
        webhook_id: w.id,
        changed: 'description,enabled',
        enabled: false,
      });
      expect(recorded[2]!.metadata).toEqual({ webhook_id: w.id, ok: true, status_code: 204 });
    });

    it("never shows or touches another org's webhook, nor one of every org", async () => {
      const before = (await getJson(t.app, t.apiKey, '/v1/webhooks')).json();
      const list = await portalRequest(t.app, a, 'GET', '/v1/portal/webhooks');
      const ids = list.json<{ data: Array<{ id: string }> }>().data.map((w) => w.id);
      expect(ids).not.toContain(foreignId);
      expect(ids).not.toContain(allOrgsId);
      const tries = await Promise.all(
        [foreignId, allOrgsId].flatMap((id) => [
          portalRequest(t.app, a, 'PATCH', `/v1/portal/webhooks/${id}`, {
            body: { enabled: false },
          }),
          portalRequest(t.app, a, 'DELETE', `/v1/portal/webhooks/${id}`),
          portalRequest(t.app, a, 'POST', `/v1/portal/webhooks/${id}/test`),
          portalRequest(t.app, a, 'GET', `/v1/portal/webhooks/${id}/deliveries`),
        ]),
      );
      for (const res of tries) expectProblem(res, 404, 'not_found');
      expect((await getJson(t.app, t.apiKey, '/v1/webhooks')).json()).toEqual(before);
      // No test message went out for them.
      expect(r.requests.some((q) => q.body.includes(foreignId) || q.body.includes(allOrgsId))).toBe(
        false,
      );
    });

    it("pages the org's webhooks past the project's others", async () => {
      const mine: string[] = [];
      for (let i = 0; i < 3; i++) {
        await postJson(t.app, t.apiKey, '/v1/webhooks', { url: r.url, org: orgB });
        const res = await portalRequest(t.app, a, 'POST', '/v1/portal/webhooks', {
          body: { url: r.url },
        });
        mine.push(res.json<{ id: string }>().id);
      }
      const first = (await portalRequest(t.app, a, 'GET', '/v1/portal/webhooks?limit=2')).json<{
        data: Array<{ id: string }>;
        next_cursor: string | null;
      }>();
      const second = (
        await portalRequest(
          t.app,
          a,
          'GET',
          `/v1/portal/webhooks?limit=2&cursor=${first.next_cursor}`,
        )
      ).json<{ data: Array<{ id: string }>; next_cursor: string | null }>();
      expect([...first.data, ...second.data].map((w) => w.id)).toEqual([...mine].sort());
      expect(second.next_cursor).toBeNull();
    });
  });

  describe('portal events in the log', () => {
    it('records opened, exported and webhook_* in the org log, where they verify; none in the other org', async () => {
      const recorded = await portalEvents(orgA);
      const actions = new Set(recorded.map((e) => e.action));
      for (const action of [
        'logproof.portal.opened',
        'logproof.portal.exported',
        'logproof.portal.webhook_created',
        'logproof.portal.webhook_updated',
        'logproof.portal.webhook_tested',
        'logproof.portal.webhook_deleted',
      ]) {
        expect(actions.has(action), action).toBe(true);
      }
      const opened = recorded.find((e) => e.action === 'logproof.portal.opened')!;
      expect(opened).toMatchObject({
        org: orgA,
        entry_type: 'auth',
        actor: { id: a.sessionId, type: 'user', metadata: { kind: 'portal_session' } },
        metadata: { permissions: 'view,verify,export,webhooks' },
        targets: [{ type: 'portal_link', id: expect.stringMatching(/^plink_/) }],
      });
      for (const e of recorded) {
        const v = await getJson(t.app, t.apiKey, `/v1/events/${e.id}/verify`);
        expect(v.json<{ valid: boolean }>().valid, e.action).toBe(true);
      }
      const whole = await t.app.inject({
        method: 'POST',
        url: `/v1/orgs/${orgA}/verify`,
        headers: { ...bearer(t.apiKey), 'content-type': 'application/json' },
        payload: JSON.stringify({ signatures: true }),
      });
      expect(whole.json()).toMatchObject({ valid: true, problems: [] });
      expect(await portalEvents(orgB)).toEqual([]);
    });
  });
});
