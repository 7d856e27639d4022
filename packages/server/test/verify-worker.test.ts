// On SQLite a second thread (SqliteVerifyWorker) checks chunks of a
// whole-log verification from the values stored at each chunk's start. It
// may make a run faster but MUST NOT change what the run finds: every change
// below is named exactly as by the verifier alone, whichever thread checked
// the chunks around it, and a worker that is missing, crashes or hangs
// leaves the chunks to the calling thread.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { splitStoredHashIndex, storedHashIndex } from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackedRangeHelper, PackedRangeRun } from '../src/services/packed-range-helper.js';
import { frontierHashIndexes } from '../src/services/packed-range-check.js';
import { VerificationService } from '../src/services/verification-service.js';
import type { Store } from '../src/store/store.js';
import type { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { SqliteVerifyWorker } from '../src/stores/sqlite/verify-worker.js';
import { postJson } from './helpers/http-app.js';
import {
  deleteEvent,
  editCanonical,
  openVerifyApp,
  seedLog,
  setEventHash,
  setTreeHash,
  swapEvents,
  TAMPER_BATCHES,
  type Tamper,
  type TamperCase,
  type VerifyApp,
} from './helpers/verify-app.js';

const crypto = createNodeCrypto();
/** 7: chunks [0, 7), [7, 14), [14, 21), [21, 28), [28, 32); 2: every row next to a boundary. */
const CHUNK_SIZES = [2, 7];

const CASES: readonly TamperCase[] = [
  {
    name: 'the content of a row inside a chunk (9)',
    tamper: editCanonical(9),
    expected: [[9, 'leaf_hash']],
  },
  {
    // The worker reads chunk 1's start from this stored hash.
    name: 'the hash of the last row before a chunk (6)',
    tamper: setEventHash('hash', 6),
    expected: [[6, 'chain_link']],
  },
  {
    // The chain rewritten from row 6 on, consistently: every chunk after 6
    // checks out from its own stored start, which is not the hash the
    // verifier recomputed for row 6.
    name: 'the chain rewritten from a last row on (6)',
    tamper: rewriteChainFrom(6),
    expected: [
      [6, 'chain_link'],
      [7, 'chain_link'],
    ],
  },
  {
    // Leaves 4..5 forged in the stored tree with every stored subtree above
    // them recomputed: the worker's chunks check out from the stored
    // frontier, which is not the one the verifier recomputed.
    name: 'a stored subtree rewritten up to the root (leaves 4..5)',
    tamper: rewriteTreeFrom(1, 2),
    // Leaf 7 completes leaves 4..7 and 0..7, leaf 15 0..15, leaf 31 0..31.
    expected: [
      [5, 'tree_hash'],
      [7, 'tree_hash'],
      [7, 'tree_hash'],
      [15, 'tree_hash'],
      [31, 'tree_hash'],
    ],
  },
  {
    name: 'the previous_hash of a first row (14)',
    tamper: setEventHash('previous_hash', 14),
    expected: [[14, 'chain_link']],
  },
  {
    name: 'the leaf_hash of a row inside a chunk (10)',
    tamper: setEventHash('leaf_hash', 10),
    expected: [[10, 'leaf_hash']],
  },
  { name: 'a deleted first row (7)', tamper: deleteEvent(7), expected: [[7, 'missing']] },
  { name: 'a deleted last row (13)', tamper: deleteEvent(13), expected: [[13, 'missing']] },
  {
    name: 'rows swapped across a boundary (6 and 7)',
    tamper: swapEvents(6, 7),
    expected: [
      [6, 'canonical'],
      [7, 'canonical'],
    ],
  },
  {
    name: 'rows swapped inside a chunk (8 and 11)',
    tamper: swapEvents(8, 11),
    expected: [
      [8, 'canonical'],
      [11, 'canonical'],
    ],
  },
  {
    name: 'a tree hash created by a last row (13)',
    tamper: setTreeHash(storedHashIndex(1, 6)),
    expected: [[13, 'tree_hash']],
  },
  {
    // Leaves 8..11: in the frontier the worker reads for the chunk at 14.
    name: 'a tree hash of the frontier at a boundary (leaves 8..11)',
    tamper: setTreeHash(storedHashIndex(2, 2)),
    expected: [[11, 'tree_hash']],
  },
  {
    // The stored leaf is what the checkpoints signed, so the verifier feeds it
    // on: every subtree and root over it differs too.
    name: 'a stored leaf of the frontier at a boundary (leaf 13)',
    tamper: setTreeHash(storedHashIndex(0, 13)),
    expected: [
      [13, 'tree_hash'],
      [13, 'tree_hash'],
      [13, 'root'],
      [15, 'tree_hash'],
      [15, 'tree_hash'],
      [15, 'tree_hash'],
      [31, 'tree_hash'],
      [31, 'head'],
    ],
  },
  {
    name: 'the checkpoint signed at a boundary (14)',
    tamper: (t, org) =>
      t.sql('UPDATE checkpoints SET root_hash = ? WHERE org_id = ? AND tree_size = ?', [
        randomBytes(32),
        org,
        14,
      ]),
    expected: [[13, 'checkpoint']],
  },
];

/**
 * Forges the hash of row `index`, then re-chains every row after it
 * (previous_hash, hash = SHA-256(previous_hash || leaf_hash), PROOFS.md §3)
 * so that only the link at `index` is broken.
 */
function rewriteChainFrom(index: number): Tamper {
  return async (t, org) => {
    const db = new Database((t.logproof.store as SqliteStore).filename);
    try {
      const rows = db
        .prepare(
          'SELECT chain_index, leaf_hash FROM events WHERE org_id = ? AND chain_index > ? ORDER BY chain_index',
        )
        .all(org, index) as { chain_index: number; leaf_hash: Buffer }[];
      const update = db.prepare(
        'UPDATE events SET previous_hash = ?, hash = ? WHERE org_id = ? AND chain_index = ?',
      );
      let previous = randomBytes(32);
      db.prepare('UPDATE events SET hash = ? WHERE org_id = ? AND chain_index = ?').run(
        previous,
        org,
        index,
      );
      for (const row of rows) {
        const hash = createHash('sha256').update(previous).update(row.leaf_hash).digest();
        update.run(previous, hash, org, row.chain_index);
        previous = hash;
      }
      db.prepare('UPDATE orgs SET head_hash = ? WHERE id = ?').run(previous, org);
    } finally {
      db.close();
    }
  };
}

/**
 * Forges the stored tree hash of subtree `index` at `level`, then recomputes
 * every stored subtree above it (RFC 6962 §2.1: SHA-256(0x01 || left ||
 * right)) so that only that subtree disagrees with the leaves.
 */
function rewriteTreeFrom(level: number, index: number): Tamper {
  return async (t, org) => {
    const db = new Database((t.logproof.store as SqliteStore).filename);
    try {
      const read = db.prepare('SELECT hash FROM tree_hashes WHERE org_id = ? AND idx = ?').pluck();
      const write = db.prepare('UPDATE tree_hashes SET hash = ? WHERE org_id = ? AND idx = ?');
      const stored = (l: number, i: number) =>
        read.get(org, storedHashIndex(l, i)) as Buffer | undefined;
      write.run(randomBytes(32), org, storedHashIndex(level, index));
      for (let l = level + 1, i = Math.floor(index / 2); ; l++, i = Math.floor(i / 2)) {
        const left = stored(l - 1, 2 * i);
        const right = stored(l - 1, 2 * i + 1);
        // A subtree is stored once complete: above the last one, stop.
        if (left === undefined || right === undefined) break;
        const hash = createHash('sha256')
          .update(Buffer.from([1]))
          .update(left)
          .update(right);
        write.run(hash.digest(), org, storedHashIndex(l, i));
      }
    } finally {
      db.close();
    }
  };
}

type Share = 'odd chunks' | 'every chunk';

interface LogProblemBody {
  readonly chain_index: number | null;
  readonly check: string;
}

/**
 * `helper` with the verifier leaving it chunks: the odd ones (and any other
 * it takes first), or every one. Counts the checks the helper gave back.
 */
function sharing(helper: PackedRangeHelper, share: Share) {
  const counts = { checks: 0 };
  const wrapped: PackedRangeHelper = {
    begin(orgId, from, end, chunkSize) {
      const run = helper.begin(orgId, from, end, chunkSize);
      if (!run) return null;
      const shared: PackedRangeRun = {
        take: (k) => (share === 'every chunk' || k % 2 === 1 ? false : run.take(k)),
        result: async (k) => {
          const check = await run.result(k);
          if (check) counts.checks++;
          return check;
        },
        done: (k) => run.done(k),
        end: () => run.end(),
      };
      return shared;
    },
    close: () => helper.close(),
  };
  return { helper: wrapped, counts };
}

/** The store, counting the packed and row-by-row reads made in this thread. */
function readCounting(store: Store) {
  const counts = { scanPackedLog: 0, scanLog: 0 };
  const counted = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name === 'scanPackedLog' || name === 'scanLog') counts[name]++;
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { store: counted, packed: () => counts.scanPackedLog, rows: () => counts.scanLog };
}

