// Webhook streams end to end, in process: the real app and worker on SQLite
// and PostgreSQL, delivering to real receivers on 127.0.0.1 (API.md
// "Webhooks (streams)", PROOFS.md §8).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/index.js';
import { createTestClock, getJson, postJson } from './helpers/http-app.js';
import { createTestDatabase, postgresAvailable } from './helpers/postgres.js';
import {
  createWebhook,
  createWebhookApp,
  deliveredEvents,
  postEmpty,
  recordBatch,
  startReceiver,
  verifyWithStandardWebhooks,
  waitFor,
  type Receiver,
  type Reply,
  type WebhookTestApp,
} from './helpers/webhook-receiver.js';
import { TEST_MASTER_KEY } from './helpers/server-process.js';

type Backend = 'sqlite' | 'postgres';
const backends: Backend[] = postgresAvailable() ? ['sqlite', 'postgres'] : ['sqlite'];

/** Receiver-side check of "in order, at least once": no event before its predecessor was seen. */
function expectInOrderAtLeastOnce(indexes: readonly number[], first: number, count: number): void {
  let seen = first - 1;
  for (const i of indexes) {
    expect(i, `chain_index ${i} arrived before ${seen + 1}`).toBeLessThanOrEqual(seen + 1);
    seen = Math.max(seen, i);
  }
  expect(seen).toBe(first + count - 1);
}

