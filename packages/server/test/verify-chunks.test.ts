// Whole-log verification reads the log in chunks, each first checked packed
// (PackedLogRange) and re-read row by row only when something in it does not
// match. A change at a chunk's first or last row, or across two chunks, must
// be named exactly as when the whole log is one chunk, on both backends.
import { randomBytes } from 'node:crypto';
import { storedHashIndex } from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VerificationService } from '../src/services/verification-service.js';
import type { Store } from '../src/store/store.js';
import { postJson } from './helpers/http-app.js';
import {
  deleteEvent,
  describeOnBackends,
  editCanonical,
  openVerifyApp,
  seedLog,
  setEventHash,
  setTreeHash,
  swapEvents,
  TAMPER_BATCHES,
  type TamperCase,
  type VerifyApp,
} from './helpers/verify-app.js';

const crypto = createNodeCrypto();
/** 1 and 2 put every row at a boundary; 7 has boundaries at 7, 14, 21, 28; 5000 is one chunk. */
const CHUNK_SIZES = [1, 2, 7, 5000];

const CASES: readonly TamperCase[] = [
  {
    name: 'the content of a first row (7)',
    tamper: editCanonical(7),
    expected: [[7, 'leaf_hash']],
  },
  {
    name: 'the content of a last row (13)',
    tamper: editCanonical(13),
    expected: [[13, 'leaf_hash']],
  },
  {
    name: 'the content of the log’s last row',
    tamper: editCanonical(31),
    expected: [[31, 'leaf_hash']],
  },
  {
    name: 'the hash of a last row (6)',
    tamper: setEventHash('hash', 6),
    expected: [[6, 'chain_link']],
  },
  {
    name: 'the previous_hash of a first row (14)',
    tamper: setEventHash('previous_hash', 14),
    expected: [[14, 'chain_link']],
  },
  {
    name: 'the leaf_hash of a first row (0)',
    tamper: setEventHash('leaf_hash', 0),
    expected: [[0, 'leaf_hash']],
  },
  {
    name: 'a deleted first row (21)',
    tamper: deleteEvent(21),
    expected: [[21, 'missing']],
  },
  {
    name: 'rows swapped across chunks (6 and 7)',
    tamper: swapEvents(6, 7),
    expected: [
      [6, 'canonical'],
      [7, 'canonical'],
    ],
  },
  {
    // The subtree over leaves 12..13 is stored when leaf 13, a chunk's last row, is appended.
    name: 'a tree hash created by a last row (13)',
    tamper: setTreeHash(storedHashIndex(1, 6)),
    expected: [[13, 'tree_hash']],
  },
  {
    name: 'the checkpoint signed at a chunk boundary (14)',
    tamper: (t, org) =>
      t.sql('UPDATE checkpoints SET root_hash = ? WHERE org_id = ? AND tree_size = ?', [
        randomBytes(32),
        org,
        14,
      ]),
    expected: [[13, 'checkpoint']],
  },
];

/** The store, counting the row-by-row reads a verification falls back to. */
function countingStore(store: Store): { store: Store; rowReads: () => number } {
  let reads = 0;
  const counted = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name === 'scanLog') {
        return (...args: unknown[]) => {
          reads++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { store: counted, rowReads: () => reads };
}

describeOnBackends('verification in chunks', (backend) => {
  let t: VerifyApp;
  let counted: ReturnType<typeof countingStore>;
  let service: VerificationService;

  beforeAll(async () => {
    t = await openVerifyApp(backend);
    counted = countingStore(t.logproof.store);
    service = new VerificationService({
      store: counted.store,
      crypto,
      originOf: (id) => `logproof.local/${id}`,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function verify(orgId: string, chunkSize: number) {
    const org = (await t.logproof.store.getOrgById(orgId))!;
    const before = counted.rowReads();
    const result = await service.verifyLog(org, { signatures: false, chunkSize });
    return { result, rowReads: counted.rowReads() - before };
  }

  it('checks a whole log packed, in chunks of any size, reading no row one by one', async () => {
    const { orgId } = await seedLog(t, 'chunks-clean', TAMPER_BATCHES);
    const org = (await t.logproof.store.getOrgById(orgId))!;
    for (const chunkSize of CHUNK_SIZES) {
      const { result, rowReads } = await verify(orgId, chunkSize);
      expect(result).toMatchObject({ valid: true, treeSize: 32, checked: 32, problems: [] });
      expect(Buffer.from(result.rootHash!)).toEqual(Buffer.from(org.rootHash));
      expect(rowReads).toBe(0);
    }
  });

  it('continues a verified prefix packed', async () => {
    const { orgId } = await seedLog(t, 'chunks-prefix', [5, 8]);
    const first = await verify(orgId, 4);
    // 13 = 8 + 4 + 1 leaves: three complete subtrees.
    expect(first.result.prefix?.frontierHashes).toHaveLength(3);
    const events = [1, 2, 3].map((i) => ({
      org: 'chunks-prefix',
      action: 'a.b',
      actor: { id: `u${i}` },
    }));
    expect((await postJson(t.app, t.apiKey, '/v1/events/batch', { events })).statusCode).toBe(201);
    const org = (await t.logproof.store.getOrgById(orgId))!;
    const before = counted.rowReads();
    const next = await service.verifyLog(org, {
      signatures: false,
      chunkSize: 2,
      from: first.result.prefix!,
    });
    expect(next).toMatchObject({ valid: true, treeSize: 16, checked: 3 });
    expect(Buffer.from(next.rootHash!)).toEqual(Buffer.from(org.rootHash));
    expect(counted.rowReads() - before).toBe(0);
  });

  for (const c of CASES) {
    it(`names ${c.name} the same whatever the chunk size`, async () => {
      const ext = `chunks-${CASES.indexOf(c)}`;
      const { orgId } = await seedLog(t, ext, TAMPER_BATCHES);
      await c.tamper(t, orgId);
      for (const chunkSize of CHUNK_SIZES) {
        const { result, rowReads } = await verify(orgId, chunkSize);
        expect(result.valid, `chunk size ${chunkSize}`).toBe(false);
        expect(
          result.problems.map((p) => [p.chainIndex, p.check]),
          `chunk size ${chunkSize}`,
        ).toEqual(c.expected);
        expect(result.firstBadIndex).toBe(c.expected[0]![0]);
        // Only the chunks around the change are read row by row.
        expect(rowReads, `chunk size ${chunkSize}`).toBeLessThanOrEqual(chunkSize === 1 ? 3 : 2);
      }
    });
  }
});
