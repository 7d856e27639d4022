import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../src/store/records.js';
import { HashIndexer } from '../src/stores/sqlite/hash-index.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { appendEvents, seedOrg, specs } from './helpers/records.js';

// GET /v1/hashes/{hex} on SQLite (migration 9, hash-index.ts): hash_index is
// filled after the appends commit, and an org's not yet indexed tail is read
// from its events. Every event must be found by both its hashes whether it is
// indexed or not, the index must hold each event exactly once, and a database
// made before migration 9 must come out of it fully indexed.

let dir: string;
let filename: string;
const stores: SqliteStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logproof-hash-index-'));
  filename = join(dir, 'logproof.db');
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(options: { appendThread?: boolean; hashIndexChunk?: number } = {}) {
  const store = new SqliteStore({ filename, ...options });
  stores.push(store);
  await store.migrate();
  return store;
}

/** What the database holds, read on a connection of its own. */
function indexState(): { entries: Array<[number, string]>; pending: Record<string, number> } {
  const db = new Database(filename, { readonly: true });
  try {
    const entries = sorted(
      (
        db.prepare('SELECT chain_index, hex(hash) FROM hash_index').raw().all() as Array<
          [number, string]
        >
      ).map(([i, h]) => [i, h.toLowerCase()] as [number, string]),
    );
    const pending = Object.fromEntries(
      db.prepare('SELECT org_id, indexed_size FROM hash_index_pending').raw().all() as Array<
        [string, number]
      >,
    );
    return { entries, pending };
  } finally {
    db.close();
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Both hashes of each of `events`, as hash_index holds them, by chain index. */
function entriesOf(events: readonly EventRecord[]): Array<[number, string]> {
  return sorted(
    events.flatMap((e) => [
      [e.chainIndex, hex(e.hash)] as [number, string],
      [e.chainIndex, hex(e.leafHash)] as [number, string],
    ]),
  );
}

function sorted(entries: Array<[number, string]>): Array<[number, string]> {
  return entries.slice().sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
}

async function expectAllFound(
  store: SqliteStore,
  projectId: string,
  events: readonly EventRecord[],
) {
  for (const e of events) {
    expect(await store.findHash(projectId, e.hash)).toEqual({
      kind: 'chain',
      orgId: e.orgId,
      eventId: e.id,
      chainIndex: e.chainIndex,
    });
    expect(await store.findHash(projectId, e.leafHash)).toEqual({
      kind: 'leaf',
      orgId: e.orgId,
      eventId: e.id,
      chainIndex: e.chainIndex,
    });
  }
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each([
  ['on the writer thread', true],
  ['on the store connection', false],
] as const)('SqliteStore hash index, appends %s', (_, appendThread) => {
  it('indexes a chunk after the commit that reaches it, and finds every event either way', async () => {
    const store = await open({ appendThread, hashIndexChunk: 4 });
    const { project, org } = await seedOrg(store);
    const events: EventRecord[] = [];

    // 3 events: under the chunk, all in the unindexed tail.
    events.push(...(await appendEvents(store, org, specs(3))).events);
    expect(indexState()).toEqual({ entries: [], pending: { [org.id]: 0 } });
    await expectAllFound(store, project.id, events);

    // 2 more reach the chunk (5 >= 4): that commit is followed by a step of the whole tail.
    events.push(...(await appendEvents(store, org, specs(2))).events);
    await until(() => indexState().entries.length === 10, 'the chunk to be indexed');
    expect(indexState()).toEqual({ entries: entriesOf(events), pending: {} });
    await expectAllFound(store, project.id, events);

    // 1 more: indexed up to 5, a tail of 1 again.
    events.push(...(await appendEvents(store, org, specs(1))).events);
    expect(indexState()).toEqual({
      entries: entriesOf(events.slice(0, 5)),
      pending: { [org.id]: 5 },
    });
    await expectAllFound(store, project.id, events);

    // Once appends are idle, the rest is indexed too.
    await until(() => Object.keys(indexState().pending).length === 0, 'the idle step');
    expect(indexState().entries).toEqual(entriesOf(events));
    await expectAllFound(store, project.id, events);
  });

  it('keeps the tails of several orgs apart and finds nothing of another project', async () => {
    const store = await open({ appendThread, hashIndexChunk: 1000 });
    const a = await seedOrg(store);
    const b = await seedOrg(store);
    const ofA = (await appendEvents(store, a.org, specs(3))).events;
    const ofB = (await appendEvents(store, b.org, specs(2))).events;
    expect(indexState().pending).toEqual({ [a.org.id]: 0, [b.org.id]: 0 });
    await expectAllFound(store, a.project.id, ofA);
    await expectAllFound(store, b.project.id, ofB);
    for (const e of ofA) {
      expect(await store.findHash(b.project.id, e.hash)).toBeNull();
      expect(await store.findHash(b.project.id, e.leafHash)).toBeNull();
    }
  });
});

describe('SqliteStore hash lookups', () => {
  it('find an event on either side of where the index stopped', async () => {
    const store = await open({ appendThread: false, hashIndexChunk: 1000 });
    const { project, org } = await seedOrg(store);
    const { events } = await appendEvents(store, org, specs(6));
    expect(indexState()).toEqual({ entries: [], pending: { [org.id]: 0 } });
    // Index the first 4 as a step that stopped there would have.
    const raw = new Database(filename);
    raw
      .prepare(
        `INSERT INTO hash_index (hash, org_id, chain_index)
         SELECT hash, org_id, chain_index FROM events WHERE org_id = @org AND chain_index < 4
         UNION ALL SELECT leaf_hash, org_id, chain_index FROM events WHERE org_id = @org AND chain_index < 4`,
      )
      .run({ org: org.id });
    raw.prepare('UPDATE hash_index_pending SET indexed_size = 4 WHERE org_id = ?').run(org.id);
    raw.close();
    expect(indexState()).toEqual({
      entries: entriesOf(events.slice(0, 4)),
      pending: { [org.id]: 4 },
    });
    await expectAllFound(store, project.id, events);
  });

  it('are found for a database made before migration 9, which indexes it', async () => {
    const first = await open({ appendThread: false });
    const { project, org } = await seedOrg(first);
    const { events } = await appendEvents(first, org, specs(7));
    await first.close();
    stores.splice(0);
    // Back to schema 8: the two hash indexes on events, no hash_index.
    const raw = new Database(filename);
    raw.exec(`
      DROP TABLE hash_index;
      DROP TABLE hash_index_pending;
      CREATE INDEX events_by_hash ON events(hash);
      CREATE INDEX events_by_leaf_hash ON events(leaf_hash);
      DELETE FROM schema_migrations WHERE version = 9;
    `);
    raw.close();

    const store = new SqliteStore({ filename, appendThread: false });
    stores.push(store);
    expect(await store.migrate()).toEqual({ applied: [9] });
    expect(indexState()).toEqual({ entries: entriesOf(events), pending: {} });
    const check = new Database(filename, { readonly: true });
    const indexes = check
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
      .pluck()
      .all();
    check.close();
    expect(indexes).not.toContain('events_by_hash');
    expect(indexes).not.toContain('events_by_leaf_hash');
    await expectAllFound(store, project.id, events);
  });
});

describe('HashIndexer', () => {
  it('indexes nothing twice, whatever it is told, and nothing after close()', async () => {
    const store = await open({ appendThread: false, hashIndexChunk: 1000 });
    const { org } = await seedOrg(store);
    const { events } = await appendEvents(store, org, specs(5));
    const db = new Database(filename);
    const indexer = new HashIndexer(db, { chunk: 2 });
    indexer.committed(org.id, 5, 5);
    // Told again, late, with sizes it has already indexed past: nothing changes.
    indexer.committed(org.id, 3, 3);
    indexer.committed(org.id, 5, 5);
    expect(indexState().entries).toEqual(entriesOf(events));
    expect(indexState().pending).toEqual({});
    const more = (await appendEvents(store, org, specs(3))).events;
    indexer.close();
    indexer.committed(org.id, 8, 3);
    expect(indexState()).toEqual({ entries: entriesOf(events), pending: { [org.id]: 5 } });
    db.close();
    await expectAllFound(store, org.projectId, [...events, ...more]);
  });

  it('tells onStep how long each step held its connection, a failed one too', async () => {
    const store = await open({ appendThread: false, hashIndexChunk: 1000 });
    const { org } = await seedOrg(store);
    const { events } = await appendEvents(store, org, specs(5));
    const db = new Database(filename);
    db.pragma('busy_timeout = 50');
    const steps: number[] = [];
    const errors: unknown[] = [];
    const indexer = new HashIndexer(db, {
      chunk: 2,
      onStep: (ms) => steps.push(ms),
      onError: (e) => errors.push(e),
    });
    indexer.committed(org.id, 5, 5);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toBeGreaterThanOrEqual(0);
    expect(indexState().entries).toEqual(entriesOf(events));
    // A step that cannot take the write lock fails after the busy timeout,
    // which it spent waiting: that time is reported too.
    await appendEvents(store, org, specs(3));
    const blocker = new Database(filename);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      indexer.committed(org.id, 8, 3);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(steps).toHaveLength(2);
    expect(steps[1]).toBeGreaterThanOrEqual(40);
    indexer.close();
    db.close();
  });

  it('refuses a chunk that is not a positive integer', () => {
    const db = new Database(':memory:');
    expect(() => new HashIndexer(db, { chunk: 0 })).toThrow(RangeError);
    expect(() => new HashIndexer(db, { chunk: 1.5 })).toThrow(RangeError);
    db.close();
  });
});
