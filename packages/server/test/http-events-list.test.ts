// GET /v1/events (API.md "Reading") through the real app, on SQLite and on
// PostgreSQL: answers, refusals (each a 400 naming its parameter, q with the
// position), scopes, cursors bound to their filters, the OpenAPI entry.
// Search against a brute-force model and paging: http-events-list-search.test.ts.
import type { StoredEvent } from '@logproof/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../src/query/query-ast.js';
import { describeOnBothBackends, type Page } from './helpers/event-list.js';
import { bearer, expectProblem, getJson } from './helpers/http-app.js';

describeOnBothBackends((app) => {
  describe('answers and refusals', () => {
    let apiKey: string;
    let events: StoredEvent[];
    let acmeId: string;

    beforeAll(async () => {
      ({ apiKey } = await app.t.logproof.tenancy.initProject('answers'));
      acmeId = await app.createOrg(apiKey, 'acme');
      const base = Date.now() - 86_400_000;
      events = await app.insert(
        apiKey,
        Array.from({ length: 130 }, (_, i) => ({
          org: i % 3 === 0 ? 'acme' : undefined,
          action: i % 2 ? 'user.login' : 'doc.view',
          actor: { id: `u${i % 4}` },
          occurred_at: new Date(base + i * 1000).toISOString(),
        })),
      );
    });

    it('pages newest first, 100 by default, with the stored events as GET /v1/events/{id} has them', async () => {
      const first = await app.page(apiKey, {});
      expect(first.data).toHaveLength(100);
      expect(first.data.map((e) => e.id)).toEqual(
        [...events]
          .reverse()
          .slice(0, 100)
          .map((e) => e.id),
      );
      expect(typeof first.next_cursor).toBe('string');
      const one = await getJson(app.t.app, apiKey, `/v1/events/${first.data[0]!.id}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toEqual(first.data[0]);
      const rest = await app.page(apiKey, { cursor: first.next_cursor! });
      expect(rest.data.map((e) => e.id)).toEqual(
        [...events]
          .reverse()
          .slice(100)
          .map((e) => e.id),
      );
      expect(rest.next_cursor).toBeNull();
    });

    it('lists oldest first with order=asc', async () => {
      expect((await app.listAll(apiKey, { order: 'asc' }, 1000)).map((e) => e.id)).toEqual(
        events.map((e) => e.id),
      );
    });

    it("finds an org by external id or by id, and answers 404 for an unknown org or another project's", async () => {
      const byExternal = await app.listAll(apiKey, { org: 'acme' }, 1000);
      expect(byExternal).toHaveLength(44);
      expect(byExternal.every((e) => e.org === acmeId)).toBe(true);
      expect(await app.listAll(apiKey, { org: acmeId }, 1000)).toEqual(byExternal);
      expectProblem(await app.list(apiKey, { org: 'nope' }), 404, 'not_found', ['/org']);
      const other = await app.t.logproof.tenancy.initProject('other');
      expectProblem(await app.list(other.apiKey, { org: acmeId }), 404, 'not_found', ['/org']);
      expect((await app.page(other.apiKey, {})).data).toEqual([]);
    });

    it.each([
      ['an unknown parameter', { colour: 'red' }, '/colour'],
      ['limit 0', { limit: 0 }, '/limit'],
      ['limit 1001', { limit: 1001 }, '/limit'],
      ['a fractional limit', { limit: '2.5' }, '/limit'],
      ['a word for limit', { limit: 'ten' }, '/limit'],
      ['an unknown order', { order: 'newest' }, '/order'],
      ['an unknown actor_type', { actor_type: 'robot' }, '/actor_type'],
      ['an unknown outcome', { outcome: 'meh' }, '/outcome'],
      ['an action pattern with an inner wildcard', { action: 'user.*.x' }, '/action'],
      ['an upper-case action', { action: 'User.Login' }, '/action'],
      ['a malformed from', { from: 'yesterday' }, '/from'],
      ['an impossible to', { to: '2026-02-30T00:00:00Z' }, '/to'],
      ['from after to', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, '/to'],
      ['an empty actor_id', { actor_id: '' }, '/actor_id'],
      ['a NUL in actor_id', { actor_id: 'a\u0000b' }, '/actor_id'],
      ['a NUL in org', { org: 'a\u0000b' }, '/org'],
      ['an overlong target_id', { target_id: 'x'.repeat(257) }, '/target_id'],
    ])('refuses %s with a 400 naming it', async (_, params, path) => {
      expectProblem(await app.list(apiKey, params), 400, 'validation_failed', [path]);
    });

    it('refuses a parameter given twice', async () => {
      const res = await getJson(app.t.app, apiKey, '/v1/events?actor_id=u1&actor_id=u2');
      expectProblem(res, 400, 'validation_failed');
    });

    it('lets events:read and admin keys in, and not an events:write key', async () => {
      for (const scopes of [['events:read'], ['admin']]) {
        expect((await app.list(await app.createKey(scopes), { limit: 1 })).statusCode).toBe(200);
      }
      expectProblem(await app.list(await app.createKey(['events:write'])), 403, 'forbidden');
      expectProblem(
        await app.t.app.inject({ method: 'GET', url: '/v1/events' }),
        401,
        'unauthorized',
      );
    });

    describe('cursors', () => {
      it('work with another page size', async () => {
        const first = await app.page(apiKey, { limit: 10, action: 'user.login' });
        const next = await app.page(apiKey, {
          limit: 3,
          action: 'user.login',
          cursor: first.next_cursor!,
        });
        const all = await app.listAll(apiKey, { action: 'user.login' }, 1000);
        expect(next.data).toEqual(all.slice(10, 13));
      });

      it('are refused with other filters, another order or another project', async () => {
        const { next_cursor: cursor } = await app.page(apiKey, {
          limit: 5,
          action: 'user.login',
          org: 'acme',
        });
        expect(cursor).not.toBeNull();
        for (const params of [
          { action: 'doc.view', org: 'acme' },
          { action: 'user.login' },
          { action: 'user.login', org: 'acme', actor_id: 'u1' },
          { action: 'user.login', org: 'acme', q: 'actor.id:u1' },
          { action: 'user.login', org: 'acme', order: 'asc' },
        ]) {
          const problem = expectProblem(
            await app.list(apiKey, { ...params, cursor: cursor! }),
            400,
            'validation_failed',
            ['/cursor'],
          );
          expect(problem.detail).toMatch(/other filters or another order/);
        }
        const other = await app.t.logproof.tenancy.initProject('cursor thief');
        expectProblem(
          await app.list(other.apiKey, { action: 'user.login', cursor: cursor! }),
          400,
          'validation_failed',
          ['/cursor'],
        );
      });

      it('are accepted with the same filters spelled otherwise (org by id, q spacing)', async () => {
        const a = await app.page(apiKey, {
          limit: 5,
          org: 'acme',
          q: 'action:user.* AND actor.id:(u1 OR u3)',
        });
        const b = await app.page(apiKey, {
          limit: 5,
          org: acmeId,
          q: '  action:user.*   actor.id:(u1 OR u3) ',
          cursor: a.next_cursor!,
        });
        expect(b.data.length).toBeGreaterThan(0);
      });

      it.each([
        ['garbled', 'not a cursor!'],
        ['truncated', 'eyJ2IjoxLCJm'],
        ['base64 of anything else', Buffer.from('{"v":1}').toString('base64url')],
        ['huge', 'A'.repeat(5000)],
      ])('are refused when %s', async (_, cursor) => {
        expectProblem(await app.list(apiKey, { cursor }), 400, 'validation_failed', ['/cursor']);
      });
    });

    describe('q', () => {
      const depth = QUERY_LIMITS.maxDepth + 1;
      it.each([
        ['unbalanced (', '(action:user.login OR actor.id:u1', 0],
        ['unbalanced )', 'action:user.login)', 17],
        ['an unknown field', 'actor.id:u1 AND password:x', 16],
        ['a raw column', 'project_id:x', 0],
        ['too deep', `${'('.repeat(depth)}action:x${')'.repeat(depth)}`, depth - 1],
        // The value of the 33rd term: `actor.id:u32`.
        [
          'too many terms',
          Array.from({ length: 33 }, (_, i) => `actor.id:u${i}`).join(' OR '),
          511,
        ],
        [
          '1000 terms',
          Array.from({ length: 1000 }, (_, i) => `actor.id:u${i}`).join(' OR '),
          QUERY_LIMITS.maxLength,
        ],
        ['an injection after a quote', `actor.id:u1' OR '1'='1`, 16],
        ['a stacked statement', `action:x; DROP TABLE events; --`, 10],
        ['a comment-out', `actor.id:u1 --`, 12],
        ['a UNION', `action:x UNION SELECT * FROM api_keys`, 9],
        ['a NUL', 'actor.id:a\u0000b', 10],
      ])('answers 400 with the position for %s', async (_, q, position) => {
        const problem = expectProblem(await app.list(apiKey, { q }), 400, 'validation_failed', [
          '/q',
        ]);
        expect(problem.errors[0]!.message).toMatch(new RegExp(` at position ${position}$`));
        expect(problem.detail).toMatch(new RegExp(`^q: .* at position ${position}$`));
      });

      it('takes injection-shaped values as plain values: no match, nothing harmed', async () => {
        for (const q of [
          `action:"x' OR 1=1 --"`,
          `actor.id:"u1' OR '1'='1"`,
          `metadata.note:"'); DROP TABLE events; --"`,
          `actor.name:"\\" OR \\"\\"=\\""`,
          `action:user.login\\'\\ OR\\ 1=1*`,
        ]) {
          const res = await app.list(apiKey, { q });
          expect(res.statusCode, `${q}: ${res.body}`).toBe(200);
          expect(res.json<Page>().data).toEqual([]);
        }
        expect(await app.listAll(apiKey, {}, 1000)).toHaveLength(events.length);
      });

      it('answers 200 or a 400 naming a position to anything, never 500', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              fc.string({ unit: 'grapheme', maxLength: 60 }),
              fc
                .array(
                  fc.constantFrom(
                    'action:',
                    'metadata.k:',
                    'occurred_at:',
                    '(',
                    ')',
                    '"',
                    '*',
                    ' AND ',
                    ' OR ',
                    'NOT ',
                    '[* TO ',
                    ']',
                    "'",
                    ';',
                    '--',
                    'x',
                    '\\',
                  ),
                  { maxLength: 20 },
                )
                .map((a) => a.join('')),
            ),
            async (q) => {
              const res = await app.list(apiKey, { q });
              if (res.statusCode === 200) return;
              const problem = expectProblem(res, 400, 'validation_failed', ['/q']);
              if (q.trim() !== '') expect(problem.errors[0]!.message).toMatch(/ at position \d+$/);
            },
          ),
          { numRuns: 300 },
        );
      });
    });

    it('is documented in the OpenAPI document, every parameter described', async () => {
      const res = await app.t.app.inject({ method: 'GET', url: '/openapi.json' });
      const op = res.json<{
        paths: Record<
          string,
          Record<
            string,
            {
              description: string;
              parameters: Array<{ name: string; in: string; description?: string }>;
            }
          >
        >;
      }>().paths['/v1/events']!.get!;
      expect(op.description).toMatch(/occurred_at/);
      const names = op.parameters
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort();
      expect(names).toEqual(
        [
          'action',
          'actor_id',
          'actor_type',
          'cursor',
          'from',
          'limit',
          'order',
          'org',
          'outcome',
          'q',
          'target_id',
          'target_type',
          'to',
        ].sort(),
      );
      for (const p of op.parameters) expect(p.description, p.name).toBeTruthy();
    });
  });

  it('keeps GET /v1/events/{id} a separate route', async () => {
    const res = await getJson(app.t.app, app.t.apiKey, '/v1/events/evt_missing');
    expectProblem(res, 404, 'not_found');
    const bad = await app.t.app.inject({
      method: 'GET',
      url: '/v1/events?limit=1',
      headers: bearer('lp_sk_wrong'),
    });
    expectProblem(bad, 401, 'unauthorized');
  });
});
