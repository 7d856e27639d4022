// event_terms (migration 7, query/event-terms.ts), on real SQLite and real
// PostgreSQL: the rows an append writes are exactly eventTermsOf the stored
// canonical entry, once per event whatever the batching and however often an
// idempotent request is replayed, and the migration's SQL backfill computes
// the very same rows for events that were there before it.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TERM_VALUE_MAX_CHARS,
  cutTermValue,
  eventTermsOf,
  isMetadataTermSearchable,
  termFieldOf,
} from '../src/query/event-terms.js';
import { createTestApp, postJson, type TestApp } from './helpers/http-app.js';
import { createTestDatabase, describeWithPostgres } from './helpers/postgres.js';
import { TEST_MASTER_KEY } from './helpers/server-process.js';

describe('eventTermsOf', () => {
  it('gives actor.name, actor.email, context.ip and each metadata string', () => {
    const canonical = JSON.stringify({
      actor: { id: 'u1', type: 'user', name: 'Zoë', email: 'z@example.com' },
      context: { ip: '2001:db8::1', user_agent: 'x' },
      metadata: { plan: 'pro', seats: -12, sso: false, 'a.b': 9007199254740991 },
      targets: [{ id: 'd1', type: 'doc', name: 'not a term' }],
    });
    expect(eventTermsOf(canonical)).toEqual([
      { field: 'actor.name', value: 'Zoë' },
      { field: 'actor.email', value: 'z@example.com' },
      { field: 'context.ip', value: '2001:db8::1' },
      { field: 'metadata.plan', value: 'pro' },
    ]);
  });

  it('leaves to other reads the metadata values that could be an integer or a boolean', () => {
    for (const value of ['pro', 'x1', '1x', '--1', 'True', 'truex', '']) {
      expect(isMetadataTermSearchable(value, false), value).toBe(true);
    }
    for (const value of ['0', '-12', '007', 'true', 'false']) {
      expect(isMetadataTermSearchable(value, false), value).toBe(false);
    }
    for (const prefix of ['p', 'x1', '1x', 'trux', 'fals3']) {
      expect(isMetadataTermSearchable(prefix, true), prefix).toBe(true);
    }
    for (const prefix of ['', '-', '12', '-1', 't', 'tru', 'false']) {
      expect(isMetadataTermSearchable(prefix, true), prefix).toBe(false);
    }
  });

  it('gives nothing for absent members', () => {
    expect(eventTermsOf('{"actor":{"id":"u","type":"user"},"context":{},"metadata":{}}')).toEqual(
      [],
    );
  });

  it('cuts a long value to its first TERM_VALUE_MAX_CHARS code points, never inside a pair', () => {
    const astral = '🎉'.repeat(TERM_VALUE_MAX_CHARS + 1);
    expect([...cutTermValue(astral)]).toHaveLength(TERM_VALUE_MAX_CHARS);
    expect(cutTermValue(astral).isWellFormed()).toBe(true);
    const mixed = `a${'🎉'.repeat(TERM_VALUE_MAX_CHARS)}`;
    expect(cutTermValue(mixed)).toBe(`a${'🎉'.repeat(TERM_VALUE_MAX_CHARS - 1)}`);
    expect(cutTermValue('x'.repeat(TERM_VALUE_MAX_CHARS))).toHaveLength(TERM_VALUE_MAX_CHARS);
  });

  it('names the event_terms field of each q field without a column', () => {
    expect(termFieldOf('actor.email', null)).toBe('actor.email');
    expect(termFieldOf('metadata', 'a.b')).toBe('metadata.a.b');
    expect(termFieldOf('actor.id', null)).toBeNull();
    expect(termFieldOf('target.id', null)).toBeNull();
  });
});

/** Events whose terms exercise every rule: types, absences, escapes, long and astral values. */
function sampleBodies(n: number): Record<string, unknown>[] {
  const names = ['Ada', "O'Brien", 'a"b\\c', '日本語', undefined];
  const long = (i: number) => `${'é🎉'.repeat(70)}${i % 3}`;
  return Array.from({ length: n }, (_, i) => ({
    action: 'doc.view',
    actor: {
      id: `u${i % 4}`,
      ...(names[i % 5] === undefined ? {} : { name: names[i % 5] }),
      ...(i % 3 === 0 ? {} : { email: `u${i % 4}@example.com` }),
    },
    targets: [{ id: `d${i}`, type: 'doc' }],
    metadata:
      i % 7 === 0
        ? {}
        : {
            plan: ['free', 'pro'][i % 2],
            seats: i - 5,
            big: -9007199254740991,
            beta: i % 2 === 0,
            'a.b': long(i),
            tab: 'x\ty\u2028z',
          },
    context: i % 4 === 0 ? {} : { ip: i % 2 ? '203.0.113.7' : '2001:db8::1' },
  }));
}

interface TermRow {
  readonly project_id: string;
  readonly field: string;
  readonly value: string;
  readonly occurred_at: number;
  readonly org_id: string;
  readonly chain_index: number;
}

