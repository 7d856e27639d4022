// EventQueryStore.listEvents, the port itself, on real SQLite and real
// PostgreSQL (STYLE.md habit 3): order, keyset, limit, project isolation,
// targets, and the indexes the SQLite access paths name.
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventFilter, EventQuery } from '../src/query/event-filter.js';
import { parseEventFilter } from '../src/query/event-filter.js';
import { buildListEventsSql } from '../src/query/sql-builder.js';
import { POSTGRES_DIALECT, SQLITE_DIALECT, type SqlDialect } from '../src/query/sql-dialect.js';
import type { EventRecord, OrgRecord } from '../src/store/records.js';
import type { Store } from '../src/store/store.js';
import { PostgresStore } from '../src/stores/postgres/postgres-store.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { createTestDatabase, describeWithPostgres } from './helpers/postgres.js';
import { appendEvents, makeOrg, plain, seedOrg, specs } from './helpers/records.js';

const INDEXES = [
  'events_by_project_time',
  'events_by_org_time',
  'events_by_org_action',
  'events_by_project_actor',
  'event_targets_by_target',
  'failed_events_by_project_time',
  'failed_events_by_org_time',
];

interface Harness {
  readonly store: Store;
  readonly dialect: SqlDialect;
  indexNames(): Promise<string[]>;
  /** The database's plan for a statement, as text (PostgreSQL's with sequential scans off). */
  explain(sql: string, params: readonly unknown[]): Promise<string>;
  cleanup(): Promise<void>;
}

function key(e: EventRecord): [number, string, number] {
  return [e.occurredAt, e.orgId, e.chainIndex];
}

function compare(a: EventRecord, b: EventRecord): number {
  const [x, y] = [key(a), key(b)];
  if (x[0] !== y[0]) return x[0] - y[0];
  if (x[1] !== y[1]) return x[1] < y[1] ? -1 : 1;
  return x[2] - y[2];
}

function query(filter: Partial<EventFilter>, extra: Partial<EventQuery> = {}): EventQuery {
  return {
    filter: { ...parseEventFilter({}, null), ...filter },
    order: 'desc',
    limit: 1000,
    after: null,
    ...extra,
  };
}

