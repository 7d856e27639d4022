// The contract suite of the webhook port (src/store/webhook-port.ts), run
// against real SQLite and real PostgreSQL (STYLE.md habit 3).
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrgRecord, ProjectRecord } from '../src/store/records.js';
import type { Store } from '../src/store/store.js';
import {
  KEPT_ATTEMPTS_PER_WEBHOOK,
  type DeliveryAttemptRecord,
  type DeliveryProgress,
  type WebhookRecord,
} from '../src/store/webhook-port.js';
import { appendEvents, makeOrg, newId, plain, seedOrg, specs } from './helpers/records.js';
import type { StoreHarness } from './store-contract.js';

const T0 = 1_760_000_000_000;
const LEASE = 30_000;

function makeWebhook(projectId: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    id: newId('wh'),
    projectId,
    url: 'https://hooks.example.com/in',
    description: 'audit sink',
    orgId: null,
    actions: null,
    enabled: true,
    disabledReason: null,
    sealedSecret: new Uint8Array(randomBytes(61)),
    sealedPreviousSecret: null,
    previousSecretExpiresAt: null,
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    consecutiveFailures: 0,
    failingSince: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    ...overrides,
  };
}

function attempt(
  webhookId: string,
  n: number,
  overrides: Partial<DeliveryAttemptRecord> = {},
): DeliveryAttemptRecord {
  return {
    webhookId,
    orgId: 'org_x',
    eventId: `evt_${n}`,
    chainIndex: n,
    messageId: `evt_${n}`,
    attempt: 1,
    statusCode: 204,
    error: null,
    durationMs: 3,
    attemptedAt: T0 + n,
    nextRetryAt: null,
    ...overrides,
  };
}

function progress(
  w: WebhookRecord,
  owner: string,
  overrides: Partial<DeliveryProgress> = {},
): DeliveryProgress {
  return {
    webhookId: w.id,
    owner,
    now: T0,
    leaseMs: LEASE,
    version: w.version,
    cursors: [],
    attempts: [],
    ...overrides,
  };
}

