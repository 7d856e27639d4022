// Operations (API.md "Operations"): /healthz, /readyz, /metrics, request
// ids, and the OpenAPI 3.1 document at /openapi.json listing every route.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  expectProblem,
  getJson,
  postJson,
  recordEvent,
  validEvent,
  type TestApp,
} from './helpers/http-app.js';

type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/**
 * Every route the app serves, from Fastify's own route tree
 * (`printRoutes({ commonPrefix: false })`), as `METHOD /path/{param}`.
 * HEAD is left out: Fastify adds it to every GET.
 */
function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─\s]*?)(?:├── |└── )(\S+) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    // OpenAPI names a wildcard (the portal's files) as the path parameter
    // `*`; the tree prints `/portal/*` as `*` under `/portal`.
    const path = stack
      .join('')
      .replace(/:(\w+)/g, '{$1}')
      .replace(/\/?\*$/, '/{*}');
    for (const method of match[3]!.split(', '))
      if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

/** Every value of `doc` reached through members named `key`, with its JSON Pointer. */
function collect(doc: unknown, key: string, path = ''): Array<{ path: string; value: any }> {
  if (typeof doc !== 'object' || doc === null) return [];
  const out: Array<{ path: string; value: any }> = [];
  for (const [k, v] of Object.entries(doc)) {
    const here = `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (k === key) out.push({ path: here, value: v });
    out.push(...collect(v, key, here));
  }
  return out;
}

describe('operations', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /healthz and /readyz', () => {
    it('answers /healthz without a key', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    });

    it('answers /readyz with the store kind when migrated, and 503 with Retry-After when a migration is missing', async () => {
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', database: 'sqlite' });

      // Behind the server's back, as an operator rolling back a migration would.
      const db = new Database(join(t.dataDir, 'logproof.db'));
      try {
        const row = db
          .prepare('SELECT * FROM schema_migrations ORDER BY version DESC LIMIT 1')
          .get() as Json;
        db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(row.version);
        const notReady = await t.app.inject({ method: 'GET', url: '/readyz' });
        expectProblem(notReady, 503, 'unavailable');
        expect(Number(notReady.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        db.prepare(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        ).run(row.version, row.name, row.applied_at);
      } finally {
        db.close();
      }
      expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    });
  });

  describe('GET /metrics', () => {
    it('serves Prometheus text with request and append counters', async () => {
      await recordEvent(t.app, t.apiKey);
      await postJson(t.app, t.apiKey, '/v1/events/batch', { events: [validEvent(), validEvent()] });
      const res = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const appended = /^logproof_events_appended_total (\d+)$/m.exec(res.body);
      expect(Number(appended?.[1])).toBeGreaterThanOrEqual(3);
      expect(res.body).toMatch(
        /^logproof_http_requests_total\{method="POST",route="\/v1\/events",status="201"\} \d+$/m,
      );
      expect(res.body).toMatch(/^logproof_commit_events_count \d+$/m);
      expect(res.body).toMatch(/^logproof_batch_request_events_count \d+$/m);
      expect(res.body).toMatch(/^process_cpu_user_seconds_total /m);
      // The app's SQLite store commits on its writer thread, which was busy.
      const busy = /^logproof_sqlite_writer_busy_seconds_total (\S+)$/m.exec(res.body);
      expect(Number(busy?.[1])).toBeGreaterThan(0);
    });
  });

  describe('request ids and errors', () => {
    it('echoes a sane X-Request-Id into the answer and the problem document', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/v1/orgs/nope',
        headers: { ...bearer(t.apiKey), 'x-request-id': 'req-abc.1' },
      });
      expect(res.headers['x-request-id']).toBe('req-abc.1');
      expect(expectProblem(res, 404, 'not_found').request_id).toBe('req-abc.1');
      const odd = await t.app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-request-id': 'bad id\u0001' },
      });
      expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers an unknown route with a problem document', async () => {
      expectProblem(
        await t.app.inject({ method: 'GET', url: '/v1/nothing-here' }),
        404,
        'not_found',
      );
    });
  });

  describe('GET /openapi.json', () => {
    let doc: Json;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

    beforeAll(async () => {
      const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      doc = res.json<Json>();
    });

    function operation(method: string, path: string): Json {
      const op = doc.paths?.[path]?.[method.toLowerCase()];
      expect(op, `${method} ${path} in the OpenAPI document`).toBeDefined();
      return op as Json;
    }

    it('is an OpenAPI 3.1 document with info, paths and the bearer security scheme', () => {
      expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
      expect(typeof doc.info.title).toBe('string');
      expect(typeof doc.info.version).toBe('string');
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      for (const key of Object.keys(doc)) {
        expect([
          'openapi',
          'info',
          'jsonSchemaDialect',
          'servers',
          'paths',
          'webhooks',
          'components',
          'security',
          'tags',
          'externalDocs',
        ]).toContain(key);
      }
    });

    it('lists every route the server serves (except the document and its viewer)', async () => {
      const routes = servedRoutes(t.app.printRoutes({ commonPrefix: false })).filter(
        // CORS preflights (the widget's OPTIONS, answered by @fastify/cors)
        // are not API operations, and OpenAPI does not list them.
        (r) => !/ \/docs\b/.test(r) && r !== 'GET /openapi.json' && !r.startsWith('OPTIONS '),
      );
      // The tree parser itself must have found the routes we know of.
      expect(routes).toEqual(
        expect.arrayContaining([
          'POST /v1/events',
          'POST /v1/events/batch',
          'GET /v1/events/{id}/canonical',
          'GET /healthz',
          'GET /metrics',
        ]),
      );
      for (const route of routes) {
        const [method, path] = route.split(' ') as [string, string];
        operation(method, path);
      }
      // And nothing that is not served.
      for (const [path, item] of Object.entries(doc.paths as Json)) {
        for (const method of Object.keys(item as Json).filter((m) => METHODS.includes(m))) {
          expect(routes).toContain(`${method.toUpperCase()} ${path}`);
        }
      }
    });

    it('gives every operation a summary, responses with descriptions, and declared path parameters', () => {
      for (const [path, item] of Object.entries(doc.paths as Json)) {
        for (const [method, op] of Object.entries(item as Json).filter(([m]) =>
          METHODS.includes(m),
        )) {
          const where = `${method.toUpperCase()} ${path}`;
          expect(typeof op.summary, where).toBe('string');
          expect(Object.keys(op.responses ?? {}).length, where).toBeGreaterThan(0);
          for (const [status, response] of Object.entries(op.responses as Json)) {
            expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
            expect(typeof (response as Json).description, `${where} ${status}`).toBe('string');
          }
          const declared = ((op.parameters ?? []) as Json[])
            .filter((p) => p.in === 'path')
            .map((p) => p.name);
          const inPath = [...path.matchAll(/\{(\w+|\*)\}/g)].map((m) => m[1]);
          expect(declared.sort(), where).toEqual(inPath.sort());
          for (const p of (op.parameters ?? []) as Json[])
            if (p.in === 'path') expect(p.required, where).toBe(true);
        }
      }
    });

    it('declares the bearer key exactly on the routes that answer 401 without one', async () => {
      let checked = 0;
      for (const [path, item] of Object.entries(doc.paths as Json)) {
        for (const [method, op] of Object.entries(item as Json).filter(([m]) =>
          METHODS.includes(m),
        )) {
          // Auth runs before the body is read: a placeholder body and ids do.
          const res = await t.app.inject({
            method: method.toUpperCase() as 'GET',
            url: path.replace(/\{\w+\}/g, 'x'),
            ...(method === 'get'
              ? {}
              : { headers: { 'content-type': 'application/json' }, payload: '{}' }),
          });
          const where = `${method.toUpperCase()} ${path} answered ${res.statusCode}`;
          // The portal's session routes authenticate with its cookie, and the
          // widget's with an embed token, instead of an API key.
          const scheme =
            path.startsWith('/v1/portal/') && path !== '/v1/portal/links'
              ? 'portalSession'
              : path.startsWith('/v1/widget/')
                ? 'embedToken'
                : 'bearerAuth';
          if (res.statusCode === 401) expect(op.security, where).toEqual([{ [scheme]: [] }]);
          else expect(op.security, where).toBeUndefined();
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(10);
      expect(doc.paths['/v1/events'].post.security).toEqual([{ bearerAuth: [] }]);
      expect(doc.paths['/healthz'].get.security).toBeUndefined();
    });

    it('holds only valid JSON Schema 2020-12 schemas, whose own examples validate', () => {
      const schemas = collect(doc.paths, 'schema');
      expect(schemas.length).toBeGreaterThan(20);
      for (const { path, value } of schemas) {
        expect(ajv.validateSchema(value), `${path}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
        const validate = ajv.compile(value);
        for (const { path: examplePath, value: examples } of collect(value, 'examples')) {
          if (!Array.isArray(examples)) continue;
          // The examples of the schema at examplePath's parent.
          const pointer = examplePath.split('/').slice(1, -1);
          let sub: any = value;
          for (const seg of pointer) sub = sub[seg.replaceAll('~1', '/').replaceAll('~0', '~')];
          if (pointer.includes('properties') && sub === undefined) continue;
          const check = sub === value ? validate : ajv.compile(sub);
          for (const example of examples) {
            expect(
              check(example),
              `${path}${examplePath}: ${JSON.stringify(example)} ${ajv.errorsText(check.errors)}`,
            ).toBe(true);
          }
        }
      }
      expect(collect(doc, '$ref')).toEqual([]);
    });

    it('describes what the server really answers', async () => {
      const responseSchema = (method: string, path: string, status: number) =>
        ajv.compile(
          operation(method, path).responses[String(status)].content['application/json'].schema,
        );
      const expectConforms = (validate: ReturnType<typeof ajv.compile>, body: unknown) => {
        expect(
          validate(body),
          `${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`,
        ).toBe(true);
      };

      const request = validEvent({
        target: { id: 't', type: 'doc' },
        metadata: { n: 1 },
        description: 'd',
      });
      expect(
        ajv.compile(operation('POST', '/v1/events').requestBody.content['application/json'].schema)(
          request,
        ),
      ).toBe(true);
      const created = await postJson(t.app, t.apiKey, '/v1/events', request);
      expectConforms(responseSchema('POST', '/v1/events', 201), created.json());
      expectConforms(
        responseSchema('POST', '/v1/events/batch', 201),
        (await postJson(t.app, t.apiKey, '/v1/events/batch', { events: [validEvent()] })).json(),
      );
      expectConforms(
        responseSchema('GET', '/v1/orgs/{org}', 200),
        (await getJson(t.app, t.apiKey, '/v1/orgs/default')).json(),
      );
      expectConforms(
        responseSchema('GET', '/v1/orgs', 200),
        (await getJson(t.app, t.apiKey, '/v1/orgs')).json(),
      );
      expectConforms(
        responseSchema('GET', '/v1/orgs/{org}/checkpoint', 200),
        (
          await getJson(t.app, t.apiKey, '/v1/orgs/default/checkpoint', {
            accept: 'application/json',
          })
        ).json(),
      );
      expectConforms(
        responseSchema('GET', '/v1/orgs/{org}/keys', 200),
        (await getJson(t.app, t.apiKey, '/v1/orgs/default/keys')).json(),
      );
      expectConforms(
        responseSchema('GET', '/v1/api-keys', 200),
        (await getJson(t.app, t.apiKey, '/v1/api-keys')).json(),
      );
      expectConforms(
        responseSchema('POST', '/v1/events', 400),
        (await postJson(t.app, t.apiKey, '/v1/events', validEvent({ action: 'x' }))).json(),
      );
      expectConforms(
        responseSchema('GET', '/v1/events/{id}', 404),
        (await getJson(t.app, t.apiKey, '/v1/events/evt_nope')).json(),
      );
    });
  });
});