interface Backend {
  /** Every term row, in key order. */
  terms(): Promise<TermRow[]>;
  /** The terms eventTermsOf gives for every stored event, as rows. */
  expected(): Promise<TermRow[]>;
  /** Drops event_terms and forgets migration 7, as before it ran. */
  undoMigration7(): Promise<void>;
  close(): Promise<void>;
}

function sortRows(rows: TermRow[]): TermRow[] {
  const key = (r: TermRow) =>
    [r.project_id, r.field, r.value, String(r.occurred_at).padStart(16, '0'), r.org_id].join('\0') +
    `\0${String(r.chain_index).padStart(12, '0')}`;
  // Key order for comparison only: the databases' own order is not the point.
  return rows
    .map((r) => ({ ...r, occurred_at: Number(r.occurred_at), chain_index: Number(r.chain_index) }))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function expectedRows(
  events: ReadonlyArray<{
    project_id: string;
    canonical: string;
    occurred_at: number;
    org_id: string;
    chain_index: number;
  }>,
): TermRow[] {
  return events.flatMap((e) =>
    eventTermsOf(e.canonical).map((t) => ({
      project_id: e.project_id,
      field: t.field,
      value: t.value,
      occurred_at: Number(e.occurred_at),
      org_id: e.org_id,
      chain_index: Number(e.chain_index),
    })),
  );
}

const EVENTS_SQL = 'SELECT project_id, canonical, occurred_at, org_id, chain_index FROM events';
const TERMS_SQL =
  'SELECT project_id, field, value, occurred_at, org_id, chain_index FROM event_terms';

function describeTerms(
  name: string,
  open: (t: TestApp) => Promise<Backend>,
  config: () => Promise<{ config: object; drop(): Promise<void> }>,
) {
  describe(`event_terms on ${name}`, () => {
    let t: TestApp;
    let db: Backend;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const c = await config();
      drop = c.drop;
      t = await createTestApp({ rateLimitPerMinute: 0, ...c.config });
      db = await open(t);
    }, 60_000);
    afterAll(async () => {
      await db?.close();
      await t?.close();
      await drop?.();
    });

    it('writes the terms of every event exactly once, in batches and singly, replays included', async () => {
      const bodies = sampleBodies(60);
      const batch = (events: unknown[], key: string) =>
        postJson(t.app, t.apiKey, '/v1/events/batch', { events }, { 'idempotency-key': key });
      for (const key of ['b1', 'b1']) {
        const r = await batch(bodies.slice(0, 40), key);
        expect(r.statusCode, r.body).toBeLessThan(300);
      }
      for (const [i, body] of bodies.slice(40).entries()) {
        for (let replay = 0; replay < 2; replay++) {
          const r = await postJson(t.app, t.apiKey, '/v1/events', body, {
            'idempotency-key': `s${i}`,
          });
          expect(r.statusCode, r.body).toBeLessThan(300);
        }
      }
      const expected = sortRows(await db.expected());
      expect(expected.length).toBeGreaterThan(200);
      // 60 events, however many requests carried them.
      expect(new Set(expected.map((r) => `${r.org_id} ${r.chain_index}`)).size).toBe(60);
      expect(sortRows(await db.terms())).toEqual(expected);
    });

    it('backfills the terms of events recorded before migration 7 as appends write them', async () => {
      const before = sortRows(await db.terms());
      await db.undoMigration7();
      const { applied } = await t.logproof.store.migrate();
      expect(applied).toEqual([7]);
      expect(sortRows(await db.terms())).toEqual(before);
      expect(before.some((r) => r.value === cutTermValue(`${'é🎉'.repeat(70)}1`))).toBe(true);
    });
  });
}

describeTerms(
  'SQLite',
  async (t) => {
    const raw = new Database(join(t.dataDir, 'logproof.db'));
    return {
      terms: async () => raw.prepare(TERMS_SQL).all() as TermRow[],
      expected: async () => expectedRows(raw.prepare(EVENTS_SQL).all() as never),
      undoMigration7: async () => {
        raw.exec('DROP TABLE event_terms; DELETE FROM schema_migrations WHERE version = 7');
      },
      close: async () => {
        raw.close();
      },
    };
  },
  async () => ({ config: {}, drop: async () => {} }),
);

describeWithPostgres('PostgreSQL', () => {
  let url = '';
  describeTerms(
    'PostgreSQL',
    async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return {
        terms: async () => (await client.query<TermRow>(TERMS_SQL)).rows,
        expected: async () => expectedRows((await client.query(EVENTS_SQL)).rows),
        undoMigration7: async () => {
          await client.query('DROP TABLE event_terms');
          await client.query('DELETE FROM schema_migrations WHERE version = 7');
        },
        close: () => client.end(),
      };
    },
    async () => {
      const database = await createTestDatabase();
      url = database.url;
      return {
        config: { databaseUrl: database.url, masterKey: TEST_MASTER_KEY },
        drop: () => database.drop(),
      };
    },
  );
});
