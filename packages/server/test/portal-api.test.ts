// The customer portal's server side (API.md "Portal and widget"): minting
// links, opening them once, the session cookie, CSRF and cross-site rules,
// permissions, logout and expiry, and the project's branding; on the real
// app over SQLite and PostgreSQL.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExportApp, type ExportApp } from './helpers/export-app.js';
import { bearer, expectProblem, getJson, postJson } from './helpers/http-app.js';
import {
  HOST,
  ORIGIN,
  mintLink,
  openLink,
  openPortal,
  portalRequest,
  setCookieOf,
} from './helpers/portal-client.js';
import { describeOnBackends } from './helpers/verify-app.js';

const LINK_INVALID = 'this portal link has already been used or has expired; ask for a new one';

describeOnBackends('portal API', (backend) => {
  let t: ExportApp;
  let n = 0;
  beforeAll(async () => {
    t = await openExportApp(backend);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** A fresh org per test: tests share the app, never an org. */
  async function newOrg(): Promise<string> {
    const externalId = `cust-${++n}-${Date.now()}`;
    const res = await postJson(t.app, t.apiKey, '/v1/orgs', {
      external_id: externalId,
      name: `Customer ${n}`,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }

  function patchProject(body: unknown, key = t.apiKey) {
    return t.app.inject({
      method: 'PATCH',
      url: '/v1/project',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  }

  describe('POST /v1/portal/links', () => {
    it('mints a single-use link whose token is in the URL fragment and stored only hashed', async () => {
      const org = await newOrg();
      const before = t.clock();
      const res = await postJson(t.app, t.apiKey, '/v1/portal/links', { org }, { host: HOST });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const link = res.json<Record<string, unknown>>();
      expect(link).toEqual({
        id: expect.stringMatching(/^plink_[0-9a-z]{26}$/),
        url: expect.stringMatching(
          /^http:\/\/localhost:3000\/portal\/open#token=lp_pt_[A-Za-z0-9_-]{43}$/,
        ),
        expires_at: new Date(before + 900_000).toISOString(),
        org_id: org,
        permissions: ['view', 'verify', 'export'],
        session_ttl: 3600,
      });
      const token = String(link.url).split('#token=')[1]!;
      // Stored as its SHA-256 only: the row found by that hash holds no token.
      const hash = createHash('sha256').update(token).digest('hex');
      const consumed = await t.logproof.store.consumePortalLink(hash, t.clock());
      expect(consumed).toMatchObject({ id: link.id, tokenHash: hash, usedAt: t.clock() });
      expect(JSON.stringify(consumed)).not.toContain(token.slice(6));
      // Consumed behind the API's back: the link no longer opens.
      expectProblem(await openLink(t.app, token), 403, 'portal_link_invalid');
    });

    it('takes the org by external id, and always grants view', async () => {
      const org = await newOrg();
      const external = (await getJson(t.app, t.apiKey, `/v1/orgs/${org}`)).json<{
        external_id: string;
      }>().external_id;
      const link = await mintLink(t.app, t.apiKey, {
        org: external,
        permissions: ['webhooks'],
        expires_in: 60,
        session_ttl: 300,
      });
      expect(link.permissions).toEqual(['view', 'webhooks']);
      expect(Date.parse(link.expires_at) - t.clock()).toBe(60_000);
    });

    it.each([
      [{}, '/'],
      [{ org: '' }, '/org'],
      [{ org: 'default', expires_in: 59 }, '/expires_in'],
      [{ org: 'default', expires_in: 86_401 }, '/expires_in'],
      [{ org: 'default', expires_in: 1.5 }, '/expires_in'],
      [{ org: 'default', session_ttl: 299 }, '/session_ttl'],
      [{ org: 'default', session_ttl: 86_401 }, '/session_ttl'],
      [{ org: 'default', permissions: ['admin'] }, '/permissions/0'],
      [{ org: 'default', permissions: ['view', 'view'] }, '/permissions'],
      [{ org: 'default', permissions: 'export,view' }, '/permissions/0'],
      [{ org: 'default', scope: 'all' }, '/scope'],
    ])('refuses %j with a 400 naming %s', async (body, path) => {
      const res = await postJson(t.app, t.apiKey, '/v1/portal/links', body);
      expectProblem(res, 400, 'validation_failed', [path]);
    });

    it('answers 404 for an unknown org and 403 for a key without the admin scope', async () => {
      expectProblem(
        await postJson(t.app, t.apiKey, '/v1/portal/links', { org: 'nobody' }),
        404,
        'not_found',
        ['/org'],
      );
      const reader = (
        await postJson(t.app, t.apiKey, '/v1/api-keys', { name: 'r', scopes: ['events:read'] })
      ).json<{ secret: string }>().secret;
      expectProblem(
        await postJson(t.app, reader, '/v1/portal/links', { org: 'default' }),
        403,
        'forbidden',
      );
    });
  });

  describe('POST /v1/portal/sessions', () => {
    it('trades the token for a session cookie, once', async () => {
      const org = await newOrg();
      const link = await mintLink(t.app, t.apiKey, { org, session_ttl: 1200 });
      const res = await openLink(t.app, link.token);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toEqual({
        expires_at: new Date(t.clock() + 1_200_000).toISOString(),
        org: { id: org, external_id: expect.any(String), name: expect.any(String) },
        permissions: ['view', 'verify', 'export'],
      });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      const cookie = setCookieOf(res);
      expect(cookie.name).toBe('__Host-lp_portal');
      expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Object.fromEntries(cookie.attributes)).toEqual({
        'max-age': '1200',
        path: '/',
        httponly: '',
        secure: '',
        samesite: 'Strict',
      });

      const again = await openLink(t.app, link.token);
      expect(expectProblem(again, 403, 'portal_link_invalid').detail).toBe(LINK_INVALID);
      expect(again.headers['set-cookie']).toBeUndefined();
    });

    it('opens a link exactly once when 12 tabs open it at the same time', async () => {
      const link = await mintLink(t.app, t.apiKey, { org: await newOrg() });
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => openLink(t.app, link.token)),
      );
      const statuses = answers.map((a) => a.statusCode).sort();
      expect(statuses).toEqual([201, ...Array<number>(11).fill(403)]);
    });

    it('refuses an expired link with the same answer as a used or unknown one', async () => {
      const link = await mintLink(t.app, t.apiKey, { org: await newOrg(), expires_in: 60 });
      const now = t.clock();
      try {
        t.clock.set(now + 60_000);
        const expired = await openLink(t.app, link.token);
        expect(expectProblem(expired, 403, 'portal_link_invalid').detail).toBe(LINK_INVALID);
        t.clock.set(now + 59_999);
        // The refusal did not burn it: one millisecond earlier it still opens.
        expect((await openLink(t.app, link.token)).statusCode).toBe(201);
      } finally {
        t.clock.set(now);
      }
      for (const token of [`lp_pt_${'A'.repeat(43)}`, 'lp_pt_short', 'x']) {
        expect(expectProblem(await openLink(t.app, token), 403, 'portal_link_invalid').detail).toBe(
          LINK_INVALID,
        );
      }
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/v1/portal/sessions',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ token: link.token, extra: 1 }),
        }),
        400,
        'validation_failed',
        ['/extra'],
      );
    });

    it.each([
      ['localhost:3000', '__Host-lp_portal', true],
      ['127.0.0.1:3000', '__Host-lp_portal', true],
      ['[::1]:3000', '__Host-lp_portal', true],
      ['portal.example.com', 'lp_portal', false],
    ])('on host %s names the cookie %s (Secure: %s)', async (host, name, secure) => {
      const link = await mintLink(t.app, t.apiKey, { org: await newOrg() });
      const res = await openLink(t.app, link.token, { host, origin: `http://${host}` });
      expect(res.statusCode, res.body).toBe(201);
      const cookie = setCookieOf(res);
      expect(cookie.name).toBe(name);
      expect(cookie.attributes.has('secure')).toBe(secure);
      expect(cookie.attributes.get('samesite')).toBe('Strict');
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('path')).toBe('/');
      // The session answers on that host, under that name only.
      const session = await portalRequest(
        t.app,
        { cookie: `${name}=${cookie.value}`, csrf: '' },
        'GET',
        '/v1/portal/session',
        {
          headers: { host },
        },
      );
      expect(session.statusCode, session.body).toBe(200);
      const other = name === 'lp_portal' ? '__Host-lp_portal' : 'lp_portal';
      const wrongName = await portalRequest(
        t.app,
        { cookie: `${other}=${cookie.value}`, csrf: '' },
        'GET',
        '/v1/portal/session',
        {
          headers: { host },
        },
      );
      expectProblem(wrongName, 401, 'portal_session_required');
    });

    it('refuses a cross-site open without burning the link', async () => {
      const link = await mintLink(t.app, t.apiKey, { org: await newOrg() });
      expectProblem(
        await openLink(t.app, link.token, { 'sec-fetch-site': 'cross-site' }),
        403,
        'csrf_failed',
      );
      expectProblem(
        await openLink(t.app, link.token, { origin: 'https://evil.example' }),
        403,
        'csrf_failed',
      );
      expect((await openLink(t.app, link.token)).statusCode).toBe(201);
    });
  });

  describe('the session', () => {
    it('describes itself with its org, the branding and a CSRF token derived from the cookie', async () => {
      const org = await newOrg();
      const b = await openPortal(t.app, t.apiKey, org, ['export']);
      const res = await portalRequest(t.app, b, 'GET', '/v1/portal/session');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      const project = (await getJson(t.app, t.apiKey, '/v1/project')).json<{
        name: string;
        logo_url: string | null;
        accent_color: string | null;
      }>();
      const cookieValue = b.cookie.split('=')[1]!;
      expect(res.json()).toEqual({
        session_id: expect.stringMatching(/^psess_[0-9a-z]{26}$/),
        expires_at: expect.any(String),
        permissions: ['view', 'export'],
        csrf_token: createHmac('sha256', Buffer.from(cookieValue, 'base64url'))
          .update('logproof portal csrf')
          .digest('base64url'),
        org: {
          id: org,
          external_id: expect.any(String),
          name: expect.any(String),
          origin: `logproof.local/${org}`,
        },
        project: {
          name: project.name,
          logo_url: project.logo_url,
          accent_color: project.accent_color,
        },
      });
    });

    it('answers 401 without a cookie, with an unknown one, and after the session expired', async () => {
      expectProblem(
        await portalRequest(t.app, { cookie: '', csrf: '' }, 'GET', '/v1/portal/events'),
        401,
        'portal_session_required',
      );
      expectProblem(
        await portalRequest(
          t.app,
          { cookie: `__Host-lp_portal=${'A'.repeat(43)}`, csrf: '' },
          'GET',
          '/v1/portal/events',
        ),
        401,
        'portal_session_required',
      );
      const link = await mintLink(t.app, t.apiKey, { org: await newOrg(), session_ttl: 300 });
      const opened = await openLink(t.app, link.token);
      const c = setCookieOf(opened);
      const b = { cookie: `${c.name}=${c.value}`, csrf: '' };
      const now = t.clock();
      try {
        t.clock.set(now + 299_999);
        expect((await portalRequest(t.app, b, 'GET', '/v1/portal/events')).statusCode).toBe(200);
        t.clock.set(now + 300_000);
        const late = await portalRequest(t.app, b, 'GET', '/v1/portal/events');
        expectProblem(late, 401, 'portal_session_required');
        expect(late.headers['cache-control']).toBe('no-store');
      } finally {
        t.clock.set(now);
      }
    });

    it('logs out: revokes the session and clears the cookie', async () => {
      const b = await openPortal(t.app, t.apiKey, await newOrg());
      const out = await portalRequest(t.app, b, 'DELETE', '/v1/portal/session');
      expect(out.statusCode, out.body).toBe(204);
      const cleared = setCookieOf(out);
      expect(cleared.name).toBe('__Host-lp_portal');
      expect(cleared.value).toBe('');
      expect(cleared.attributes.get('path')).toBe('/');
      expect(Date.parse(cleared.attributes.get('expires') ?? '')).toBeLessThan(Date.now());
      expectProblem(
        await portalRequest(t.app, b, 'GET', '/v1/portal/session'),
        401,
        'portal_session_required',
      );
    });
  });

  describe('CSRF and cross-site requests', () => {
    it('refuses a change without the right X-CSRF-Token, and changes nothing', async () => {
      const b = await openPortal(t.app, t.apiKey, await newOrg(), ['webhooks']);
      const body = { url: 'https://hooks.example.com/in' };
      for (const csrf of [null, '', 'A'.repeat(43), `${b.csrf}x`]) {
        expectProblem(
          await portalRequest(t.app, b, 'POST', '/v1/portal/webhooks', { body, csrf }),
          403,
          'csrf_failed',
        );
        expectProblem(
          await portalRequest(t.app, b, 'DELETE', '/v1/portal/session', { csrf }),
          403,
          'csrf_failed',
        );
      }
      const list = await portalRequest(t.app, b, 'GET', '/v1/portal/webhooks');
      expect(list.json()).toEqual({ data: [], next_cursor: null });
      // Still logged in: the refused DELETEs did nothing.
      expect((await portalRequest(t.app, b, 'GET', '/v1/portal/session')).statusCode).toBe(200);
    });

    it('refuses cross-site requests and foreign origins, even a GET with the cookie', async () => {
      const b = await openPortal(t.app, t.apiKey, await newOrg());
      const foreign: Record<string, string>[] = [
        { 'sec-fetch-site': 'cross-site' },
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { origin: 'http://localhost:3001' },
      ];
      for (const headers of foreign) {
        const res = await portalRequest(t.app, b, 'GET', '/v1/portal/events', { headers });
        expectProblem(res, 403, 'csrf_failed');
        expectProblem(
          await portalRequest(t.app, b, 'DELETE', '/v1/portal/session', { headers }),
          403,
          'csrf_failed',
        );
      }
      // Same-origin and same-site fetches, and navigations without Origin, pass.
      const own: Record<string, string>[] = [
        { origin: ORIGIN },
        { 'sec-fetch-site': 'same-site' },
        { 'sec-fetch-site': 'none' },
      ];
      for (const headers of own) {
        expect(
          (await portalRequest(t.app, b, 'GET', '/v1/portal/events', { headers })).statusCode,
        ).toBe(200);
      }
      expect((await portalRequest(t.app, b, 'GET', '/v1/portal/session')).statusCode).toBe(200);
    });
  });

  describe('permissions', () => {
    it('refuses export, verify and webhooks to a session without them', async () => {
      const org = await newOrg();
      const event = await postJson(t.app, t.apiKey, '/v1/events', {
        org,
        action: 'user.login',
        actor: { id: 'u1' },
      });
      const id = event.json<{ id: string }>().id;
      const viewOnly = await openPortal(t.app, t.apiKey, org, ['view']);
      for (const url of [
        '/v1/portal/export?format=csv',
        `/v1/portal/events/${id}/verify`,
        '/v1/portal/webhooks',
      ]) {
        expectProblem(await portalRequest(t.app, viewOnly, 'GET', url), 403, 'forbidden');
      }
      expectProblem(
        await portalRequest(t.app, viewOnly, 'POST', '/v1/portal/webhooks', {
          body: { url: 'https://hooks.example.com/x' },
        }),
        403,
        'forbidden',
      );
      // What view grants still works.
      for (const url of [
        '/v1/portal/events',
        `/v1/portal/events/${id}`,
        `/v1/portal/events/${id}/canonical`,
        '/v1/portal/checkpoint',
        '/v1/portal/keys',
      ]) {
        expect((await portalRequest(t.app, viewOnly, 'GET', url)).statusCode, url).toBe(200);
      }
      const exporter = await openPortal(t.app, t.apiKey, org, ['export']);
      const csv = await portalRequest(t.app, exporter, 'GET', '/v1/portal/export?format=csv');
      expect(csv.statusCode, csv.body).toBe(200);
      expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="/);
      expect(csv.headers['cache-control']).toBe('no-store');
      expect(csv.body).toContain(id);
      expectProblem(
        await portalRequest(t.app, exporter, 'GET', `/v1/portal/events/${id}/verify`),
        403,
        'forbidden',
      );
    });
  });

  describe('GET and PATCH /v1/project', () => {
    it('changes the branding the portal shows', async () => {
      const res = await patchProject({
        name: 'Acme Audit',
        logo_url: 'https://cdn.example.com/acme.svg',
        accent_color: '#4F46E5',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        id: expect.stringMatching(/^proj_/),
        name: 'Acme Audit',
        logo_url: 'https://cdn.example.com/acme.svg',
        accent_color: '#4f46e5',
        created_at: expect.any(String),
      });
      expect((await getJson(t.app, t.apiKey, '/v1/project')).json()).toEqual(res.json());
      const b = await openPortal(t.app, t.apiKey, await newOrg());
      expect((await portalRequest(t.app, b, 'GET', '/v1/portal/session')).json()).toMatchObject({
        project: {
          name: 'Acme Audit',
          logo_url: 'https://cdn.example.com/acme.svg',
          accent_color: '#4f46e5',
        },
      });
      const cleared = await patchProject({ logo_url: null, accent_color: null });
      expect(cleared.json()).toMatchObject({
        name: 'Acme Audit',
        logo_url: null,
        accent_color: null,
      });
    });

    it.each([
      [{ logo_url: 'http://cdn.example.com/logo.png' }, '/logo_url'],
      [{ logo_url: 'https://' }, '/logo_url'],
      [{ logo_url: 'https://user:pw@cdn.example.com/logo.png' }, '/logo_url'],
      [{ logo_url: `https://cdn.example.com/${'a'.repeat(2048)}` }, '/logo_url'],
      [{ accent_color: 'red' }, '/accent_color'],
      [{ accent_color: '#12345' }, '/accent_color'],
      [{ accent_color: '#1234567' }, '/accent_color'],
      [{ name: '' }, '/name'],
      [{ name: 'n'.repeat(201) }, '/name'],
      [{ name: 'ok', theme: 'dark' }, '/theme'],
      [{}, '/'],
    ])('refuses %j with a 400 naming %s and changes nothing', async (body, path) => {
      const before = (await getJson(t.app, t.apiKey, '/v1/project')).json();
      expectProblem(await patchProject(body), 400, 'validation_failed', [path]);
      expect((await getJson(t.app, t.apiKey, '/v1/project')).json()).toEqual(before);
    });

    it('lets events:read keys read the project, and only admin keys change it', async () => {
      const reader = (
        await postJson(t.app, t.apiKey, '/v1/api-keys', { name: 'r', scopes: ['events:read'] })
      ).json<{ secret: string }>().secret;
      expect((await getJson(t.app, reader, '/v1/project')).statusCode).toBe(200);
      expectProblem(await patchProject({ name: 'x' }, reader), 403, 'forbidden');
    });
  });
});
