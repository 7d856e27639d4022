// The SQL translator: values only ever travel as parameters, the statement
// text depends on the query's shape alone, and the prefix ranges it relies
// on order strings exactly as SQLite and PostgreSQL do.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventFilter, EventQuery } from '../src/query/event-filter.js';
import { TEXT_FIELDS, type QueryNode, type TextField } from '../src/query/query-ast.js';
import { buildListEventsSql, buildTermProbes, prefixUpperBound } from '../src/query/sql-builder.js';
import { TERM_PROBE_CAP } from '../src/query/query-plan.js';
import { TERM_VALUE_MAX_CHARS, cutTermValue } from '../src/query/event-terms.js';
import { POSTGRES_DIALECT, SQLITE_DIALECT, type SqlDialect } from '../src/query/sql-dialect.js';
import { parseQuery } from '../src/query/query-validate.js';
import { createTestDatabase, describeWithPostgres } from './helpers/postgres.js';

const EMPTY: EventFilter = {
  orgId: null,
  action: null,
  actorId: null,
  actorType: null,
  targetId: null,
  targetType: null,
  from: null,
  to: null,
  outcome: null,
  q: null,
};

function listing(filter: Partial<EventFilter>, extra: Partial<EventQuery> = {}): EventQuery {
  return { filter: { ...EMPTY, ...filter }, order: 'desc', limit: 101, after: null, ...extra };
}

const DIALECTS: readonly SqlDialect[] = [SQLITE_DIALECT, POSTGRES_DIALECT];

function placeholderCount(dialect: SqlDialect, sql: string): number {
  if (dialect.name === 'sqlite') return (sql.match(/\?/g) ?? []).length;
  const numbers = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  expect(new Set(numbers).size).toBe(numbers.length);
  return numbers.length === 0 ? 0 : Math.max(...numbers);
}

// Non-empty strings without U+10FFFF: an empty prefix, or one made only of
// U+10FFFF, has no upper bound,
// which legitimately changes the statement's shape.
const value = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .map((s) => s.replaceAll('\u{10FFFF}', ''))
  .filter((s) => s !== '');
const metadataKey = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/);

/** Random validated trees, as parseQuery produces them. */
const node: fc.Arbitrary<QueryNode> = fc.letrec<{ node: QueryNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .record({
        kind: fc.constant('match' as const),
        field: fc.constantFrom<TextField>(...TEXT_FIELDS, 'metadata'),
        key: metadataKey,
        value,
        prefix: fc.boolean(),
      })
      .map((m) => ({ ...m, key: m.field === 'metadata' ? m.key : null })),
    fc.record({
      kind: fc.constant('time' as const),
      from: fc.option(fc.record({ ms: fc.integer(), inclusive: fc.boolean() })),
      to: fc.option(fc.record({ ms: fc.integer(), inclusive: fc.boolean() })),
    }),
    fc.record({ kind: fc.constant('not' as const), child: tie('node') }),
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      children: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
    }),
  ),
})).node;

/** The same tree with every value replaced by the one `pick` gives. */
function revalue(n: QueryNode, pick: () => string): QueryNode {
  switch (n.kind) {
    case 'and':
    case 'or':
      return { kind: n.kind, children: n.children.map((c) => revalue(c, pick)) };
    case 'not':
      return { kind: 'not', child: revalue(n.child, pick) };
    case 'match':
      return { ...n, value: pick() };
    case 'time':
      return n;
  }
}

