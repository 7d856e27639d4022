import Database from 'better-sqlite3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventRecord, OrgRecord } from '../src/store/records.js';
import { StoreConflictError, type LockedLog } from '../src/store/store.js';
import { WriterJobError, jobWriter } from '../src/stores/sqlite/append-writer-apply.js';
import { packIdempotency, packLog } from '../src/stores/sqlite/append-writer-protocol.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { expectWholeStoredLog } from './helpers/stored-log.js';
import { appendEvents, buildLogWrite, makeIdempotency, seedOrg, specs } from './helpers/records.js';

// The SQLite store's pipelined appends (append-writer*.ts): a group is built
// on the head that the groups still in flight will leave and committed on the
// writer thread, which writes it only if that head and the org's key are
// still the stored ones. These tests hold SQLite's write lock from a third
// connection so that several groups are in flight at once, then check that a
// refused group is built again, that nothing is ever written on a head that
// was not committed, and that the chain and tree stay whole.

let dir: string;
let filename: string;
let store: SqliteStore;
let blocker: Database.Database | null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logproof-writer-'));
  filename = join(dir, 'logproof.db');
  store = new SqliteStore({ filename });
  await store.migrate();
  blocker = null;
});

afterEach(async () => {
  if (blocker?.inTransaction) blocker.exec('ROLLBACK');
  blocker?.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Takes SQLite's write lock on another connection: the writer thread waits until release(). */
function holdWriteLock(): { release(): void } {
  blocker = new Database(filename);
  blocker.pragma('busy_timeout = 10000');
  blocker.exec('BEGIN IMMEDIATE');
  return { release: () => blocker!.exec('COMMIT') };
}

/** The org's whole stored log holds exactly `ids` (helpers/stored-log.ts). */
function expectWholeLog(org: OrgRecord, ids: readonly string[]): Promise<EventRecord[]> {
  return expectWholeStoredLog(store, org, ids);
}

describe('SqliteStore pipelined appends', () => {
  it('builds each group on the head of the groups in flight before it', async () => {
    const { org } = await seedOrg(store);
    const lock = holdWriteLock();
    const heads: number[] = [];
    const appends = [3, 1, 4, 1, 5].map((n) =>
      store.append([{ orgId: org.id, knownTreeSize: -1 }], (logs) => {
        heads.push(logs.get(org.id)!.head.treeSize);
        const built = buildLogWrite(org, logs.get(org.id), specs(n));
        return { logs: [built.write], idempotency: [], result: built.write.events };
      }),
    );
    // All five were built before any of them could commit.
    expect(heads).toEqual([0, 3, 4, 8, 9]);
    lock.release();
    const events = (await Promise.all(appends)).flat();
    // Each built exactly once: nothing was refused.
    expect(heads).toHaveLength(5);
    await expectWholeLog(
      org,
      events.map((e) => e.id),
    );
  });

  it('keeps in memory only the tree hashes of the groups still in flight, under a steady load', async () => {
    const { org } = await seedOrg(store);
    const ids: string[] = [];
    const held: number[] = [];
    // Two groups in flight at all times, as the append queue keeps them:
    // the pipeline never empties.
    let inFlight = appendEvents(store, org, specs(5));
    for (let i = 0; i < 60; i++) {
      const next = appendEvents(store, org, specs(5));
      ids.push(...(await inFlight).events.map((e) => e.id));
      held.push(store.appendsInFlight.treeHashes);
      inFlight = next;
    }
    ids.push(...(await inFlight).events.map((e) => e.id));
    // What one group of 5 events writes: its 5 leaves and at most 5 + 9
    // completed subtrees (a tree of 305 leaves is 9 levels high). The 61
    // groups wrote 600 hashes in all; without pruning they would all be held.
    expect(Math.max(...held)).toBeLessThanOrEqual(19);
    expect(held.some((n) => n > 0)).toBe(true);
    expect(store.appendsInFlight).toEqual({ orgs: 0, treeHashes: 0 });
    await expectWholeLog(org, ids);
  });

  it('builds again, on the stored head, the groups in flight behind one that failed', async () => {
    const { project, org } = await seedOrg(store);
    const first = await appendEvents(store, org, specs(2), {
      idempotency: (ids) => [makeIdempotency(project.id, 'taken', ids)],
    });
    const lock = holdWriteLock();
    const builds: Array<{ label: string; head: number }> = [];
    const append = (label: string, n: number, key?: string) =>
      store.append(
        [{ orgId: org.id, knownTreeSize: -1 }],
        (logs: ReadonlyMap<string, LockedLog>) => {
          builds.push({ label, head: logs.get(org.id)!.head.treeSize });
          const built = buildLogWrite(org, logs.get(org.id), specs(n));
          const ids = built.write.events.map((e) => e.id);
          return {
            logs: [built.write],
            idempotency: key ? [makeIdempotency(project.id, key, ids)] : [],
            result: built.write.events,
          };
        },
      );
    const a = append('a', 1);
    const b = append('b', 2, 'taken'); // the key is taken: the thread refuses b
    const c = append('c', 3); // built on b's head, which never commits
    const d = append('d', 1);
    lock.release();
    await expect(b).rejects.toBeInstanceOf(StoreConflictError);
    const [ea, ec, ed] = await Promise.all([a, c, d]);
    // c and d were built on b, then again on the stored head.
    expect(builds).toEqual([
      { label: 'a', head: 2 },
      { label: 'b', head: 3 },
      { label: 'c', head: 5 },
      { label: 'd', head: 8 },
      { label: 'c', head: 3 },
      { label: 'd', head: 6 },
    ]);
    const ids = [...first.events, ...ea!, ...ec!, ...ed!].map((e) => e.id);
    const stored = await expectWholeLog(org, ids);
    expect(stored.map((e) => e.chainIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('builds a group again when the org key was rotated after it was built', async () => {
    const { org, key } = await seedOrg(store);
    const lock = holdWriteLock();
    const keys: Array<string | null> = [];
    const appended = store.append([{ orgId: org.id, knownTreeSize: -1 }], (logs) => {
      keys.push(logs.get(org.id)!.currentKeyId);
      const built = buildLogWrite(org, logs.get(org.id), specs(2));
      return { logs: [built.write], idempotency: [], result: built.write.events };
    });
    // The rotation commits first, on the connection that held the lock.
    blocker!
      .prepare('UPDATE org_keys SET retired_at = ? WHERE org_id = ? AND key_id = ?')
      .run(1_760_000_000_001, org.id, key.keyId);
    blocker!
      .prepare(
        'INSERT INTO org_keys (org_id, key_id, public_key, sealed_seed, created_at, retired_at) VALUES (?, ?, ?, ?, ?, NULL)',
      )
      .run(org.id, 'feedf00d', Buffer.alloc(32, 1), Buffer.alloc(60, 2), 1_760_000_000_001);
    lock.release();
    const events = await appended;
    expect(keys).toEqual([key.keyId, 'feedf00d']);
    await expectWholeLog(
      org,
      events.map((e) => e.id),
    );
  });

  it('falls back to appending on its own connection when the writer thread dies', async () => {
    await store.close();
    // A thread script that exits when it gets its first job.
    const script = join(dir, 'dying-writer.mjs');
    await writeFile(
      script,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n",
    );
    store = new SqliteStore({ filename, appendThreadScript: pathToFileURL(script) });
    const { org } = await seedOrg(store);
    await expect(appendEvents(store, org, specs(2))).rejects.toThrow(
      /append writer thread exited \(code 3\)/,
    );
    // Nothing was written, and the next appends commit on the store's connection.
    expect((await store.getOrgById(org.id))?.treeSize).toBe(0);
    const one = await appendEvents(store, org, specs(2));
    const two = await appendEvents(store, org, specs(1));
    await expectWholeLog(
      org,
      [...one.events, ...two.events].map((e) => e.id),
    );
  });

  it('counts the time its thread spends in jobs, a job waiting for the write lock included', async () => {
    const { org } = await seedOrg(store);
    expect(store.writerBusySeconds).toBe(0); // no thread yet
    await appendEvents(store, org, specs(2));
    const first = store.writerBusySeconds;
    expect(first).toBeGreaterThan(0);
    // A job that waits 300 ms for the lock keeps the thread busy that long:
    // appends then wait for the writer, which is what the metric is for.
    const lock = holdWriteLock();
    const waiting = appendEvents(store, org, specs(1));
    await new Promise((r) => setTimeout(r, 300));
    lock.release();
    await waiting;
    expect(store.writerBusySeconds - first).toBeGreaterThanOrEqual(0.25);
    expect(store.writerBusySeconds - first).toBeLessThan(10);
  });

  it('lets the groups in flight commit before close() ends the thread', async () => {
    const { org } = await seedOrg(store);
    const appends = Array.from({ length: 6 }, () => appendEvents(store, org, specs(2)));
    const closed = store.close();
    const events = (await Promise.all(appends)).flatMap((r) => r.events);
    await closed;
    store = new SqliteStore({ filename });
    await expectWholeLog(
      org,
      events.map((e) => e.id),
    );
  });
});

describe('the writer thread job (jobWriter)', () => {
  /** A job of two events for a new org, built on its stored head; `tamper` changes what it expects. */
  async function job(org: OrgRecord, tamper?: (locked: LockedLog) => LockedLog) {
    const head = (await store.getOrgById(org.id))!;
    const locked: LockedLog = {
      head: { treeSize: head.treeSize, headHash: head.headHash, rootHash: head.rootHash },
      frontier: new Map(), // the org's log is empty
      currentKeyId: (await store.listOrgKeys(org.id))[0]!.keyId,
    };
    const built = buildLogWrite(org, locked, specs(2));
    const expected = tamper ? tamper(locked) : locked;
    return {
      type: 'append' as const,
      id: 1,
      logs: [packLog(built.write, expected.head, expected.currentKeyId)],
      idempotency: packIdempotency([]),
    };
  }

  it('writes a job built on the stored head and key', async () => {
    const { org } = await seedOrg(store);
    const db = new Database(filename);
    try {
      jobWriter(db)(await job(org));
    } finally {
      db.close();
    }
    expect((await store.getOrgById(org.id))?.treeSize).toBe(2);
  });

  it.each([
    [
      'the same size on another head hash',
      (l: LockedLog): LockedLog => ({
        ...l,
        head: { ...l.head, headHash: new Uint8Array(32).fill(7) },
      }),
      /log head of .* moved/,
    ],
    [
      'another size',
      (l: LockedLog): LockedLog => ({ ...l, head: { ...l.head, treeSize: l.head.treeSize + 1 } }),
      /log head of .* moved/,
    ],
    [
      'a key that is no longer current',
      (l: LockedLog): LockedLog => ({ ...l, currentKeyId: 'deadbeef' }),
      /signing key of .* was rotated/,
    ],
  ])('writes nothing for a job that expects %s', async (_, tamper, message) => {
    const { org } = await seedOrg(store);
    const db = new Database(filename);
    try {
      const write = jobWriter(db);
      let caught: unknown;
      try {
        write(await job(org, tamper));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WriterJobError);
      expect((caught as WriterJobError).failure.kind).toBe('head_moved');
      expect((caught as WriterJobError).message).toMatch(message);
    } finally {
      db.close();
    }
    expect((await store.getOrgById(org.id))?.treeSize).toBe(0);
    expect(await store.latestCheckpoint(org.id)).toMatchObject({ treeSize: 0 });
  });
});
