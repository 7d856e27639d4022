// GET /v1/events (API.md "Reading") through the real app, on SQLite and on
// PostgreSQL: every filter and q query against a brute-force model over the
// same events (property test), and keyset pages over 10,000 events while new
// ones keep arriving.
import type { StoredEvent } from '@logproof/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareEvents,
  eventBody,
  filterParams,
  filterSpec,
  indexedQSpec,
  matches,
  timeSlots,
} from './helpers/event-oracle.js';
import { describeOnBothBackends } from './helpers/event-list.js';
import { postJson } from './helpers/http-app.js';

describeOnBothBackends((app) => {
  describe('every filter and q query', () => {
    let apiKey: string;
    let events: StoredEvent[];
    let orgIds: Map<string, string>;
    const times = timeSlots(Date.now() - 10 * 86_400_000, 40);

    beforeAll(async () => {
      ({ apiKey } = await app.t.logproof.tenancy.initProject('search'));
      const acme = await app.createOrg(apiKey, 'acme');
      const bodies = fc.sample(eventBody(['default', 'acme'], times), {
        numRuns: 400,
        seed: 20_260_210,
      });
      events = await app.insert(apiKey, bodies);
      const defaultOrg = events.find((e) => e.org_external_id === 'default')!.org;
      orgIds = new Map([
        ['default', defaultOrg],
        ['acme', acme],
        [acme, acme],
      ]);
    });

    it('returns exactly what a brute-force filter over the same events returns, in order', async () => {
      await fc.assert(
        fc.asyncProperty(
          filterSpec(['default', 'acme', orgIds.get('acme')!], times),
          fc.constantFrom('asc' as const, 'desc' as const),
          fc.integer({ min: 7, max: 150 }),
          async (filter, order, limit) => {
            const expected = events
              .filter((e) => matches(filter, e, (ref) => orgIds.get(ref)!))
              .sort(compareEvents);
            if (order === 'desc') expected.reverse();
            const got = await app.listAll(apiKey, { ...filterParams(filter), order }, limit);
            expect(got.map((e) => e.id)).toEqual(expected.map((e) => e.id));
          },
        ),
        { numRuns: 250 },
      );
    }, 300_000);

    it('returns the same through index-only plans: ORs across fields, JSON terms, prefixes, NOT, in pages', async () => {
      await fc.assert(
        fc.asyncProperty(
          indexedQSpec(),
          fc.constantFrom(undefined, 'default', 'acme'),
          fc.constantFrom('asc' as const, 'desc' as const),
          fc.integer({ min: 3, max: 40 }),
          async (q, org, order, limit) => {
            const filter = org === undefined ? { q } : { org, q };
            const expected = events
              .filter((e) => matches(filter, e, (ref) => orgIds.get(ref)!))
              .sort(compareEvents);
            if (order === 'desc') expected.reverse();
            const got = await app.listAll(apiKey, { ...filterParams(filter), order }, limit);
            expect(got.map((e) => e.id)).toEqual(expected.map((e) => e.id));
          },
        ),
        { numRuns: 150 },
      );
    }, 300_000);
  });

  describe('keyset pages', () => {
    const total = 10_000;
    let original: Set<string>;
    const base = Date.now() - 2 * 86_400_000;
    let sent = 0;

    beforeAll(async () => {
      await app.createOrg(app.t.apiKey, 'paging');
      // 2500 instants, four events each: ties that only org and chain_index break.
      const inserted = await app.insert(
        app.t.apiKey,
        Array.from({ length: total }, (_, i) => ({
          org: 'paging',
          action: 'page.row',
          actor: { id: `u${i % 7}` },
          occurred_at: new Date(base + (i % 2500) * 1000).toISOString(),
        })),
      );
      original = new Set(inserted.map((e) => e.id));
      expect(original.size).toBe(total);
    }, 120_000);

    /** 25 new events spread over (and beyond) the whole window: some land behind the cursor, some ahead. */
    function moreEvents() {
      return Array.from({ length: 25 }, () => ({
        org: 'paging',
        action: 'page.late',
        actor: { id: 'late' },
        occurred_at: new Date(base - 5000 + Math.floor(Math.random() * 2_600_000)).toISOString(),
        metadata: { n: sent++ },
      }));
    }

    it.each(['desc', 'asc'] as const)(
      'sees each of 10,000 events exactly once in pages of 77 (%s) while new events arrive',
      async (order) => {
        const seen: StoredEvent[] = [];
        const arriving: Promise<unknown>[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          // Not awaited: the batch commits while the page is read.
          arriving.push(
            postJson(app.t.app, app.t.apiKey, '/v1/events/batch', { events: moreEvents() }).then(
              (r) => expect(r.statusCode).toBe(201),
            ),
          );
          const p = await app.page(app.t.apiKey, { org: 'paging', limit: 77, order, cursor });
          if (p.next_cursor !== null) expect(p.data).toHaveLength(77);
          seen.push(...p.data);
          cursor = p.next_cursor ?? undefined;
          pages++;
        } while (cursor !== undefined);
        await Promise.all(arriving);

        const ids = seen.map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        const counts = ids.filter((id) => original.has(id)).length;
        expect(counts).toBe(total);
        expect(pages).toBeGreaterThanOrEqual(Math.ceil(total / 77));
        // Strictly monotonic in the listing order: never a step back.
        for (let i = 1; i < seen.length; i++) {
          const c = compareEvents(seen[i - 1]!, seen[i]!);
          expect(order === 'asc' ? c < 0 : c > 0).toBe(true);
        }
      },
      120_000,
    );
  });
});