describe('buildListEventsSql', () => {
  it('writes the first page of an org as an index range read in order, values bound', () => {
    const q = listing({
      orgId: 'org_1',
      action: { value: 'user.', prefix: true },
      outcome: 'success',
    });
    expect(buildListEventsSql(SQLITE_DIALECT, 'proj_1', q)).toEqual({
      sql:
        'SELECT e.* FROM events e INDEXED BY events_by_org_time WHERE e.project_id = ? AND e.org_id = ?' +
        ' AND (e.action >= ? AND e.action < ?) AND e.outcome = ?' +
        ' ORDER BY e.occurred_at DESC, e.org_id DESC, e.chain_index DESC LIMIT ?',
      params: ['proj_1', 'org_1', 'user.', 'user/', 'success', 101],
    });
  });

  it('continues after a keyset position, bounding occurred_at alone so that every index can seek', () => {
    const after = { occurredAt: 1000, orgId: 'org_b', chainIndex: 7 };
    const asc = buildListEventsSql(POSTGRES_DIALECT, 'p', listing({}, { order: 'asc', after }));
    expect(asc).toEqual({
      sql:
        'SELECT e.* FROM events e WHERE e.project_id = $1 AND e.occurred_at >= $2::bigint' +
        ' AND (e.occurred_at, e.org_id, e.chain_index) > ($3::bigint, $4, $5::bigint)' +
        ' ORDER BY e.occurred_at ASC, e.org_id ASC, e.chain_index ASC LIMIT $6::bigint',
      params: ['p', 1000, 1000, 'org_b', 7, 101],
    });
    const desc = buildListEventsSql(SQLITE_DIALECT, 'p', listing({ orgId: 'org_b' }, { after }));
    expect(desc.sql).toContain(
      'e.occurred_at <= ? AND (e.occurred_at, e.org_id, e.chain_index) < (?, ?, ?) ORDER BY e.occurred_at DESC',
    );
  });

  it("reads a target's events from the target index first, one target holding id and type", () => {
    const built = buildListEventsSql(
      SQLITE_DIALECT,
      'p',
      listing({ targetId: 'd1', targetType: 'doc', actorId: 'u1' }),
    );
    expect(built).toEqual({
      sql:
        'SELECT e.* FROM (SELECT DISTINCT t.org_id, t.chain_index FROM event_targets t INDEXED BY event_targets_by_target' +
        ' WHERE t.target_id = ? AND t.target_type = ?) m CROSS JOIN events e ON e.org_id = m.org_id AND e.chain_index = m.chain_index' +
        ' WHERE e.project_id = ? AND e.actor_id = ? ORDER BY e.occurred_at DESC, e.org_id DESC, e.chain_index DESC LIMIT ?',
      params: ['d1', 'doc', 'p', 'u1', 101],
    });
    expect(buildListEventsSql(POSTGRES_DIALECT, 'p', listing({ targetId: 'd1' })).sql).toMatch(
      /^SELECT e\.\* FROM \(SELECT DISTINCT t\.org_id, t\.chain_index FROM event_targets t WHERE t\.target_id COLLATE "C" = \$1\) m JOIN events e ON/,
    );
  });

  it.each([
    ['no filter', {}, 'events_by_project_time'],
    ['an org', { orgId: 'o' }, 'events_by_org_time'],
    [
      'an org and an exact action',
      { orgId: 'o', action: { value: 'a.b', prefix: false } },
      'events_by_org_action',
    ],
    [
      'an org and an action prefix',
      { orgId: 'o', action: { value: 'a.', prefix: true } },
      'events_by_org_time',
    ],
    [
      'an exact action without org',
      { action: { value: 'a.b', prefix: false } },
      'events_by_project_time',
    ],
    [
      'an actor, with or without org',
      { orgId: 'o', actorId: 'u', action: { value: 'a.b', prefix: false } },
      'events_by_project_actor',
    ],
    [
      'actor.id at the top of q',
      { orgId: 'o', q: parseQuery('actor.id:u AND action:x.y') },
      'events_by_project_actor',
    ],
    [
      'action at the top of q',
      { orgId: 'o', q: parseQuery('action:x.y metadata.k:v') },
      'events_by_org_action',
    ],
    [
      'actor.id OR a NOT in q (a branch without an index)',
      { orgId: 'o', q: parseQuery('actor.id:u OR NOT action:x.y') },
      'events_by_org_time',
    ],
    [
      'an OR with an action but no org',
      { q: parseQuery('actor.id:u OR action:x.y') },
      'events_by_project_time',
    ],
    ['an actor.id prefix in q', { q: parseQuery('actor.id:u*') }, 'events_by_project_time'],
    ['outcome=failure', { outcome: 'failure' }, 'failed_events_by_project_time'],
    ['an org and outcome=failure', { orgId: 'o', outcome: 'failure' }, 'failed_events_by_org_time'],
    [
      'an org, outcome=failure and an action prefix',
      { orgId: 'o', outcome: 'failure', action: { value: 'a.', prefix: true } },
      'failed_events_by_org_time',
    ],
    [
      'an org, outcome=failure and an exact action',
      { orgId: 'o', outcome: 'failure', action: { value: 'a.b', prefix: false } },
      'events_by_org_action',
    ],
    ['an org and outcome=success', { orgId: 'o', outcome: 'success' }, 'events_by_org_time'],
  ] as const)(
    'reads the events of %s through the index that fits (SQLite hint)',
    (_, filter, index) => {
      expect(buildListEventsSql(SQLITE_DIALECT, 'p', listing(filter)).sql).toContain(
        `FROM events e INDEXED BY ${index} WHERE`,
      );
    },
  );

  it("states outcome=failure as the failed-events indexes' own text, any other outcome bound", () => {
    for (const dialect of DIALECTS) {
      const failed = buildListEventsSql(
        dialect,
        'p',
        listing({ orgId: 'o', outcome: 'failure', from: 5 }),
      );
      expect(failed.sql).toContain(" AND e.outcome = 'failure' AND ");
      expect(failed.params).not.toContain('failure');
      expect(placeholderCount(dialect, failed.sql)).toBe(failed.params.length);
      const other = buildListEventsSql(dialect, 'p', listing({ orgId: 'o', outcome: "x' OR 1=1" }));
      expect(other.sql).not.toContain("'");
      expect(other.params).toContain("x' OR 1=1");
    }
    // Where an index names fewer events, the failures are only filtered.
    const union = buildListEventsSql(
      SQLITE_DIALECT,
      'p',
      listing({ orgId: 'o', outcome: 'failure', q: parseQuery('actor.id:u OR target.id:d') }),
    );
    expect(union.sql).toContain(' UNION SELECT ');
    expect(union.sql).not.toContain('failed_events_by');
  });

  it('starts from the target index for target.id at the top of q', () => {
    const { sql } = buildListEventsSql(
      SQLITE_DIALECT,
      'p',
      listing({ q: parseQuery('target.id:d1 AND NOT action:x.y') }),
    );
    expect(sql).toMatch(
      /^SELECT e\.\* FROM \(SELECT DISTINCT .* WHERE t\.target_id = \?\) m CROSS JOIN events e/,
    );
  });

  it('keeps injection-shaped values out of the statement text', () => {
    const hostile = [
      `x' OR 1=1 --`,
      `'); DROP TABLE events; --`,
      `" OR ""="`,
      '$1',
      '?',
      '\\',
      `*/ SELECT 1 /*`,
    ];
    for (const dialect of DIALECTS) {
      for (const v of hostile) {
        const q = parseQuery(
          `action:"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}" OR metadata.k:"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`,
        );
        const built = buildListEventsSql(dialect, v, listing({ actorId: v, targetId: v, q }));
        // (A one- or two-character value such as ? or $1 is part of any statement.)
        if (v.length > 2) expect(built.sql).not.toContain(v);
        expect(built.params.filter((p) => p === v).length).toBeGreaterThanOrEqual(5);
        expect(placeholderCount(dialect, built.sql)).toBe(built.params.length);
      }
    }
  });

  it('writes the same statement text for any values of the same query shape', () => {
    fc.assert(
      fc.property(node, fc.array(value, { minLength: 1, maxLength: 20 }), (tree, replacements) => {
        let i = 0;
        const other = revalue(tree, () => replacements[i++ % replacements.length]!);
        for (const dialect of DIALECTS) {
          const a = buildListEventsSql(dialect, 'p', listing({ q: tree }));
          const b = buildListEventsSql(dialect, 'p', listing({ q: other }));
          expect(b.sql).toBe(a.sql);
          expect(placeholderCount(dialect, a.sql)).toBe(a.params.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('buildListEventsSql query plans', () => {
  it('reads an OR across fields as a UNION of index-driven branches, the keyset in each', () => {
    const after = { occurredAt: 1000, orgId: 'o', chainIndex: 7 };
    for (const dialect of DIALECTS) {
      const { sql, params } = buildListEventsSql(
        dialect,
        'p',
        listing(
          { orgId: 'o', q: parseQuery('actor.id:u OR target.id:d1 OR actor.email:a@b') },
          { after },
        ),
      );
      expect(sql.match(/ UNION SELECT /g)).toHaveLength(2);
      expect(sql).not.toContain('UNION ALL');
      expect(sql.match(/ LIMIT /g)).toHaveLength(4);
      // Every branch continues after the position.
      expect(sql.match(/occurred_at, [a-z]\.org_id, [a-z]\.chain_index\) < \(/g)).toHaveLength(3);
      expect(placeholderCount(dialect, sql)).toBe(params.length);
      if (dialect === SQLITE_DIALECT) {
        expect(sql).toContain(
          'FROM events e INDEXED BY events_by_project_actor WHERE e.actor_id = ?',
        );
        expect(sql).toContain('FROM event_targets t INDEXED BY event_targets_by_target');
        expect(sql).toContain('FROM event_terms k CROSS JOIN events e');
        expect(sql).toMatch(/\) u CROSS JOIN events e ON .* ORDER BY u\.occurred_at DESC/);
      }
    }
  });

  it('reads a JSON-only term from event_terms in listing order, the org and times in its range', () => {
    const { sql, params } = buildListEventsSql(
      SQLITE_DIALECT,
      'p',
      listing({ orgId: 'o', from: 5, q: parseQuery('actor.email:a@b AND NOT action:x.y') }),
    );
    expect(sql).toMatch(
      /^SELECT e\.\* FROM event_terms k CROSS JOIN events e ON e\.org_id = k\.org_id AND e\.chain_index = k\.chain_index WHERE k\.project_id = \? AND k\.field = \? AND k\.value = \? AND k\.org_id = \? AND k\.occurred_at >= \? AND /,
    );
    expect(sql).toMatch(
      /ORDER BY k\.occurred_at DESC, k\.org_id DESC, k\.chain_index DESC LIMIT \?$/,
    );
    expect(params.slice(0, 5)).toEqual(['p', 'actor.email', 'a@b', 'o', 5]);
    // The term itself is re-checked on the event.
    expect(sql).toContain('json_extract(e.canonical, ?)');
  });

  it('looks a long value up by its first TERM_VALUE_MAX_CHARS code points', () => {
    const long = '🎉'.repeat(TERM_VALUE_MAX_CHARS + 5);
    const { params } = buildListEventsSql(
      POSTGRES_DIALECT,
      'p',
      listing({ q: parseQuery(`metadata.note:"${long}"`) }),
    );
    expect(params[2]).toBe(cutTermValue(long));
    expect([...(params[2] as string)]).toHaveLength(TERM_VALUE_MAX_CHARS);
    expect(params).toContain(long);
  });

  it('prefers a target, then an actor, then an identifying JSON value, then an action', () => {
    const from = (q: string) =>
      buildListEventsSql(SQLITE_DIALECT, 'p', listing({ orgId: 'o', q: parseQuery(q) })).sql;
    expect(from('actor.email:a AND target.id:d')).toMatch(/^SELECT e\.\* FROM \(SELECT DISTINCT/);
    expect(from('actor.email:a AND actor.id:u')).toContain('INDEXED BY events_by_project_actor');
    expect(from('action:x.y AND context.ip:1.2.3.4')).toContain('FROM event_terms k');
    expect(from('action:x.y AND metadata.plan:free')).toContain('INDEXED BY events_by_org_action');
    expect(from('metadata.plan:free AND actor.type:user')).toContain('FROM event_terms k');
    // Metadata integers and booleans have no term rows.
    expect(from('metadata.seats:12 OR metadata.beta:true')).toContain(
      'INDEXED BY events_by_org_time',
    );
    expect(from('metadata.seats:1* AND metadata.beta:t*')).toContain(
      'INDEXED BY events_by_org_time',
    );
  });

  it('drives by a prefix of a JSON value only when its probe found it rare', () => {
    const filter: EventFilter = {
      ...EMPTY,
      orgId: 'o',
      q: parseQuery('actor.email:ada* AND (metadata.x:y* OR NOT actor.name:z*)'),
    };
    const probes = buildTermProbes(SQLITE_DIALECT, 'p', filter);
    expect(probes.map((p) => p.key)).toEqual(['actor.email\u0000ada', 'metadata.x\u0000y']);
    expect(probes[0]!.statement.sql).toBe(
      'SELECT CASE WHEN count(*) <= ? THEN 1 ELSE 0 END AS selective FROM (SELECT 1 AS x FROM event_terms k' +
        ' WHERE k.project_id = ? AND k.field = ? AND (k.value >= ? AND k.value < ?) AND k.org_id = ? LIMIT ?) p',
    );
    expect(probes[0]!.statement.params).toEqual([
      TERM_PROBE_CAP,
      'p',
      'actor.email',
      'ada',
      'adb',
      'o',
      TERM_PROBE_CAP + 1,
    ]);
    expect(buildListEventsSql(SQLITE_DIALECT, 'p', listing(filter)).sql).toContain(
      'FROM events e INDEXED BY events_by_org_time',
    );
    const driven = buildListEventsSql(
      SQLITE_DIALECT,
      'p',
      listing(filter),
      new Set([probes[0]!.key]),
    );
    expect(driven.sql).toContain('FROM event_terms k CROSS JOIN events e');
    // Under NOT a term can never drive, so it is not probed for that.
    expect(
      buildTermProbes(SQLITE_DIALECT, 'p', { ...filter, q: parseQuery('NOT actor.email:a*') }),
    ).toEqual([]);
  });
});

describe('prefixUpperBound', () => {
  it('increments the last code point, skipping surrogates and dropping U+10FFFF', () => {
    expect(prefixUpperBound('user.')).toBe('user/');
    expect(prefixUpperBound('a\u{10FFFF}')).toBe('b');
    expect(prefixUpperBound('\u{10FFFF}\u{10FFFF}')).toBeNull();
    expect(prefixUpperBound('')).toBeNull();
    expect(prefixUpperBound('\uD7FF')).toBe('\uE000');
    expect(prefixUpperBound('x\u{1F600}')).toBe('x\u{1F601}');
    expect(prefixUpperBound('\uFFFF')).toBe('\u{10000}');
  });
});

// The edges of code point order, where UTF-16 order (JavaScript's <) and
// byte order part ways: surrogate pairs sort after U+E000-U+FFFF in UTF-8.
const tricky = fc.string({
  unit: fc.constantFrom(
    'a',
    'b',
    'z',
    '.',
    '/',
    '\u007f',
    '\u00e9',
    '\uD7FF',
    '\uE000',
    '\uFFFF',
    '\u{10000}',
    '\u{1F600}',
    '\u{10FFFF}',
  ),
  maxLength: 4,
});

interface PrefixDb {
  /** Values among `values` that the database says are in [prefix, upper bound) and start with `prefix`. */
  select(
    values: readonly string[],
    prefix: string,
  ): Promise<{ range: string[]; startsWith: string[] }>;
}

function describePrefixRanges(
  name: string,
  open: () => Promise<PrefixDb & { close(): Promise<void> }>,
) {
  describe(`prefix ranges on ${name}`, () => {
    let db: PrefixDb & { close(): Promise<void> };
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db.close();
    });

    it('select exactly the strings that start with the prefix', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(tricky, { maxLength: 12 }),
          tricky,
          async (values, prefix) => {
            const expected = values.filter((v) => v.startsWith(prefix)).sort();
            const { range, startsWith } = await db.select(values, prefix);
            expect(range.sort()).toEqual(expected);
            expect(startsWith.sort()).toEqual(expected);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
}

describePrefixRanges('SQLite', async () => {
  const db = new Database(':memory:');
  return {
    async select(values, prefix) {
      db.exec('DROP TABLE IF EXISTS v; CREATE TABLE v (x TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO v VALUES (?)');
      for (const v of values) insert.run(v);
      const upper = prefixUpperBound(prefix);
      const range = (
        upper === null
          ? db.prepare('SELECT x FROM v WHERE x >= ?').all(prefix)
          : db.prepare('SELECT x FROM v WHERE x >= ? AND x < ?').all(prefix, upper)
      ) as Array<{ x: string }>;
      const starts = db
        .prepare(`SELECT x FROM v WHERE ${SQLITE_DIALECT.startsWith('x', '?')}`)
        .all(prefix) as Array<{ x: string }>;
      return { range: range.map((r) => r.x), startsWith: starts.map((r) => r.x) };
    },
    async close() {
      db.close();
    },
  };
});

describeWithPostgres('PostgreSQL', () => {
  describePrefixRanges('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    return {
      async select(values, prefix) {
        const upper = prefixUpperBound(prefix);
        const col = POSTGRES_DIALECT.bytewise('x');
        const range = await client.query<{ x: string }>(
          `SELECT x FROM unnest($1::text[]) AS v(x) WHERE ${col} >= $2 ${upper === null ? 'AND $3::text IS NULL' : `AND ${col} < $3`}`,
          [values, prefix, upper],
        );
        const starts = await client.query<{ x: string }>(
          `SELECT x FROM unnest($1::text[]) AS v(x) WHERE ${POSTGRES_DIALECT.startsWith('x', '$2')}`,
          [values, prefix],
        );
        return { range: range.rows.map((r) => r.x), startsWith: starts.rows.map((r) => r.x) };
      },
      async close() {
        await client.end();
        await database.drop();
      },
    };
  });
});
