// The ONE contract suite for the persistence port (src/store/store.ts).
// Every adapter runs all of it against a real database (STYLE.md habit 3).
import { MerkleFrontier, MerkleTree, storedHashCount } from '@logproof/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrgRecord } from '../src/store/records.js';
import { StoreConflictError, type LockedLog, type Store } from '../src/store/store.js';
import { expectWholeStoredLog } from './helpers/stored-log.js';
import {
  appendEvents,
  buildLogWrite,
  hex,
  makeApiKey,
  makeIdempotency,
  makeOrg,
  makeProject,
  newId,
  plain,
  seedOrg,
  specs,
} from './helpers/records.js';

/** A fresh, empty (not yet migrated) database behind a store. */
export interface StoreHarness {
  readonly store: Store;
  /** Another store on the same database, as a second server process would open it. */
  openPeer(): Promise<Store>;
  /** Closes the store and every peer, then removes the database. */
  cleanup(): Promise<void>;
}

export function describeStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`${name} (Store contract)`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    describe('migrate', () => {
      it('applies every migration once, and nothing on a second call', async () => {
        const first = await store.migrate();
        expect(first.applied.length).toBeGreaterThan(0);
        expect(first.applied).toEqual([...first.applied].sort((a, b) => a - b));
        expect(await store.migrate()).toEqual({ applied: [] });
      });

      it('lets two processes migrate one database at the same time', async () => {
        const peer = await harness.openPeer();
        const [a, b] = await Promise.all([store.migrate(), peer.migrate()]);
        const applied = [...a.applied, ...b.applied];
        expect(applied.length).toBeGreaterThan(0);
        expect(new Set(applied).size).toBe(applied.length);
        expect([a.applied.length, b.applied.length]).toContain(0);
        await expect(peer.checkReady()).resolves.toBeUndefined();
      });

      it('is not ready before migrating and is ready after', async () => {
        await expect(store.checkReady()).rejects.toThrow();
        await store.migrate();
        await expect(store.checkReady()).resolves.toBeUndefined();
      });
    });

    describe('once migrated', () => {
      beforeEach(async () => {
        await store.migrate();
      });

      describe('projects', () => {
        it('counts, inserts and reads projects back', async () => {
          expect(await store.countProjects()).toBe(0);
          const p = makeProject({ name: 'Acme — 日本' });
          await store.insertProject(p);
          await store.insertProject(makeProject());
          expect(await store.countProjects()).toBe(2);
          expect(await store.getProject(p.id)).toEqual(p);
          expect(await store.getProject('proj_missing')).toBeNull();
        });
      });

      describe('api keys', () => {
        it('finds a key by the hash of its secret', async () => {
          const p = makeProject();
          await store.insertProject(p);
          const key = makeApiKey(p.id, { scopes: ['admin', 'events:read'] });
          await store.insertApiKey(key);
          expect(await store.findApiKeyBySecretHash(key.secretHash)).toEqual(key);
          expect(await store.findApiKeyBySecretHash('0'.repeat(64))).toBeNull();
        });

        it("lists a project's keys by creation time, and no other project's", async () => {
          const [p, q] = [makeProject(), makeProject()];
          await store.insertProject(p);
          await store.insertProject(q);
          const late = makeApiKey(p.id, { createdAt: 3000 });
          const early = makeApiKey(p.id, { createdAt: 1000, revokedAt: 2000 });
          await store.insertApiKey(late);
          await store.insertApiKey(early);
          await store.insertApiKey(makeApiKey(q.id));
          expect(await store.listApiKeys(p.id)).toEqual([early, late]);
          expect(await store.listApiKeys('proj_missing')).toEqual([]);
        });

        it('sets revoked_at once: a second revoke keeps the first time', async () => {
          const p = makeProject();
          await store.insertProject(p);
          const key = makeApiKey(p.id);
          await store.insertApiKey(key);
          expect(await store.revokeApiKey(p.id, key.id, 5000)).toEqual({ ...key, revokedAt: 5000 });
          expect(await store.revokeApiKey(p.id, key.id, 9000)).toEqual({ ...key, revokedAt: 5000 });
          expect((await store.findApiKeyBySecretHash(key.secretHash))?.revokedAt).toBe(5000);
        });

        it("answers null to revoking another project's key, and leaves it alone", async () => {
          const [p, q] = [makeProject(), makeProject()];
          await store.insertProject(p);
          await store.insertProject(q);
          const key = makeApiKey(p.id);
          await store.insertApiKey(key);
          expect(await store.revokeApiKey(q.id, key.id, 5000)).toBeNull();
          expect(await store.revokeApiKey(p.id, 'key_missing', 5000)).toBeNull();
          expect((await store.findApiKeyBySecretHash(key.secretHash))?.revokedAt).toBeNull();
        });
      });

      describe('orgs', () => {
        it('creates an org with its first signing key and its size-0 checkpoint', async () => {
          const p = makeProject();
          await store.insertProject(p);
          const { org, key, checkpoint } = makeOrg(p.id, {
            metadata: { tier: 'gold', ключ: 'значение' },
          });
          const created = await store.createOrg(org, key, checkpoint);
          expect(created.created).toBe(true);
          expect(plain(created.org)).toEqual(plain(org));
          expect(plain(await store.getOrgById(org.id))).toEqual(plain(org));
          expect(plain(await store.listOrgKeys(org.id))).toEqual([plain(key)]);
          expect(plain(await store.latestCheckpoint(org.id))).toEqual(plain(checkpoint));
        });

        it('reads org metadata back with its keys in the order written', async () => {
          const metadata = { zeta: '1', a: '2', 'mid-length': '3', é: '4' };
          const { project, org } = await seedOrg(store, { metadata });
          const found = await store.findOrg(project.id, org.id);
          expect(Object.keys(found!.metadata)).toEqual(Object.keys(metadata));
          expect(found!.metadata).toEqual(metadata);
        });

        it('returns the existing org with created: false for a repeated external id', async () => {
          const { project, org } = await seedOrg(store);
          const again = makeOrg(project.id, { externalId: org.externalId, name: 'Other' });
          const result = await store.createOrg(again.org, again.key, again.checkpoint);
          expect(result.created).toBe(false);
          expect(plain(result.org)).toEqual(plain(org));
          expect(await store.getOrgById(again.org.id)).toBeNull();
          expect(await store.listOrgKeys(again.org.id)).toEqual([]);
          expect(await store.latestCheckpoint(again.org.id)).toBeNull();
        });

        it('creates an org once when two processes create one external id at the same time', async () => {
          const peer = await harness.openPeer();
          const p = makeProject();
          await store.insertProject(p);
          const externalId = newId('ext');
          const [a, b] = [makeOrg(p.id, { externalId }), makeOrg(p.id, { externalId })];
          const results = await Promise.all([
            store.createOrg(a.org, a.key, a.checkpoint),
            peer.createOrg(b.org, b.key, b.checkpoint),
          ]);
          expect(results.map((r) => r.created).sort()).toEqual([false, true]);
          expect(results[0]!.org.id).toBe(results[1]!.org.id);
          expect(await store.listOrgs(p.id, { limit: 10 })).toHaveLength(1);
        });

        it('allows one external id in two projects', async () => {
          const { org } = await seedOrg(store);
          const q = makeProject();
          await store.insertProject(q);
          const other = makeOrg(q.id, { externalId: org.externalId });
          expect((await store.createOrg(other.org, other.key, other.checkpoint)).created).toBe(
            true,
          );
        });

        it('finds an org by id and by external id, never across projects', async () => {
          const { project, org } = await seedOrg(store);
          const q = makeProject();
          await store.insertProject(q);
          expect(plain(await store.findOrg(project.id, org.id))).toEqual(plain(org));
          expect(plain(await store.findOrg(project.id, org.externalId))).toEqual(plain(org));
          expect(await store.findOrg(q.id, org.id)).toBeNull();
          expect(await store.findOrg(q.id, org.externalId)).toBeNull();
          expect(await store.findOrg(project.id, 'org_missing')).toBeNull();
          expect(await store.getOrgById('org_missing')).toBeNull();
        });

        it('prefers the org whose id matches over one whose external id does', async () => {
          const { project, org } = await seedOrg(store);
          const lookalike = makeOrg(project.id, { externalId: org.id });
          await store.createOrg(lookalike.org, lookalike.key, lookalike.checkpoint);
          expect((await store.findOrg(project.id, org.id))?.id).toBe(org.id);
          expect((await store.findOrg(project.id, lookalike.org.id))?.id).toBe(lookalike.org.id);
        });

        it('pages through orgs in byte order of their ids', async () => {
          const p = makeProject();
          await store.insertProject(p);
          // Mixed case and punctuation: byte order differs from most locales' collation.
          const ids = ['org_b', 'org_B', 'org_a', 'org-c', 'org_A1', 'orgZ', 'org_0'];
          for (const id of ids) {
            const o = makeOrg(p.id, { id });
            await store.createOrg(o.org, o.key, o.checkpoint);
          }
          await seedOrg(store); // another project's org
          const seen: string[] = [];
          let afterId: string | undefined;
          for (;;) {
            const page = await store.listOrgs(p.id, { limit: 3, ...(afterId ? { afterId } : {}) });
            seen.push(...page.map((o) => o.id));
            if (page.length < 3) break;
            afterId = page[page.length - 1]!.id;
          }
          expect(seen).toEqual([...ids].sort());
        });
      });

      describe('append', () => {
        it('writes events, targets, tree hashes and a checkpoint, and moves the head', async () => {
          const { project, org } = await seedOrg(store);
          const targets = [
            { type: 'invoice', id: 'inv_1' },
            { type: 'user', id: 'user_"quoted"\\' },
          ];
          const { events, frontier } = await appendEvents(store, org, [
            { targets },
            {},
            { action: 'billing.invoice.paid' },
          ]);
          const tree = new MerkleTree();
          for (const e of events) tree.append(e.leafHash);

          const head = await store.getOrgById(org.id);
          expect(head?.treeSize).toBe(3);
          expect(hex(head!.headHash)).toBe(hex(events[2]!.hash));
          expect(hex(head!.rootHash)).toBe(hex(tree.root()));
          expect(hex(frontier.root())).toBe(hex(tree.root()));

          const stored = await store.getEventsByIds(
            project.id,
            events.map((e) => e.id),
          );
          expect(plain(stored)).toEqual(plain(events));
          expect(stored[0]!.targets).toEqual(targets);

          const indexes = Array.from({ length: storedHashCount(3) }, (_, i) => i);
          const hashes = await store.readTreeHashes(org.id, indexes);
          expect([...hashes.keys()]).toEqual(indexes);
          expect([...hashes.values()].map(hex)).toEqual(tree.read(indexes).map(hex));

          const checkpoint = await store.latestCheckpoint(org.id);
          expect(checkpoint?.treeSize).toBe(3);
          expect(hex(checkpoint!.rootHash)).toBe(hex(tree.root()));
        });

        it('hands the builder no frontier when knownTreeSize matches the head', async () => {
          const { org } = await seedOrg(store);
          const { frontier } = await appendEvents(store, org, specs(5));
          let seen: LockedLog | undefined;
          await store.append([{ orgId: org.id, knownTreeSize: 5 }], (logs) => {
            seen = logs.get(org.id);
            const built = buildLogWrite(org, seen, specs(1), frontier);
            return { logs: [built.write], idempotency: [], result: null };
          });
          expect(seen?.frontier).toBeNull();
          expect(seen?.head.treeSize).toBe(5);
          expect((await store.getOrgById(org.id))?.treeSize).toBe(6);
        });

        it('hands the builder the stored frontier hashes when knownTreeSize is stale', async () => {
          const { org } = await seedOrg(store);
          const first = await appendEvents(store, org, specs(5));
          const second = await appendEvents(store, org, specs(8), { cached: first.frontier });
          const tree = new MerkleTree();
          for (const e of [...first.events, ...second.events]) tree.append(e.leafHash);

          for (const knownTreeSize of [-1, 0, 5, 14]) {
            let seen: LockedLog | undefined;
            await expect(
              store.append([{ orgId: org.id, knownTreeSize }], (logs) => {
                seen = logs.get(org.id);
                throw new Error('only looking');
              }),
            ).rejects.toThrow('only looking');
            const indexes = MerkleFrontier.indexesFor(13);
            expect([...seen!.frontier!.keys()]).toEqual(indexes);
            expect([...seen!.frontier!.values()].map(hex)).toEqual(tree.read(indexes).map(hex));
            expect(hex(seen!.head.rootHash)).toBe(hex(tree.root()));
            expect(hex(seen!.head.headHash)).toBe(hex(second.events[7]!.hash));
          }
        });

        it('hands the builder an empty frontier for an empty log it did not know', async () => {
          const { org } = await seedOrg(store);
          let seen: LockedLog | undefined;
          await store
            .append([{ orgId: org.id, knownTreeSize: -1 }], (logs) => {
              seen = logs.get(org.id);
              throw new Error('only looking');
            })
            .catch(() => undefined);
          expect(seen?.frontier).toEqual(new Map());
          expect(seen?.head.treeSize).toBe(0);
        });

        it('appends to several orgs in one transaction', async () => {
          const { project, org: a } = await seedOrg(store);
          const b = makeOrg(project.id);
          await store.createOrg(b.org, b.key, b.checkpoint);
          const ids = await store.append(
            [
              { orgId: b.org.id, knownTreeSize: -1 },
              { orgId: a.id, knownTreeSize: -1 },
            ],
            (logs) => {
              expect([...logs.keys()].sort()).toEqual([a.id, b.org.id].sort());
              const wa = buildLogWrite(a, logs.get(a.id), specs(2));
              const wb = buildLogWrite(b.org, logs.get(b.org.id), specs(3));
              return {
                logs: [wa.write, wb.write],
                idempotency: [],
                result: [...wa.write.events, ...wb.write.events].map((e) => e.id),
              };
            },
          );
          expect((await store.getOrgById(a.id))?.treeSize).toBe(2);
          expect((await store.getOrgById(b.org.id))?.treeSize).toBe(3);
          expect(await store.getEventsByIds(project.id, ids)).toHaveLength(5);
        });

        it('writes nothing to any org when one part of a several-org append fails', async () => {
          const { project, org: a } = await seedOrg(store);
          const b = makeOrg(project.id);
          await store.createOrg(b.org, b.key, b.checkpoint);
          await appendEvents(store, b.org, specs(1), {
            idempotency: (ids) => [makeIdempotency(project.id, 'taken', ids)],
          });
          const error = await store
            .append(
              [
                { orgId: a.id, knownTreeSize: -1 },
                { orgId: b.org.id, knownTreeSize: -1 },
              ],
              (logs) => ({
                logs: [
                  buildLogWrite(a, logs.get(a.id), specs(2)).write,
                  buildLogWrite(b.org, logs.get(b.org.id), specs(2)).write,
                ],
                idempotency: [makeIdempotency(project.id, 'taken', [])],
                result: null,
              }),
            )
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StoreConflictError);
          expect((await store.getOrgById(a.id))?.treeSize).toBe(0);
          expect((await store.getOrgById(b.org.id))?.treeSize).toBe(1);
          expect((await store.latestCheckpoint(a.id))?.treeSize).toBe(0);
          expect((await store.readTreeHashes(a.id, [0])).size).toBe(0);
        });

        it('writes a batch of 1000 events in one append', async () => {
          const { project, org } = await seedOrg(store);
          const batch = Array.from({ length: 1000 }, (_, i) => ({
            targets:
              i % 3 === 0
                ? [
                    { type: 'doc', id: `doc_${i}` },
                    { type: 'user', id: `u_${i}` },
                  ]
                : [],
          }));
          const { events } = await appendEvents(store, org, batch, {
            idempotency: (ids) => ids.map((id, i) => makeIdempotency(project.id, `k${i}`, [id])),
          });
          const tree = new MerkleTree();
          for (const e of events) tree.append(e.leafHash);
          const head = await store.getOrgById(org.id);
          expect(head?.treeSize).toBe(1000);
          expect(hex(head!.rootHash)).toBe(hex(tree.root()));
          const stored = await store.getEventsByIds(
            project.id,
            events.map((e) => e.id),
          );
          expect(plain(stored)).toEqual(plain(events));
          expect(await store.findIdempotency(project.id, ['k0', 'k999'])).toHaveLength(2);
        });

        it('throws StoreConflictError and writes nothing when an idempotency key is taken', async () => {
          const { project, org } = await seedOrg(store);
          const first = await appendEvents(store, org, specs(1), {
            idempotency: (ids) => [makeIdempotency(project.id, 'key-1', ids)],
          });
          const before = await store.getOrgById(org.id);
          let attempted: string[] = [];
          const error = await appendEvents(store, org, specs(2), {
            cached: first.frontier,
            idempotency: (ids) => {
              attempted = ids;
              return [
                makeIdempotency(project.id, 'key-2', ids),
                makeIdempotency(project.id, 'key-1', ids),
              ];
            },
          }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StoreConflictError);
          expect((error as StoreConflictError).constraint).toBe('idempotency');

          expect(plain(await store.getOrgById(org.id))).toEqual(plain(before));
          expect(attempted).toHaveLength(2);
          expect(await store.getEventsByIds(project.id, attempted)).toEqual([]);
          expect((await store.readTreeHashes(org.id, [1, 2, 3])).size).toBe(0);
          expect((await store.latestCheckpoint(org.id))?.treeSize).toBe(1);
          expect(await store.findIdempotency(project.id, ['key-2'])).toEqual([]);
          const [kept] = await store.findIdempotency(project.id, ['key-1']);
          expect(kept?.eventIds).toEqual([first.events[0]!.id]);
        });

        it('lets exactly one of two concurrent appends claim an idempotency key', async () => {
          const peer = await harness.openPeer();
          const { project, org: a } = await seedOrg(store);
          const b = makeOrg(project.id);
          await store.createOrg(b.org, b.key, b.checkpoint);
          const claim = (s: Store, org: OrgRecord) =>
            appendEvents(s, org, specs(1), {
              idempotency: (ids) => [makeIdempotency(project.id, 'same-key', ids)],
            });
          const results = await Promise.allSettled([claim(store, a), claim(peer, b.org)]);
          expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
          const rejected = results.find((r) => r.status === 'rejected');
          expect(rejected?.reason).toBeInstanceOf(StoreConflictError);
          const sizes = [
            (await store.getOrgById(a.id))!.treeSize,
            (await store.getOrgById(b.org.id))!.treeSize,
          ];
          expect(sizes.sort()).toEqual([0, 1]);
        });

        it('writes nothing when the builder throws', async () => {
          const { project, org } = await seedOrg(store);
          const first = await appendEvents(store, org, specs(2));
          const before = await store.getOrgById(org.id);
          let built: string[] = [];
          await expect(
            store.append([{ orgId: org.id, knownTreeSize: -1 }], (logs) => {
              built = buildLogWrite(org, logs.get(org.id), specs(1)).write.events.map((e) => e.id);
              throw new Error('signing failed');
            }),
          ).rejects.toThrow('signing failed');
          expect(plain(await store.getOrgById(org.id))).toEqual(plain(before));
          expect(await store.getEventsByIds(project.id, built)).toEqual([]);
          // The org stays writable: the lock went with the transaction.
          await appendEvents(store, org, specs(1), { cached: first.frontier });
          expect((await store.getOrgById(org.id))?.treeSize).toBe(3);
        });

        it('writes nothing when the checkpoint is not of the new root', async () => {
          const { project, org } = await seedOrg(store);
          let built: string[] = [];
          await expect(
            store.append([{ orgId: org.id, knownTreeSize: -1 }], (logs) => {
              const { write } = buildLogWrite(org, logs.get(org.id), specs(2));
              built = write.events.map((e) => e.id);
              const checkpoint = { ...write.checkpoint, rootHash: new Uint8Array(32).fill(9) };
              return { logs: [{ ...write, checkpoint }], idempotency: [], result: null };
            }),
          ).rejects.toThrow('the checkpoint does not sign the new root');
          expect((await store.getOrgById(org.id))?.treeSize).toBe(0);
          expect(await store.getEventsByIds(project.id, built)).toEqual([]);
          expect(await store.latestCheckpoint(org.id)).toMatchObject({ treeSize: 0 });
        });

        it('rejects an append to an org that does not exist, writing nothing', async () => {
          const { org } = await seedOrg(store);
          let called = false;
          await expect(
            store.append(
              [
                { orgId: org.id, knownTreeSize: -1 },
                { orgId: 'org_missing', knownTreeSize: -1 },
              ],
              () => {
                called = true;
                throw new Error('unreachable');
              },
            ),
          ).rejects.toThrow(/org_missing/);
          expect(called).toBe(false);
          expect((await store.getOrgById(org.id))?.treeSize).toBe(0);
          expect(await store.latestCheckpoint(org.id)).toMatchObject({ treeSize: 0 });
        });

        it('keeps working after many failed appends in a row', async () => {
          const { org } = await seedOrg(store);
          for (let i = 0; i < 25; i++) {
            await expect(
              store.append([{ orgId: org.id, knownTreeSize: -1 }], () => {
                throw new Error(`failure ${i}`);
              }),
            ).rejects.toThrow(`failure ${i}`);
          }
          await appendEvents(store, org, specs(1));
          expect((await store.getOrgById(org.id))?.treeSize).toBe(1);
        });

        it('gives 50 concurrent appends from two processes one dense chain and one Merkle tree', async () => {
          const peer = await harness.openPeer();
          const { org } = await seedOrg(store);
          // Each writer keeps its own frontier cache, as a server process does;
          // most of the time another writer has moved the head since.
          const caches: Array<MerkleFrontier | undefined> = [undefined, undefined];
          const writes = Array.from({ length: 50 }, async (_, i) => {
            const which = i % 2;
            const s = which === 0 ? store : peer;
            const cached = caches[which];
            const result = await appendEvents(s, org, specs(1 + (i % 3)), cached ? { cached } : {});
            if (result.frontier.size > (caches[which]?.size ?? -1)) caches[which] = result.frontier;
            return result.events;
          });
          const events = (await Promise.all(writes)).flat();
          const total = events.length;
          expect(total).toBe(
            Array.from({ length: 50 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b),
          );

          await expectWholeStoredLog(
            store,
            org,
            events.map((e) => e.id),
          );
        });

        it('never deadlocks when concurrent appends lock the same orgs in opposite orders', async () => {
          const peer = await harness.openPeer();
          const { project, org: a } = await seedOrg(store);
          const b = makeOrg(project.id);
          await store.createOrg(b.org, b.key, b.checkpoint);
          const both = (s: Store, first: OrgRecord, second: OrgRecord) =>
            s.append(
              [
                { orgId: first.id, knownTreeSize: -1 },
                { orgId: second.id, knownTreeSize: -1 },
              ],
              (logs) => ({
                logs: [
                  buildLogWrite(first, logs.get(first.id), specs(1)).write,
                  buildLogWrite(second, logs.get(second.id), specs(1)).write,
                ],
                idempotency: [],
                result: null,
              }),
            );
          await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              i % 2 === 0 ? both(store, a, b.org) : both(peer, b.org, a),
            ),
          );
          expect((await store.getOrgById(a.id))?.treeSize).toBe(20);
          expect((await store.getOrgById(b.org.id))?.treeSize).toBe(20);
        });
      });

      describe('reading', () => {
        it('reads one event back as written, and not from another project', async () => {
          const { project, org } = await seedOrg(store);
          const { events } = await appendEvents(store, org, [
            {
              targets: [
                { type: 'a', id: '1' },
                { type: 'b', id: '2' },
                { type: 'a', id: '3' },
              ],
            },
          ]);
          const e = events[0]!;
          expect(plain(await store.getEvent(project.id, e.id))).toEqual(plain(e));
          expect(await store.getEvent(makeProject().id, e.id)).toBeNull();
          expect(await store.getEvent(project.id, 'evt_missing')).toBeNull();
        });

        it("returns events by id in the order asked, skipping missing ones and other projects'", async () => {
          const { project, org } = await seedOrg(store);
          const other = await seedOrg(store);
          const { events } = await appendEvents(store, org, specs(4));
          const { events: foreign } = await appendEvents(store, other.org, specs(1));
          const ids = [events[3]!.id, 'evt_missing', events[0]!.id, foreign[0]!.id, events[2]!.id];
          const got = await store.getEventsByIds(project.id, ids);
          expect(got.map((e) => e.id)).toEqual([events[3]!.id, events[0]!.id, events[2]!.id]);
          expect(await store.getEventsByIds(project.id, [])).toEqual([]);
        });

        it('reads stored tree hashes by index, leaving out those not stored', async () => {
          const { org } = await seedOrg(store);
          const { events } = await appendEvents(store, org, specs(3));
          const tree = new MerkleTree();
          for (const e of events) tree.append(e.leafHash);
          const hashes = await store.readTreeHashes(org.id, [3, 0, 99, 2]);
          expect([...hashes.keys()]).toEqual([3, 0, 2]);
          expect([...hashes.values()].map(hex)).toEqual(tree.read([3, 0, 2]).map(hex));
          expect((await store.readTreeHashes('org_missing', [0])).size).toBe(0);
          expect((await store.readTreeHashes(org.id, [])).size).toBe(0);
        });

        it('returns the checkpoint of the largest tree size', async () => {
          const { org } = await seedOrg(store);
          const first = await appendEvents(store, org, specs(2));
          await appendEvents(store, org, specs(9), { cached: first.frontier });
          const checkpoint = await store.latestCheckpoint(org.id);
          expect(checkpoint?.treeSize).toBe(11);
          expect(checkpoint?.note).toContain(`\n11\n`);
          expect(await store.latestCheckpoint('org_missing')).toBeNull();
        });

        it('finds idempotency records by key within a project, in the order asked', async () => {
          const { project, org } = await seedOrg(store);
          const other = await seedOrg(store);
          const records: ReturnType<typeof makeIdempotency>[] = [];
          const { events } = await appendEvents(store, org, specs(3), {
            idempotency: (ids) => {
              records.push(
                makeIdempotency(project.id, 'a', ids.slice(0, 2)),
                makeIdempotency(project.id, 'b', ids.slice(2)),
              );
              return records;
            },
          });
          await appendEvents(store, other.org, specs(1), {
            idempotency: (ids) => [makeIdempotency(other.project.id, 'c', ids)],
          });
          const found = await store.findIdempotency(project.id, ['b', 'missing', 'c', 'a']);
          expect(found).toEqual([records[1], records[0]]);
          expect(found[1]?.eventIds).toEqual([events[0]!.id, events[1]!.id]);
          expect(await store.findIdempotency(project.id, [])).toEqual([]);
        });
      });
    });
  });
}