export function describeWebhookStoreContract(
  name: string,
  open: () => Promise<StoreHarness>,
): void {
  describe(`${name} (WebhookStore contract)`, () => {
    let harness: StoreHarness;
    let store: Store;
    let project: ProjectRecord;
    let org: OrgRecord;

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
      await store.migrate();
      ({ project, org } = await seedOrg(store));
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    async function addOrg(): Promise<OrgRecord> {
      const other = makeOrg(project.id);
      await store.createOrg(other.org, other.key, other.checkpoint);
      return other.org;
    }

    describe('insertWebhook / getWebhook / listWebhooks', () => {
      it('reads back exactly what was stored, sealed secret bytes included', async () => {
        const w = makeWebhook(project.id, {
          actions: ['user.*', 'billing.invoice.paid'],
          orgId: org.id,
        });
        await store.insertWebhook(w);
        expect(plain(await store.getWebhook(project.id, w.id))).toEqual(plain(w));
      });

      it('never returns another project’s webhook', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        const other = await seedOrg(store);
        expect(await store.getWebhook(other.project.id, w.id)).toBeNull();
        expect(await store.listWebhooks(other.project.id, { limit: 10 })).toEqual([]);
      });

      it('lists by id, a page at a time', async () => {
        const ids = [];
        for (let i = 0; i < 5; i++) {
          const w = makeWebhook(project.id);
          ids.push(w.id);
          await store.insertWebhook(w);
        }
        ids.sort();
        const first = await store.listWebhooks(project.id, { limit: 3 });
        expect(first.map((w) => w.id)).toEqual(ids.slice(0, 3));
        const rest = await store.listWebhooks(project.id, { limit: 3, afterId: first.at(-1)!.id });
        expect(rest.map((w) => w.id)).toEqual(ids.slice(3));
      });

      it('starts a cursor at every covered org’s current size: only later events are delivered', async () => {
        await appendEvents(store, org, specs(4));
        const second = await addOrg();
        await appendEvents(store, second, specs(2));
        const one = makeWebhook(project.id, { orgId: second.id });
        const all = makeWebhook(project.id);
        await store.insertWebhook(one);
        await store.insertWebhook(all);
        expect(await store.pendingCursors(one.id)).toEqual([]);
        expect(await store.pendingCursors(all.id)).toEqual([]);
        await appendEvents(store, second, specs(1));
        const pending = await store.pendingCursors(one.id);
        expect(pending).toEqual([
          {
            webhookId: one.id,
            orgId: second.id,
            nextIndex: 2,
            attempt: 0,
            nextAttemptAt: 0,
            treeSize: 3,
          },
        ]);
        expect(await store.webhookLag(one.id)).toBe(1);
        expect(await store.webhookLag(all.id)).toBe(1);
      });
    });

    describe('pendingCursors', () => {
      it('gives an every-org webhook a cursor at 0 for an org created after it', async () => {
        const all = makeWebhook(project.id);
        await store.insertWebhook(all);
        const later = await addOrg();
        await appendEvents(store, later, specs(3));
        expect(await store.webhookLag(all.id)).toBe(3);
        const pending = await store.pendingCursors(all.id);
        expect(pending.map((c) => [c.orgId, c.nextIndex, c.treeSize])).toEqual([[later.id, 0, 3]]);
        // A one-org webhook never covers another org.
        const one = makeWebhook(project.id, { orgId: org.id });
        await store.insertWebhook(one);
        expect(await store.pendingCursors(one.id)).toEqual([]);
      });
    });

    describe('updateWebhook / rotateWebhookSecret / deleteWebhook', () => {
      it('patches, bumps the version, and marks a manual disable', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        const updated = await store.updateWebhook(
          project.id,
          w.id,
          { description: 'x', actions: ['user.*'], enabled: false },
          T0 + 5,
        );
        expect(updated).toMatchObject({
          description: 'x',
          actions: ['user.*'],
          enabled: false,
          disabledReason: 'manual',
          version: 2,
          updatedAt: T0 + 5,
          url: w.url,
        });
        const cleared = await store.updateWebhook(project.id, w.id, { actions: null }, T0 + 6);
        expect(cleared).toMatchObject({ actions: null, enabled: false, version: 3 });
        expect(
          await store.updateWebhook((await seedOrg(store)).project.id, w.id, { enabled: true }, T0),
        ).toBeNull();
      });

      it('re-enabling clears the failure run and makes every cursor due at once, where it stands', async () => {
        await appendEvents(store, org, specs(2));
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        await appendEvents(store, org, specs(3));
        const [leased] = await store.claimWebhooks('a', T0, LEASE, 5);
        expect(leased?.id).toBe(w.id);
        const saved = await store.saveDeliveryProgress(
          progress(w, 'a', {
            cursors: [{ orgId: org.id, nextIndex: 3, attempt: 4, nextAttemptAt: T0 + 999_999 }],
            health: {
              consecutiveFailures: 4,
              failingSince: T0,
              lastSuccessAt: null,
              lastFailureAt: T0 + 9,
            },
            disable: 'gone',
          }),
        );
        expect(saved).toEqual({ held: true, version: 1, enabled: false });
        expect(await store.getWebhook(project.id, w.id)).toMatchObject({
          enabled: false,
          disabledReason: 'gone',
          consecutiveFailures: 4,
        });
        const enabled = await store.updateWebhook(project.id, w.id, { enabled: true }, T0 + 10);
        expect(enabled).toMatchObject({
          enabled: true,
          disabledReason: null,
          consecutiveFailures: 0,
          failingSince: null,
          version: 2,
        });
        expect(await store.pendingCursors(w.id)).toEqual([
          {
            webhookId: w.id,
            orgId: org.id,
            nextIndex: 3,
            attempt: 0,
            nextAttemptAt: 0,
            treeSize: 5,
          },
        ]);
      });

      it('rotates: the current sealed secret becomes the previous one, until the given time', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        const next = new Uint8Array(randomBytes(61));
        const rotated = await store.rotateWebhookSecret(
          project.id,
          w.id,
          next,
          T0 + 86_400_000,
          T0 + 1,
        );
        expect(plain(rotated)).toMatchObject(
          plain({
            sealedSecret: next,
            sealedPreviousSecret: w.sealedSecret,
            previousSecretExpiresAt: T0 + 86_400_000,
            version: 2,
          }) as object,
        );
        expect(
          await store.rotateWebhookSecret((await seedOrg(store)).project.id, w.id, next, 0, 0),
        ).toBeNull();
      });

      it('deletes the webhook with its cursors and attempts, in its project only', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        await store.insertDeliveryAttempts([attempt(w.id, 1)]);
        expect(await store.deleteWebhook((await seedOrg(store)).project.id, w.id)).toBe(false);
        expect(await store.deleteWebhook(project.id, w.id)).toBe(true);
        expect(await store.getWebhook(project.id, w.id)).toBeNull();
        expect(await store.listDeliveryAttempts(w.id, 10)).toEqual([]);
        expect(await store.deleteWebhook(project.id, w.id)).toBe(false);
      });
    });

    describe('claimWebhooks', () => {
      it('leases only enabled webhooks with due work, once until the lease expires', async () => {
        const idle = makeWebhook(project.id, { orgId: org.id });
        const busy = makeWebhook(project.id, { orgId: org.id });
        const off = makeWebhook(project.id, {
          orgId: org.id,
          enabled: false,
          disabledReason: 'manual',
        });
        for (const w of [idle, busy, off]) await store.insertWebhook(w);
        expect(await store.claimWebhooks('a', T0, LEASE, 10)).toEqual([]);
        await appendEvents(store, org, specs(1));
        // `idle` now has work too; let `busy` stand for both.
        const first = (await store.claimWebhooks('a', T0, LEASE, 10)).map((w) => w.id).sort();
        expect(first).toEqual([idle.id, busy.id].sort());
        expect(await store.claimWebhooks('b', T0 + LEASE - 1, LEASE, 10)).toEqual([]);
        // Expired: another owner takes it over.
        const taken = await store.claimWebhooks('b', T0 + LEASE + 1, LEASE, 1);
        expect(taken).toHaveLength(1);
        // The old owner's save is refused and writes nothing.
        const lost = await store.saveDeliveryProgress(
          progress(taken[0]!, 'a', {
            now: T0 + LEASE + 2,
            cursors: [{ orgId: org.id, nextIndex: 1, attempt: 0, nextAttemptAt: 0 }],
          }),
        );
        expect(lost.held).toBe(false);
        expect((await store.pendingCursors(taken[0]!.id))[0]?.nextIndex).toBe(0);
      });

      it('waits for a back-off to pass', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        await appendEvents(store, org, specs(1));
        await store.claimWebhooks('a', T0, LEASE, 1);
        await store.saveDeliveryProgress(
          progress(w, 'a', {
            cursors: [{ orgId: org.id, nextIndex: 0, attempt: 1, nextAttemptAt: T0 + 5_000 }],
          }),
        );
        await store.releaseWebhookLease(w.id, 'a');
        expect(await store.claimWebhooks('b', T0 + 4_999, LEASE, 1)).toEqual([]);
        expect(await store.claimWebhooks('b', T0 + 5_000, LEASE, 1)).toHaveLength(1);
      });

      it('claims an every-org webhook when an org it has no cursor for has events', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        const later = await addOrg();
        expect(await store.claimWebhooks('a', T0, LEASE, 1)).toEqual([]);
        await appendEvents(store, later, specs(1));
        expect(await store.claimWebhooks('a', T0, LEASE, 1)).toHaveLength(1);
      });

      it('never leases one webhook to two workers racing on the same database', async () => {
        const peer = await harness.openPeer();
        const hooks = [];
        for (let i = 0; i < 6; i++) hooks.push(makeWebhook(project.id, { orgId: org.id }));
        for (const w of hooks) await store.insertWebhook(w);
        await appendEvents(store, org, specs(1));
        const claims = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 === 0 ? store : peer).claimWebhooks(`w${i}`, T0, LEASE, 2),
          ),
        );
        const ids = claims.flat().map((w) => w.id);
        expect(ids.length).toBe(new Set(ids).size);
        expect(ids.length).toBe(6);
      });

      it('releases only its own lease', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        await appendEvents(store, org, specs(1));
        await store.claimWebhooks('a', T0, LEASE, 1);
        await store.releaseWebhookLease(w.id, 'b');
        expect(await store.claimWebhooks('b', T0, LEASE, 1)).toEqual([]);
        await store.releaseWebhookLease(w.id, 'a');
        expect(await store.claimWebhooks('b', T0, LEASE, 1)).toHaveLength(1);
      });
    });

    describe('saveDeliveryProgress', () => {
      it('moves cursors forward only, with their attempt counts, and extends the lease', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        await appendEvents(store, org, specs(10));
        await store.claimWebhooks('a', T0, LEASE, 1);
        const out = await store.saveDeliveryProgress(
          progress(w, 'a', {
            now: T0 + 20_000,
            cursors: [{ orgId: org.id, nextIndex: 6, attempt: 2, nextAttemptAt: 77 }],
          }),
        );
        expect(out).toEqual({ held: true, version: 1, enabled: true });
        await store.saveDeliveryProgress(
          progress(w, 'a', {
            now: T0 + 20_000,
            cursors: [{ orgId: org.id, nextIndex: 4, attempt: 0, nextAttemptAt: 0 }],
          }),
        );
        expect(await store.pendingCursors(w.id)).toEqual([
          {
            webhookId: w.id,
            orgId: org.id,
            nextIndex: 6,
            attempt: 0,
            nextAttemptAt: 0,
            treeSize: 10,
          },
        ]);
        // Extended from T0 + 20 s: still held at T0 + 45 s.
        expect(await store.claimWebhooks('b', T0 + 45_000, LEASE, 1)).toEqual([]);
      });

      it('after an API change, still moves cursors but leaves health and back-off to the change', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        await appendEvents(store, org, specs(10));
        await store.claimWebhooks('a', T0, LEASE, 1);
        await store.updateWebhook(project.id, w.id, { url: 'https://other.example.com/' }, T0 + 1);
        const out = await store.saveDeliveryProgress(
          progress(w, 'a', {
            cursors: [{ orgId: org.id, nextIndex: 3, attempt: 1, nextAttemptAt: T0 + 5_000 }],
            health: {
              consecutiveFailures: 1,
              failingSince: T0,
              lastSuccessAt: T0,
              lastFailureAt: T0,
            },
            disable: 'gone',
            attempts: [attempt(w.id, 2)],
          }),
        );
        expect(out).toEqual({ held: true, version: 2, enabled: true });
        const now = await store.getWebhook(project.id, w.id);
        expect(now).toMatchObject({
          enabled: true,
          consecutiveFailures: 0,
          lastSuccessAt: null,
          url: 'https://other.example.com/',
        });
        expect((await store.pendingCursors(w.id))[0]).toMatchObject({
          nextIndex: 3,
          attempt: 1,
          nextAttemptAt: T0 + 5_000,
        });
        // Same position, stale version: the back-off the API reset stays reset.
        await store.updateWebhook(project.id, w.id, { url: 'https://third.example.com/' }, T0 + 2);
        await store.saveDeliveryProgress(
          progress(w, 'a', {
            cursors: [{ orgId: org.id, nextIndex: 3, attempt: 2, nextAttemptAt: T0 + 9_000 }],
          }),
        );
        expect((await store.pendingCursors(w.id))[0]).toMatchObject({
          nextIndex: 3,
          attempt: 0,
          nextAttemptAt: 0,
        });
        expect(await store.listDeliveryAttempts(w.id, 10)).toHaveLength(1);
      });

      it('writes health and attempts, newest first, keeping the most recent ones', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        await appendEvents(store, org, specs(1));
        await store.claimWebhooks('a', T0, LEASE, 1);
        const many = Array.from({ length: KEPT_ATTEMPTS_PER_WEBHOOK + 30 }, (_, i) =>
          attempt(w.id, i),
        );
        await store.saveDeliveryProgress(
          progress(w, 'a', {
            attempts: many,
            health: {
              consecutiveFailures: 0,
              failingSince: null,
              lastSuccessAt: T0 + 7,
              lastFailureAt: T0 + 3,
            },
          }),
        );
        await store.saveDeliveryProgress(
          progress(w, 'a', {
            attempts: [
              attempt(w.id, 999, {
                statusCode: null,
                error: 'ECONNRESET',
                nextRetryAt: T0 + 5,
                orgId: org.id,
                durationMs: 12.6,
              }),
            ],
          }),
        );
        const kept = await store.listDeliveryAttempts(w.id, 1_000);
        expect(kept.length).toBeGreaterThanOrEqual(KEPT_ATTEMPTS_PER_WEBHOOK);
        expect(kept.length).toBeLessThan(many.length + 1);
        expect(kept[0]).toEqual(
          attempt(w.id, 999, {
            statusCode: null,
            error: 'ECONNRESET',
            nextRetryAt: T0 + 5,
            orgId: org.id,
            durationMs: 13,
          }),
        );
        expect(kept[1]!.chainIndex).toBe(many.length - 1);
        expect(await store.getWebhook(project.id, w.id)).toMatchObject({
          lastSuccessAt: T0 + 7,
          lastFailureAt: T0 + 3,
        });
      });

      it('records test sends without a lease', async () => {
        const w = makeWebhook(project.id);
        await store.insertWebhook(w);
        const test = attempt(w.id, 0, {
          orgId: null,
          eventId: null,
          chainIndex: null,
          messageId: 'msg_test_1',
        });
        await store.insertDeliveryAttempts([test]);
        expect(await store.listDeliveryAttempts(w.id, 5)).toEqual([test]);
      });
    });
  });
}
