// The contract suite of the verification reads (src/store/log-read-port.ts),
// run against real SQLite and real PostgreSQL (STYLE.md habit 3).
import { randomBytes } from 'node:crypto';
import { storedHashCount } from '@logproof/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrgKeyRecord, OrgRecord, ProjectRecord } from '../src/store/records.js';
import type { LockedLog, Store } from '../src/store/store.js';
import { appendEvents, hex, makeOrg, plain, seedOrg, specs } from './helpers/records.js';
import type { StoreHarness } from './store-contract.js';

function newKey(orgId: string, createdAt: number): OrgKeyRecord {
  return {
    orgId,
    keyId: randomBytes(4).toString('hex'),
    publicKey: new Uint8Array(randomBytes(32)),
    sealedSeed: new Uint8Array(randomBytes(60)),
    createdAt,
    retiredAt: null,
  };
}

/** The locked view an append gets of `org`, and nothing written. */
async function lockedView(store: Store, org: OrgRecord): Promise<LockedLog> {
  return store.append([{ orgId: org.id, knownTreeSize: -1 }], (logs) => ({
    logs: [],
    idempotency: [],
    result: logs.get(org.id)!,
  }));
}

export function describeLogReadsContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`${name} (LogReadStore contract)`, () => {
    let harness: StoreHarness;
    let store: Store;
    let project: ProjectRecord;
    let org: OrgRecord;
    let key: OrgKeyRecord;

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
      await store.migrate();
      ({ project, org, key } = await seedOrg(store));
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    describe('scanLog', () => {
      it('returns the rows of a chain_index range in order, with their stored bytes', async () => {
        const { events } = await appendEvents(store, org, specs(12));
        const rows = await store.scanLog(org.id, 3, 5, { signatures: true });
        expect(rows.map((r) => r.chainIndex)).toEqual([3, 4, 5, 6, 7]);
        const e = events[4]!;
        expect(plain(rows[1])).toEqual(
          plain({
            id: e.id,
            chainIndex: 4,
            canonical: e.canonical,
            leafHash: e.leafHash,
            hash: e.hash,
            previousHash: e.previousHash,
            signature: e.signature,
            keyId: e.keyId,
          }),
        );
      });

      it('leaves signatures out unless asked for them', async () => {
        const { events } = await appendEvents(store, org, specs(2));
        const [row] = await store.scanLog(org.id, 1, 1);
        expect(row).toMatchObject({ id: events[1]!.id, signature: null, keyId: null });
        expect(hex(row!.hash)).toBe(hex(events[1]!.hash));
      });

      it('stops at the end of the log and returns nothing past it', async () => {
        await appendEvents(store, org, specs(4));
        expect((await store.scanLog(org.id, 2, 100)).map((r) => r.chainIndex)).toEqual([2, 3]);
        expect(await store.scanLog(org.id, 4, 100)).toEqual([]);
      });

      it('never reads another org’s log', async () => {
        const other = makeOrg(project.id);
        await store.createOrg(other.org, other.key, other.checkpoint);
        await appendEvents(store, other.org, specs(3));
        expect(await store.scanLog(org.id, 0, 10)).toEqual([]);
      });
    });

    describe('scanTreeHashes', () => {
      it('returns the stored hashes of an index range, ascending, none past the end', async () => {
        await appendEvents(store, org, specs(8));
        const all = await store.scanTreeHashes(org.id, 0, storedHashCount(8));
        expect(all.map((h) => h.index)).toEqual([...Array(storedHashCount(8)).keys()]);
        const some = await store.scanTreeHashes(org.id, 3, 6);
        expect(some.map((h) => h.index)).toEqual([3, 4, 5]);
        expect(hex(some[0]!.hash)).toBe(hex(all[3]!.hash));
        const past = await store.scanTreeHashes(org.id, 10, 100);
        expect(past.map((h) => h.index)).toEqual([10, 11, 12, 13, 14]);
      });
    });

    describe('scanPackedLog', () => {
      it('packs a range’s rows and tree hashes in order, byte for byte what scanLog reads', async () => {
        await appendEvents(store, org, specs(8));
        const rows = await store.scanLog(org.id, 2, 5);
        const hashes = await store.scanTreeHashes(org.id, storedHashCount(2), storedHashCount(7));
        const packed = await store.scanPackedLog(org.id, 2, 7);
        expect(packed.rows).toBe(5);
        expect(hex(packed.rowHashes)).toBe(
          rows.map((r) => hex(r.previousHash) + hex(r.leafHash) + hex(r.hash)).join(''),
        );
        const canonical = rows.map((r) => Buffer.from(r.canonical, 'utf8'));
        expect(packed.canonicalLengths).toEqual(canonical.map((c) => c.length));
        expect(hex(packed.leafInputs)).toBe(
          canonical.map((c) => `00${c.toString('hex')}`).join(''),
        );
        expect(packed.treeHashCount).toBe(hashes.length);
        expect(hex(packed.treeHashes)).toBe(hashes.map((h) => hex(h.hash)).join(''));
      });

      it('packs nothing past the end of the log', async () => {
        await appendEvents(store, org, specs(3));
        const packed = await store.scanPackedLog(org.id, 5, 9);
        expect(packed).toMatchObject({ rows: 0, canonicalLengths: [], treeHashCount: 0 });
        expect(packed.rowHashes.length + packed.leafInputs.length + packed.treeHashes.length).toBe(
          0,
        );
      });
    });

    describe('checkpoints', () => {
      it('finds the checkpoint signed at exactly a size, and none at another', async () => {
        await appendEvents(store, org, specs(3));
        await appendEvents(store, org, specs(2));
        expect((await store.checkpointAt(org.id, 3))?.treeSize).toBe(3);
        expect((await store.checkpointAt(org.id, 0))?.treeSize).toBe(0);
        expect(await store.checkpointAt(org.id, 4)).toBeNull();
      });

      it('lists the checkpoints of a size range, the lower bound excluded', async () => {
        for (const n of [2, 3, 1]) await appendEvents(store, org, specs(n));
        const sizes = async (after: number, upTo: number) =>
          (await store.listCheckpoints(org.id, after, upTo)).map((c) => c.treeSize);
        expect(await sizes(-1, 100)).toEqual([0, 2, 5, 6]);
        expect(await sizes(0, 5)).toEqual([2, 5]);
        expect(await sizes(2, 4)).toEqual([]);
      });
    });

    describe('findHash', () => {
      it('finds an event by its chain hash and by its leaf hash', async () => {
        const { events } = await appendEvents(store, org, specs(5));
        const e = events[3]!;
        expect(await store.findHash(project.id, e.hash)).toEqual({
          kind: 'chain',
          orgId: org.id,
          eventId: e.id,
          chainIndex: 3,
        });
        expect(await store.findHash(project.id, e.leafHash)).toMatchObject({
          kind: 'leaf',
          eventId: e.id,
        });
      });

      it('finds nothing for an unknown hash, nor for another project’s', async () => {
        const { events } = await appendEvents(store, org, specs(2));
        expect(await store.findHash(project.id, new Uint8Array(randomBytes(32)))).toBeNull();
        const other = await seedOrg(store);
        expect(await store.findHash(other.project.id, events[0]!.hash)).toBeNull();
      });
    });

    describe('listOrgIds', () => {
      it('pages through the orgs of every project in id order', async () => {
        const second = await seedOrg(store);
        const third = await seedOrg(store);
        const expected = [org.id, second.org.id, third.org.id].sort();
        const first = await store.listOrgIds({ limit: 2 });
        expect(first).toEqual(expected.slice(0, 2));
        expect(await store.listOrgIds({ limit: 2, afterId: first[1]! })).toEqual(expected.slice(2));
      });
    });

    describe('rotateOrgKey', () => {
      it('retires the current key and adds the new one, in one step', async () => {
        const next = newKey(org.id, key.createdAt + 1000);
        expect(await store.rotateOrgKey(org.id, next, key.keyId, next.createdAt)).toBe(true);
        const keys = await store.listOrgKeys(org.id);
        expect(keys.map((k) => [k.keyId, k.retiredAt])).toEqual([
          [key.keyId, next.createdAt],
          [next.keyId, null],
        ]);
      });

      it('writes nothing when the key to retire is no longer the current one', async () => {
        const next = newKey(org.id, key.createdAt + 1000);
        await store.rotateOrgKey(org.id, next, key.keyId, next.createdAt);
        const late = newKey(org.id, key.createdAt + 2000);
        expect(await store.rotateOrgKey(org.id, late, key.keyId, late.createdAt)).toBe(false);
        expect((await store.listOrgKeys(org.id)).map((k) => k.keyId)).toEqual([
          key.keyId,
          next.keyId,
        ]);
      });

      it('answers false for an unknown org', async () => {
        const stray = newKey('org_unknown', 1);
        expect(await store.rotateOrgKey('org_unknown', stray, 'deadbeef', 1)).toBe(false);
      });

      it('is seen under the log lock by the next append, in this process and in another', async () => {
        expect((await lockedView(store, org)).currentKeyId).toBe(key.keyId);
        const peer = await harness.openPeer();
        const next = newKey(org.id, key.createdAt + 1000);
        expect(await peer.rotateOrgKey(org.id, next, key.keyId, next.createdAt)).toBe(true);
        expect((await lockedView(store, org)).currentKeyId).toBe(next.keyId);
      });

      it('is ordered against appends: concurrent rotations of one key let exactly one win', async () => {
        const peer = await harness.openPeer();
        const a = newKey(org.id, key.createdAt + 1000);
        const b = newKey(org.id, key.createdAt + 1000);
        const results = await Promise.all([
          store.rotateOrgKey(org.id, a, key.keyId, a.createdAt),
          peer.rotateOrgKey(org.id, b, key.keyId, b.createdAt),
          appendEvents(store, org, specs(3)).then(() => 'appended'),
        ]);
        expect(results.filter((r) => r === true)).toHaveLength(1);
        const active = (await store.listOrgKeys(org.id)).filter((k) => k.retiredAt === null);
        expect(active).toHaveLength(1);
        expect((await lockedView(store, org)).currentKeyId).toBe(active[0]!.keyId);
      });
    });
  });
}