describe.each(backends)(
  'webhook delivery (%s)',
  (backend) => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    /** A fresh database for this backend: a PostgreSQL URL, or a SQLite data dir. */
    async function database(): Promise<Partial<Config>> {
      if (backend === 'postgres') {
        const db = await createTestDatabase();
        cleanups.push(() => db.drop());
        return { databaseUrl: db.url, masterKey: TEST_MASTER_KEY };
      }
      const dataDir = await mkdtemp(join(tmpdir(), 'logproof-webhooks-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      return { dataDir };
    }

    async function open(
      overrides: Partial<Config> = {},
      options: Parameters<typeof createWebhookApp>[1] = {},
      db?: Partial<Config>,
    ): Promise<WebhookTestApp> {
      const where = db ?? (await database());
      const t = await createWebhookApp(
        { ...where, ...overrides },
        { ...options, dataDir: where.dataDir ?? (await tempDir()) },
      );
      cleanups.push(() => t.close());
      return t;
    }

    async function tempDir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'logproof-webhooks-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    }

    async function receiver(script?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
      const r = await startReceiver(script);
      cleanups.push(() => r.close());
      return r;
    }

    it('delivers every event in chain order, each verified by the standardwebhooks package', async () => {
      const t = await open();
      const r = await receiver();
      const { secret } = await createWebhook(t.app, t.apiKey, { url: r.url });
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      const events = await recordBatch(t.app, t.apiKey, 120);
      await waitFor(() => r.accepted().length >= 120, 10_000, '120 deliveries');
      const got = r.accepted();
      expect(got.map((g) => g.id)).toEqual(events.map((e) => e.id));
      for (const request of got) {
        const payload = verifyWithStandardWebhooks(secret, request) as {
          type: string;
          data: { id: string };
        };
        expect(payload.type).toBe('audit.event.created');
        expect(request.headers['webhook-id']).toBe(payload.data.id);
      }
      // `data` is the event exactly as the API returns it.
      const sample = JSON.parse(got[7]!.body) as { data: unknown; timestamp: string };
      const stored = await getJson(t.app, t.apiKey, `/v1/events/${events[7]!.id}`);
      expect(sample.data).toEqual(stored.json());
      expect(sample.timestamp).toBe((stored.json() as { created_at: string }).created_at);
    });

    it('delivers every org of the project in order per org, from org creation on, and filters by action', async () => {
      const t = await open();
      const all = await receiver();
      const users = await receiver();
      await recordBatch(t.app, t.apiKey, 5); // before the webhooks: not delivered
      await createWebhook(t.app, t.apiKey, { url: all.url });
      await createWebhook(t.app, t.apiKey, { url: users.url, actions: ['user.*'] });
      const org = await postJson(t.app, t.apiKey, '/v1/orgs', {
        external_id: 'acme',
        name: 'Acme',
      });
      expect(org.statusCode).toBe(201);
      const recorded = await recordBatch(t.app, t.apiKey, 60, (i) => ({
        org: i % 2 === 0 ? 'default' : 'acme',
        action: i % 3 === 0 ? 'billing.invoice.paid' : 'user.mfa.enabled',
      }));
      await waitFor(() => all.accepted().length >= 60, 10_000, 'all-org deliveries');
      const wanted = recorded.filter((e) => e.action.startsWith('user.'));
      await waitFor(() => users.accepted().length >= wanted.length, 10_000, 'filtered deliveries');
      const got = deliveredEvents(all.accepted());
      expect(new Set(got.map((e) => e.id))).toEqual(new Set(recorded.map((e) => e.id)));
      for (const orgId of new Set(recorded.map((e) => e.org))) {
        const indexes = got.filter((e) => e.org === orgId).map((e) => e.chain_index);
        expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      }
      expect(
        deliveredEvents(users.accepted())
          .map((e) => e.id)
          .sort(),
      ).toEqual(wanted.map((e) => e.id).sort());
    });
    it('retries through 500s, timeouts, resets and 429 Retry-After, in order, with a stable webhook-id', async () => {
      const t = await open();
      const attempts = new Map<string, number>();
      const events: string[] = [];
      // The k-th event's first answers, then 204.
      const plan: Record<number, Reply[]> = {
        3: [{ status: 500 }],
        7: [{ delayMs: 1_500 }], // past the 1 s timeout
        11: [{ reset: true }],
        15: [{ status: 429, headers: { 'retry-after': '1' } }],
        20: [{ status: 500 }, { status: 503 }],
      };
      const r = await receiver(({ id }) => {
        const n = attempts.get(id) ?? 0;
        attempts.set(id, n + 1);
        return plan[events.indexOf(id)]?.[n] ?? {};
      });
      const { id: webhookId } = await createWebhook(t.app, t.apiKey, { url: r.url });
      events.push(...(await recordBatch(t.app, t.apiKey, 25)).map((e) => e.id));
      await waitFor(
        () => new Set(r.accepted().map((a) => a.id)).size >= 25 && r.requests.length >= 31,
        15_000,
        'every event',
      );

      // Every request, failed or not, in arrival order: no event before its predecessor.
      const order = r.requests.map((q) => events.indexOf(q.id));
      expectInOrderAtLeastOnce(order, 0, 25);
      for (const q of r.requests)
        expect((JSON.parse(q.body) as { data: { id: string } }).data.id).toBe(q.id);
      expect(attempts.get(events[20]!)).toBe(3);
      // Retry-After: 1 was honoured.
      const of15 = r.requests.filter((q) => q.id === events[15]);
      expect(of15.length).toBe(2);
      expect(of15[1]!.at - of15[0]!.at).toBeGreaterThanOrEqual(950);

      // Saved every 250 ms: wait for the last save.
      const read = () => getJson(t.app, t.apiKey, `/v1/webhooks/${webhookId}/deliveries?limit=200`);
      await waitFor(
        async () => ((await read()).json() as { health: { lag: number } }).health.lag === 0,
        5_000,
        'lag 0',
      );
      const res = await read();
      expect(res.statusCode, res.body).toBe(200);
      const { health, data } = res.json() as {
        health: {
          state: string;
          consecutive_failures: number;
          lag: number;
          last_success_at: string | null;
        };
        data: Array<{
          event_id: string;
          attempt: number;
          status_code: number | null;
          error: string | null;
          next_retry_at: string | null;
        }>;
      };
      expect(health).toMatchObject({ state: 'healthy', consecutive_failures: 0, lag: 0 });
      expect(health.last_success_at).not.toBeNull();
      const failures = data.filter((a) => a.error !== null);
      expect(failures.map((a) => a.status_code).sort()).toEqual(
        [429, 500, 500, 503, null, null].sort(),
      );
      expect(failures.some((a) => /timed out/.test(a.error!))).toBe(true);
      for (const f of failures) expect(f.next_retry_at).not.toBeNull();
      const ofTwenty = data.filter((a) => a.event_id === events[20]).map((a) => a.attempt);
      expect(ofTwenty.sort()).toEqual([1, 2, 3]);
    });

    it('disables at once on a 410 and resumes from its cursor when re-enabled', async () => {
      const t = await open();
      let gone = true;
      const events: string[] = [];
      const r = await receiver(({ id }) =>
        gone && events.indexOf(id) === 4 ? { status: 410 } : {},
      );
      const { id } = await createWebhook(t.app, t.apiKey, { url: r.url });
      events.push(...(await recordBatch(t.app, t.apiKey, 10)).map((e) => e.id));
      await waitFor(
        async () => {
          const w = await getJson(t.app, t.apiKey, `/v1/webhooks/${id}`);
          return (w.json() as { state: string }).state === 'disabled';
        },
        10_000,
        'disabled',
      );
      const w = (await getJson(t.app, t.apiKey, `/v1/webhooks/${id}`)).json() as Record<
        string,
        unknown
      >;
      expect(w).toMatchObject({ enabled: false, state: 'disabled', disabled_reason: 'gone' });
      await new Promise((done) => setTimeout(done, 300));
      expect(r.requests.map((q) => events.indexOf(q.id))).toEqual([0, 1, 2, 3, 4]);
      const health = (await getJson(t.app, t.apiKey, `/v1/webhooks/${id}/deliveries`)).json() as {
        health: { state: string; lag: number };
      };
      expect(health.health).toMatchObject({ state: 'disabled', lag: 6 });

      gone = false;
      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/v1/webhooks/${id}`,
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
        payload: { enabled: true },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({
        enabled: true,
        state: 'healthy',
        disabled_reason: null,
      });
      await waitFor(() => r.accepted().length >= 10, 10_000, 'the rest');
      expect(r.requests.map((q) => events.indexOf(q.id))).toEqual([
        0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 9,
      ]);
    });

    it('disables a destination that has failed for 3 days, and says so in its health', async () => {
      const clock = createTestClock();
      const t = await open({ webhookRetryBaseMs: 5_000 }, { clock });
      const r = await receiver(() => ({ status: 500 }));
      const { id } = await createWebhook(t.app, t.apiKey, { url: r.url });
      await recordBatch(t.app, t.apiKey, 1);
      await waitFor(() => r.requests.length >= 1, 10_000, 'the first attempt');
      const deliveries = async () =>
        (await getJson(t.app, t.apiKey, `/v1/webhooks/${id}/deliveries`)).json() as {
          health: { state: string; consecutive_failures: number; failing_since: string | null };
          data: Array<{ attempt: number; next_retry_at: string | null }>;
        };
      await waitFor(async () => (await deliveries()).data.length >= 1, 5_000, 'the attempt saved');
      const first = await deliveries();
      expect(first.health).toMatchObject({ state: 'failing', consecutive_failures: 1 });
      // The standard schedule's first step: 5 s, ±20 % jitter.
      const wait = Date.parse(first.data[0]!.next_retry_at!) - clock();
      expect(wait).toBeGreaterThanOrEqual(4_000);
      expect(wait).toBeLessThanOrEqual(6_000);

      clock.set(clock() + 3 * 86_400_000 + 60_000);
      t.logproof.webhooks.worker.notify();
      await waitFor(
        async () => (await deliveries()).health.state === 'disabled',
        10_000,
        'disabled',
      );
      const after = await deliveries();
      expect(after.health.consecutive_failures).toBe(2);
      expect(after.data[0]).toMatchObject({ attempt: 2, next_retry_at: null });
      const w = (await getJson(t.app, t.apiKey, `/v1/webhooks/${id}`)).json() as Record<
        string,
        unknown
      >;
      expect(w).toMatchObject({ enabled: false, disabled_reason: 'failing' });
      expect(r.requests.length).toBe(2);
    });

    it('signs with both secrets during a rotation, then with the new one only', async () => {
      const t = await open({ webhookSecretGraceMs: 1_000 });
      const r = await receiver();
      const { id, secret: oldSecret } = await createWebhook(t.app, t.apiKey, { url: r.url });
      await recordBatch(t.app, t.apiKey, 2);
      await waitFor(() => r.accepted().length >= 2, 10_000, 'before rotation');
      const rotated = await postEmpty(t.app, t.apiKey, `/v1/webhooks/${id}/rotate-secret`);
      expect(rotated.statusCode, rotated.body).toBe(200);
      const { secret: newSecret, previous_secret_expires_at } = rotated.json() as {
        secret: string;
        previous_secret_expires_at: string;
      };
      expect(newSecret).not.toBe(oldSecret);
      expect(Date.parse(previous_secret_expires_at)).toBeGreaterThan(Date.now());
      await recordBatch(t.app, t.apiKey, 2);
      await waitFor(() => r.accepted().length >= 4, 10_000, 'during the grace period');
      for (const q of r.accepted().slice(2, 4)) {
        expect(String(q.headers['webhook-signature']).split(' ')).toHaveLength(2);
        verifyWithStandardWebhooks(oldSecret, q);
        verifyWithStandardWebhooks(newSecret, q);
      }
      await new Promise((done) => setTimeout(done, 1_100));
      await recordBatch(t.app, t.apiKey, 1);
      await waitFor(() => r.accepted().length >= 5, 10_000, 'after the grace period');
      const last = r.accepted()[4]!;
      verifyWithStandardWebhooks(newSecret, last);
      expect(() => verifyWithStandardWebhooks(oldSecret, last)).toThrow(/signature/i);
    });

    it('saves every cursor on a graceful close: a restart re-sends at most the attempt cut short', async () => {
      const db = await database();
      // Saves only on close (and failures): what a restart re-sends is what close did not save.
      const slow = { webhooks: { worker: { flushEvery: 100_000, flushIntervalMs: 600_000 } } };
      const r = await receiver(() => ({ delayMs: 3 }));
      const first = await open({}, slow, db);
      await createWebhook(first.app, first.apiKey, { url: r.url });
      const events = (await recordBatch(first.app, first.apiKey, 200)).map((e) => e.id);
      await waitFor(() => r.accepted().length >= 40, 10_000, 'some deliveries');
      await first.close();
      const before = r.requests.length;
      expect(before).toBeLessThan(200);
      const second = await open({}, { ...slow, init: false }, db);
      await waitFor(
        () => new Set(r.accepted().map((q) => q.id)).size >= 200,
        15_000,
        'the rest after a restart',
      );
      const ids = r.requests.map((q) => q.id);
      expect(ids.length - new Set(ids).size).toBeLessThanOrEqual(1);
      expectInOrderAtLeastOnce(
        ids.map((i) => events.indexOf(i)),
        0,
        200,
      );
      await second.close();
    });

    it('reports the lag while no worker runs, and delivers it once one starts', async () => {
      const t = await open({ webhookWorker: false });
      const r = await receiver();
      const { id } = await createWebhook(t.app, t.apiKey, { url: r.url });
      await recordBatch(t.app, t.apiKey, 7);
      const lag = async () =>
        (
          (await getJson(t.app, t.apiKey, `/v1/webhooks/${id}/deliveries`)).json() as {
            health: { lag: number; state: string };
          }
        ).health;
      expect(await lag()).toMatchObject({ lag: 7, state: 'healthy' });
      t.logproof.webhooks.worker.start();
      await waitFor(() => r.accepted().length >= 7, 10_000, 'the backlog');
      await waitFor(async () => (await lag()).lag === 0, 5_000, 'lag 0');
    });
  },
  60_000,
);
