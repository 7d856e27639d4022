// GET /widget.js, the widget routes in the OpenAPI document, and the rate
// limit of the widget's read route, through the real app. None of it depends
// on the backend: SQLite only (http-widget.test.ts runs the widget API on both).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, postJson, type TestApp } from './helpers/http-app.js';

describe('serving the widget', () => {
  let t: TestApp;
  let dir: string;
  let widgetFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logproof-widget-js-'));
    widgetFile = join(dir, 'widget.js');
    t = await createTestApp({ rateLimitPerMinute: 0, widgetFile });
  });

  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('GET /widget.js', () => {
    it('serves the bundle for any origin with a validator, and 304 when unchanged', async () => {
      const script = 'customElements.define("logproof-audit-log", class extends HTMLElement {});\n';
      await writeFile(widgetFile, script);
      const res = await t.app.inject({ method: 'GET', url: '/widget.js' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(script);
      expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      const etag = res.headers.etag;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const again = await t.app.inject({
        method: 'GET',
        url: '/widget.js',
        headers: { 'if-none-match': String(etag) },
      });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      // A rebuild is served at once, under another ETag.
      await writeFile(widgetFile, `${script}// rebuilt, longer\n`);
      const rebuilt = await t.app.inject({
        method: 'GET',
        url: '/widget.js',
        headers: { 'if-none-match': String(etag) },
      });
      expect(rebuilt.statusCode).toBe(200);
      expect(rebuilt.body).toContain('rebuilt');
      expect(rebuilt.headers.etag).not.toBe(etag);
    });

    it('answers 503 while the widget is not built', async () => {
      await rm(widgetFile, { force: true });
      const res = await t.app.inject({ method: 'GET', url: '/widget.js' });
      const problem = expectProblem(res, 503, 'unavailable');
      expect(problem.detail).toBe('the widget is not built; run npm run build');
    });
  });

  describe('OpenAPI', () => {
    it('documents the widget routes under the Widget tag with the embedToken scheme', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json<{
        paths: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
        components: { securitySchemes: Record<string, unknown> };
      }>();
      expect(doc.components.securitySchemes.embedToken).toMatchObject({ scheme: 'bearer' });
      expect(doc.paths['/v1/widget/events']?.get).toMatchObject({
        tags: ['Widget'],
        security: [{ embedToken: [] }],
      });
      expect(doc.paths['/v1/embed-tokens']?.post).toMatchObject({
        tags: ['Widget'],
        security: [{ bearerAuth: [] }],
      });
      expect(doc.paths['/widget.js']?.get?.tags).toEqual(['Widget']);
      expect(doc.paths['/v1/widget/*']).toBeUndefined();
    });
  });
});

describe('the widget API under a rate limit (sqlite)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ rateLimitPerMinute: 3 });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('limits widget reads per client address, and says so cross-origin', async () => {
    const minted = await postJson(t.app, t.apiKey, '/v1/embed-tokens', { org: 'default' });
    expect(minted.statusCode, minted.body).toBe(201);
    const { token } = minted.json<{ token: string }>();
    const read = () =>
      t.app.inject({
        method: 'GET',
        url: '/v1/widget/events',
        headers: { authorization: `Bearer ${token}`, origin: 'https://vendor.example' },
      });
    for (let i = 0; i < 3; i++) expect((await read()).statusCode).toBe(200);
    const limited = await read();
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.headers['access-control-allow-origin']).toBe('*');
  });
});