function describeEventQueryStore(name: string, open: () => Promise<Harness>) {
  describe(`${name} (EventQueryStore)`, () => {
    let h: Harness;
    let store: Store;
    let projectId: string;
    let orgs: OrgRecord[];
    let all: EventRecord[];

    beforeEach(async () => {
      h = await open();
      store = h.store;
      await store.migrate();
      const seeded = await seedOrg(store);
      projectId = seeded.project.id;
      const second = makeOrg(projectId);
      await store.createOrg(second.org, second.key, second.checkpoint);
      orgs = [seeded.org, second.org];
      // Both orgs' events take the same occurred_at values (the helper derives
      // them from chain_index), so only org_id breaks those ties.
      const doc = { type: 'doc', id: 'd1' };
      all = [
        ...(
          await appendEvents(store, orgs[0]!, [
            { action: 'user.login', targets: [doc, doc] },
            { action: 'user.logout' },
            { action: 'doc.view', targets: [{ type: 'doc', id: 'd2' }, doc] },
            ...specs(3),
          ])
        ).events,
        ...(
          await appendEvents(store, orgs[1]!, [{ action: 'doc.view', targets: [doc] }, ...specs(4)])
        ).events,
      ];
      // Another project's events, which no query of this one may return.
      const other = await seedOrg(store);
      await appendEvents(store, other.org, [{ action: 'doc.view', targets: [doc] }, ...specs(2)]);
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('returns every event of the project in the total order, both ways', async () => {
      const asc = [...all].sort(compare);
      expect(plain(await store.listEvents(projectId, query({}, { order: 'asc' })))).toEqual(
        plain(asc),
      );
      expect(plain(await store.listEvents(projectId, query({})))).toEqual(
        plain([...asc].reverse()),
      );
    });

    it('walks keyset pages of any size without a gap or a repeat', async () => {
      const expected = [...all]
        .sort(compare)
        .reverse()
        .map((e) => e.id);
      for (const limit of [1, 2, 3, 7]) {
        const seen: string[] = [];
        let after: EventQuery['after'] = null;
        for (;;) {
          const page = await store.listEvents(projectId, query({}, { limit, after }));
          seen.push(...page.map((e) => e.id));
          if (page.length < limit) break;
          const last = page.at(-1)!;
          after = { occurredAt: last.occurredAt, orgId: last.orgId, chainIndex: last.chainIndex };
        }
        expect(seen).toEqual(expected);
      }
    });

    it('filters by org, by action and by actor through their indexes', async () => {
      const org = await store.listEvents(
        projectId,
        query({ orgId: orgs[1]!.id }, { order: 'asc' }),
      );
      expect(org.map((e) => e.id)).toEqual(
        all.filter((e) => e.orgId === orgs[1]!.id).map((e) => e.id),
      );
      const view = await store.listEvents(
        projectId,
        query({ orgId: orgs[0]!.id, action: { value: 'doc.view', prefix: false } }),
      );
      expect(view.map((e) => e.chainIndex)).toEqual([2]);
      expect(await store.listEvents(projectId, query({ actorId: 'nobody' }))).toEqual([]);
      expect(await store.listEvents(projectId, query({ actorId: 'user_1' }))).toHaveLength(
        all.length,
      );
    });

    it('returns an event once however many of its targets match, with its targets in order', async () => {
      const hits = await store.listEvents(
        projectId,
        query({ targetId: 'd1', targetType: 'doc' }, { order: 'asc' }),
      );
      expect(hits.map((e) => [e.orgId, e.chainIndex])).toEqual(
        [
          [orgs[0]!.id, 0],
          [orgs[0]!.id, 2],
          [orgs[1]!.id, 0],
        ].sort((a, b) =>
          a[1] !== b[1] ? (a[1] as number) - (b[1] as number) : a[0]! < b[0]! ? -1 : 1,
        ),
      );
      const third = hits.find((e) => e.orgId === orgs[0]!.id && e.chainIndex === 2)!;
      expect(third.targets).toEqual([
        { type: 'doc', id: 'd2' },
        { type: 'doc', id: 'd1' },
      ]);
      const viaQ = await store.listEvents(
        projectId,
        query({ q: parseEventFilter({ q: 'target.id:d1' }, null).q }, { order: 'asc' }),
      );
      expect(viaQ.map((e) => e.id)).toEqual(hits.map((e) => e.id));
    });

    it('has the indexes the SQL builder names', async () => {
      expect(await h.indexNames()).toEqual(expect.arrayContaining(INDEXES));
    });

    it('reads outcome=failure through the failed-events indexes, in listing order', async () => {
      for (const [orgId, index] of [
        [orgs[0]!.id, 'failed_events_by_org_time'],
        [null, 'failed_events_by_project_time'],
      ] as const) {
        const listing = query({ orgId, outcome: 'failure', from: 1 }, { limit: 101 });
        const { sql, params } = buildListEventsSql(h.dialect, projectId, listing);
        const plan = await h.explain(sql, params);
        expect(plan).toContain(index);
        expect(plan).not.toMatch(/TEMP B-TREE|Sort/);
        // Every event here succeeded (records.ts).
        expect(await store.listEvents(projectId, listing)).toEqual([]);
      }
    });
  });
}

describeEventQueryStore('SqliteStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'logproof-query-'));
  const filename = join(dir, 'logproof.db');
  const store = new SqliteStore({ filename });
  return {
    store,
    dialect: SQLITE_DIALECT,
    async explain(sql, params) {
      const db = new Database(filename, { readonly: true });
      try {
        return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
          .map((r) => r.detail)
          .join('\n');
      } finally {
        db.close();
      }
    },
    async indexNames() {
      const db = new Database(filename, { readonly: true });
      try {
        return (
          db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{
            name: string;
          }>
        ).map((r) => r.name);
      } finally {
        db.close();
      }
    },
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeWithPostgres('PostgreSQL', () => {
  describeEventQueryStore('PostgresStore', async () => {
    const db = await createTestDatabase();
    const store = new PostgresStore({ connectionString: db.url, max: 4 });
    return {
      store,
      dialect: POSTGRES_DIALECT,
      async explain(sql, params) {
        // A few rows make a sequential scan the cheapest: turned off, the
        // planner shows which index it can use.
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          await client.query('SET enable_seqscan = off');
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN ${sql}`,
            params as unknown[],
          );
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        } finally {
          await client.end();
        }
      },
      async indexNames() {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          return (
            await client.query<{ indexname: string }>('SELECT indexname FROM pg_indexes')
          ).rows.map((r) => r.indexname);
        } finally {
          await client.end();
        }
      },
      async cleanup() {
        await store.close();
        await db.drop();
      },
    };
  });
});
