// The built portal under /portal/ (API.md "Portal and widget"): files, the
// fallback to index.html for the app's own paths, the security headers, and
// a 503 problem while the portal is not built.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../src/index.js';
import { PORTAL_CSP } from '../src/routes/portal-static.js';
import { createTestApp, expectProblem, type TestApp } from './helpers/http-app.js';

const INDEX =
  '<!doctype html><title>Logproof portal</title><script src="/portal/assets/app-1a2b.js"></script>';

function expectPortalHeaders(res: { headers: Record<string, unknown> }): void {
  expect(res.headers['content-security-policy']).toBe(PORTAL_CSP);
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
}

describe('portal static files', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logproof-portal-dist-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), INDEX);
    await writeFile(join(dir, 'assets', 'app-1a2b.js'), 'console.log("portal");');
    await writeFile(join(dir, '.env'), 'SECRET=1');
    t = await createTestApp({ portalDir: dir });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at /portal/ with the CSP and security headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/portal/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(INDEX);
    expectPortalHeaders(res);
  });

  it('falls back to index.html for the app’s own paths, /portal/open included', async () => {
    for (const url of ['/portal/open', '/portal/events/evt_123', '/portal/webhooks/new?x=1']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
      expectPortalHeaders(res);
    }
  });

  it('serves built assets, cacheable for good, and 404s a missing file', async () => {
    const js = await t.app.inject({ method: 'GET', url: '/portal/assets/app-1a2b.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toBe('console.log("portal");');
    expectPortalHeaders(js);
    expectProblem(
      await t.app.inject({ method: 'GET', url: '/portal/assets/missing.js' }),
      404,
      'not_found',
    );
  });

  it('never serves dot files or anything outside the folder', async () => {
    for (const url of [
      '/portal/.env',
      '/portal/..%2Fpackage.json',
      '/portal/assets/..%2F..%2F.env',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('SECRET');
    }
  });

  it('redirects /portal to /portal/', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/portal' });
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe('/portal/');
  });
});

describe('portal static files before the portal is built', () => {
  it('answers 503 with a problem saying how to build it', async () => {
    const missing = join(tmpdir(), `logproof-no-portal-${Date.now()}`);
    const t = await createTestApp({ portalDir: missing });
    try {
      for (const url of ['/portal/', '/portal/open']) {
        const res = await t.app.inject({ method: 'GET', url });
        expect(expectProblem(res, 503, 'unavailable').detail).toBe(
          'the portal is not built; run npm run build',
        );
      }
    } finally {
      await t.close();
    }
  });

  it('reads LOGPROOF_PORTAL_DIR, and defaults to the portal package’s dist', () => {
    expect(readConfig({ LOGPROOF_PORTAL_DIR: '/srv/portal' }).portalDir).toBe('/srv/portal');
    expect(readConfig({}).portalDir).toBe(
      fileURLToPath(new URL('../../portal/dist', import.meta.url)),
    );
  });
});

describe('the OpenAPI document', () => {
  it('documents every portal route, the session routes under the portalSession cookie scheme', async () => {
    const t = await createTestApp();
    try {
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
        paths: Record<
          string,
          Record<string, { tags?: string[]; security?: unknown; summary?: string }>
        >;
        components: { securitySchemes: Record<string, unknown> };
      }>();
      expect(doc.components.securitySchemes.portalSession).toMatchObject({
        type: 'apiKey',
        in: 'cookie',
      });
      const session = [
        ['get', '/v1/portal/session'],
        ['delete', '/v1/portal/session'],
        ['get', '/v1/portal/events'],
        ['get', '/v1/portal/events/{id}'],
        ['get', '/v1/portal/events/{id}/canonical'],
        ['get', '/v1/portal/events/{id}/verify'],
        ['get', '/v1/portal/checkpoint'],
        ['get', '/v1/portal/keys'],
        ['get', '/v1/portal/export'],
        ['get', '/v1/portal/webhooks'],
        ['post', '/v1/portal/webhooks'],
        ['patch', '/v1/portal/webhooks/{id}'],
        ['delete', '/v1/portal/webhooks/{id}'],
        ['post', '/v1/portal/webhooks/{id}/test'],
        ['get', '/v1/portal/webhooks/{id}/deliveries'],
      ] as const;
      for (const [method, path] of session) {
        const op = doc.paths[path]?.[method];
        expect(op, `${method} ${path}`).toBeDefined();
        expect(op!.tags).toEqual(['Portal session']);
        expect(op!.security).toEqual([{ portalSession: [] }]);
        expect(op!.summary).toBeTruthy();
      }
      expect(doc.paths['/v1/portal/sessions']?.post?.tags).toEqual(['Portal session']);
      expect(doc.paths['/v1/portal/links']?.post?.security).toEqual([{ bearerAuth: [] }]);
      expect(doc.paths['/v1/project']?.get?.tags).toEqual(['project']);
      expect(doc.paths['/v1/project']?.patch?.security).toEqual([{ bearerAuth: [] }]);
      expect(doc.paths['/portal/{*}']?.get?.tags).toEqual(['portal']);
      expect(doc.paths['/portal/{*}']?.get?.security).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