describe('verification shared with the SQLite verify worker', () => {
  let t: VerifyApp;
  let worker: SqliteVerifyWorker;
  let alone: VerificationService;
  let scratch: string;

  beforeAll(async () => {
    t = await openVerifyApp('sqlite');
    worker = new SqliteVerifyWorker({ filename: (t.logproof.store as SqliteStore).filename });
    alone = service(null);
    scratch = await mkdtemp(join(tmpdir(), 'logproof-verify-worker-'));
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  function service(helper: PackedRangeHelper | null, store: Store = t.logproof.store) {
    return new VerificationService({
      store,
      crypto,
      originOf: (id) => `logproof.local/${id}`,
      helper,
    });
  }

  async function verify(verification: VerificationService, orgId: string, chunkSize: number) {
    const org = (await t.logproof.store.getOrgById(orgId))!;
    return verification.verifyLog(org, { signatures: false, chunkSize });
  }

  const named = (result: Awaited<ReturnType<typeof verify>>) =>
    result.problems.map((p) => [p.chainIndex, p.check, p.detail]);

  /** A thread script for the worker, written to the scratch directory. */
  async function script(name: string, source: string): Promise<URL> {
    const path = join(scratch, name);
    await writeFile(path, source);
    return pathToFileURL(path);
  }

  it('reads the frontier of any size from the stored subtrees that make it', () => {
    for (let size = 0; size <= 300; size++) {
      let next = 0;
      let level = Infinity;
      for (const index of frontierHashIndexes(size)) {
        const subtree = splitStoredHashIndex(index);
        // Largest first, each starting where the one before ended.
        expect(subtree.level).toBeLessThan(level);
        expect(subtree.index * 2 ** subtree.level).toBe(next);
        level = subtree.level;
        next += 2 ** subtree.level;
      }
      expect(next).toBe(size);
    }
  });

  for (const share of ['odd chunks', 'every chunk'] as const) {
    it(`verifies a whole log with the worker checking ${share}`, async () => {
      const { orgId } = await seedLog(t, `worker-clean-${share.replace(' ', '-')}`, TAMPER_BATCHES);
      const org = (await t.logproof.store.getOrgById(orgId))!;
      for (const chunkSize of CHUNK_SIZES) {
        const { helper, counts } = sharing(worker, share);
        const reads = readCounting(t.logproof.store);
        const result = await verify(service(helper, reads.store), orgId, chunkSize);
        expect(result).toMatchObject({ valid: true, treeSize: 32, checked: 32, problems: [] });
        expect(Buffer.from(result.rootHash!)).toEqual(Buffer.from(org.rootHash));
        const chunks = Math.ceil(32 / chunkSize);
        // Every check of the worker's was taken: this thread read only the others.
        expect(reads.packed() + counts.checks).toBe(chunks);
        expect(reads.rows()).toBe(0);
        // The worker may take even chunks too, when it is there first.
        if (share === 'every chunk') expect(counts.checks).toBe(chunks);
        else expect(counts.checks).toBeGreaterThanOrEqual(Math.floor(chunks / 2));
      }
    });
  }

  for (const c of CASES) {
    it(`names ${c.name} as the verifier alone does`, async () => {
      const { orgId } = await seedLog(t, `worker-${CASES.indexOf(c)}`, TAMPER_BATCHES);
      await c.tamper(t, orgId);
      for (const chunkSize of CHUNK_SIZES) {
        const expected = await verify(alone, orgId, chunkSize);
        expect(expected.problems.map((p) => [p.chainIndex, p.check])).toEqual(c.expected);
        for (const share of ['odd chunks', 'every chunk'] as const) {
          const result = await verify(service(sharing(worker, share).helper), orgId, chunkSize);
          const where = `chunk size ${chunkSize}, ${share}`;
          expect(result.valid, where).toBe(false);
          expect(named(result), where).toEqual(named(expected));
          expect(result.firstBadIndex, where).toBe(c.expected[0]![0]);
          expect(result.checked, where).toBe(expected.checked);
        }
      }
    });
  }

  it('continues a verified prefix with the worker', async () => {
    const { orgId } = await seedLog(t, 'worker-prefix', [5, 8]);
    const first = await verify(alone, orgId, 4);
    const events = Array.from({ length: 20 }, (_, i) => ({
      org: 'worker-prefix',
      action: 'a.b',
      actor: { id: `u${i}` },
    }));
    expect((await postJson(t.app, t.apiKey, '/v1/events/batch', { events })).statusCode).toBe(201);
    const org = (await t.logproof.store.getOrgById(orgId))!;
    const { helper, counts } = sharing(worker, 'every chunk');
    const next = await service(helper).verifyLog(org, {
      signatures: false,
      chunkSize: 3,
      from: first.prefix!,
    });
    expect(next).toMatchObject({ valid: true, treeSize: 33, checked: 20 });
    expect(Buffer.from(next.rootHash!)).toEqual(Buffer.from(org.rootHash));
    expect(counts.checks).toBe(7);
  });

  describe('falls back to the calling thread', () => {
    let orgId: string;
    let expected: Awaited<ReturnType<typeof verify>>;
    beforeAll(async () => {
      orgId = (await seedLog(t, 'worker-fallback', TAMPER_BATCHES)).orgId;
      await editCanonical(20)(t, orgId);
      expected = await verify(alone, orgId, 3);
      expect(expected.problems.map((p) => [p.chainIndex, p.check])).toEqual([[20, 'leaf_hash']]);
    });

    async function verifyWith(helper: SqliteVerifyWorker) {
      try {
        for (let round = 0; round < 2; round++) {
          const result = await verify(service(sharing(helper, 'every chunk').helper), orgId, 3);
          expect(named(result)).toEqual(named(expected));
          expect(result.checked).toBe(32);
        }
      } finally {
        await helper.close();
      }
    }

    it('when the thread script is missing', async () => {
      await verifyWith(
        new SqliteVerifyWorker({
          filename: (t.logproof.store as SqliteStore).filename,
          script: pathToFileURL(join(scratch, 'no-such-script.js')),
        }),
      );
    });

    it('when the worker crashes', async () => {
      const crash = await script(
        'crash.mjs',
        `import { parentPort } from 'node:worker_threads';
         parentPort.on('message', () => { throw new Error('worker crashed'); });`,
      );
      await verifyWith(
        new SqliteVerifyWorker({
          filename: (t.logproof.store as SqliteStore).filename,
          script: crash,
        }),
      );
    });

    it('when the worker takes a chunk and never answers', async () => {
      const hang = await script(
        'hang.mjs',
        `import { parentPort } from 'node:worker_threads';
         parentPort.on('message', (run) => { Atomics.add(new Int32Array(run.control), 0, 1); });`,
      );
      await verifyWith(
        new SqliteVerifyWorker({
          filename: (t.logproof.store as SqliteStore).filename,
          script: hang,
          timeoutMs: 200,
        }),
      );
    });

    it('when the worker answers nonsense', async () => {
      // Takes every chunk (control slots 2.. are the chunks) and sends junk for each.
      const junk = await script(
        'junk.mjs',
        `import { parentPort } from 'node:worker_threads';
         parentPort.on('message', (run) => {
           const control = new Int32Array(run.control);
           const answers = [
             // Chunk 0 starts at the genesis hash and the empty frontier: a right start, a junk end.
             { start: { previous: '\\0'.repeat(32), frontier: [] }, end: { previous: 7, frontier: 'no', snapshots: {} } },
             { start: 1, end: 'x' },
             { start: { previous: 'x', frontier: 5 }, end: null },
           ];
           for (let k = 0; k < run.chunks; k++) {
             if (Atomics.compareExchange(control, 2 + k, 0, 1) !== 0) continue;
             parentPort.postMessage({ run: run.run, chunk: k, check: answers[k % answers.length] });
           }
         });`,
      );
      await verifyWith(
        new SqliteVerifyWorker({
          filename: (t.logproof.store as SqliteStore).filename,
          script: junk,
        }),
      );
    });

    it('when the database cannot be opened by the worker', async () => {
      await verifyWith(new SqliteVerifyWorker({ filename: join(scratch, 'missing.db') }));
    });

    it('after close', async () => {
      const closed = new SqliteVerifyWorker({
        filename: (t.logproof.store as SqliteStore).filename,
      });
      await closed.close();
      expect(closed.begin(orgId, 0, 32, 3)).toBeNull();
      await verifyWith(closed);
    });
  });

  it('names a change the server worker checked, through POST /v1/orgs/{org}/verify', async () => {
    // 5003 events: two chunks of the server's 5000, the second the worker's
    // once it runs (it starts on the first long verification).
    const { orgId } = await seedLog(t, 'worker-http', [1000, 1000, 1000, 1000, 1000, 3]);
    await editCanonical(5001)(t, orgId);
    for (let round = 0; round < 3; round++) {
      const res = await postJson(t.app, t.apiKey, `/v1/orgs/${orgId}/verify`, {});
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ valid: boolean; checked: number; problems: LogProblemBody[] }>();
      expect(body).toMatchObject({ valid: false, checked: 5003 });
      expect(body.problems.map((p) => [p.chain_index, p.check])).toEqual([[5001, 'leaf_hash']]);
    }
  });

  it('does not keep the process alive', async () => {
    // A process whose worker checked a chunk (of two, the second) and was never
    // closed must still exit.
    // Node runs the build (as the process-*.test.ts suites do), not the sources.
    const { orgId } = await seedLog(t, 'worker-exit', [4]);
    const module = fileURLToPath(
      new URL('../dist/stores/sqlite/verify-worker.js', import.meta.url),
    );
    const code = `
      const { SqliteVerifyWorker } = await import(${JSON.stringify(module)});
      const worker = new SqliteVerifyWorker({ filename: ${JSON.stringify((t.logproof.store as SqliteStore).filename)} });
      const run = worker.begin(${JSON.stringify(orgId)}, 0, 4, 2);
      const check = await run.result(1);
      console.log(check === null ? "none" : check.end.frontier.length);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.signal, result.stderr).toBeNull();
    // Chunk 1, the worker's, ends at 4 leaves: one complete subtree.
    expect(result.stdout.trim(), result.stderr).toBe('1');
  });
});
