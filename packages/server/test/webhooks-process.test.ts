// Webhook streams across real processes: `logproof serve` killed with
// SIGKILL mid-stream, `logproof worker` on its own, and two servers sharing
// one PostgreSQL database. Every spawned process is killed after each test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, describeWithPostgres } from './helpers/postgres.js';
import {
  CLI,
  headers,
  killAllServers,
  startServer,
  stopServer,
  TEST_MASTER_KEY,
  type ServerProcess,
} from './helpers/server-process.js';
import {
  startReceiver,
  verifyWithStandardWebhooks,
  waitFor,
  type Receiver,
} from './helpers/webhook-receiver.js';

const WEBHOOK_ENV = {
  LOGPROOF_WEBHOOK_ALLOW_PRIVATE: '1',
  LOGPROOF_WEBHOOK_ALLOW_HTTP: '1',
  LOGPROOF_WEBHOOK_RETRY_BASE_MS: '20',
  LOGPROOF_WEBHOOK_TIMEOUT_MS: '1000',
  // A killed server's lease blocks its webhooks this long: short here.
  LOGPROOF_WEBHOOK_LEASE_MS: '4000',
  LOGPROOF_RATE_LIMIT_PER_MINUTE: '0',
  LOGPROOF_SELF_AUDIT_INTERVAL_MS: '0',
};

interface Delivered {
  id: string;
  org: string;
  chain_index: number;
  metadata: { seq: number };
}

const cleanups: Array<() => Promise<void>> = [];
const workers = new Set<ChildProcess>();
afterEach(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  workers.clear();
  await killAllServers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'logproof-webhooks-proc-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function receiver(script?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(script);
  cleanups.push(() => r.close());
  return r;
}

async function post(base: string, apiKey: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: headers(apiKey),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Records `count` events in batches of 50, `org` chosen per event, with `metadata.seq` from `firstSeq`. */
async function ingest(
  base: string | ((batch: number) => string),
  apiKey: string,
  count: number,
  firstSeq = 0,
  org = (_seq: number) => 'default',
) {
  for (let start = 0, batch = 0; start < count; start += 50, batch++) {
    const events = Array.from({ length: Math.min(50, count - start) }, (_, i) => ({
      org: org(firstSeq + start + i),
      action: 'user.login',
      actor: { id: 'u' },
      metadata: { seq: firstSeq + start + i },
    }));
    await post(typeof base === 'string' ? base : base(batch), apiKey, '/v1/events/batch', {
      events,
    });
  }
}

const data = (body: string) => (JSON.parse(body) as { data: Delivered }).data;

/** In arrival order, per org: no event arrives before its predecessor has arrived at least once. */
function expectInOrderPerOrg(
  requests: ReadonlyArray<{ body: string }>,
  expected: Map<string, number>,
): void {
  const seen = new Map<string, number>();
  for (const q of requests) {
    const e = data(q.body);
    const last = seen.get(e.org) ?? -1;
    expect(e.chain_index, `${e.org}: ${e.chain_index} after ${last}`).toBeLessThanOrEqual(last + 1);
    seen.set(e.org, Math.max(last, e.chain_index));
  }
  for (const [org, size] of expected) expect(seen.get(org), org).toBe(size - 1);
}

describe('webhook delivery across processes (SQLite)', { timeout: 60_000 }, () => {
  it('survives kill -9 mid-stream: every event arrives, in order, with a stable webhook-id', async () => {
    const dataDir = await tempDir();
    // A receiver that also fails now and then: 500s and resets.
    const r = await receiver(({ n }) =>
      n % 37 === 5 ? { status: 500 } : n % 53 === 9 ? { reset: true } : { delayMs: 2 },
    );
    const first = await startServer({ dataDir, env: WEBHOOK_ENV });
    const apiKey = first.apiKey!;
    const { secret } = (await post(first.url, apiKey, '/v1/webhooks', { url: r.url })) as {
      secret: string;
    };
    await ingest(first.url, apiKey, 400);
    await waitFor(() => r.accepted().length >= 80, 20_000, 'deliveries before the kill');
    first.child.kill('SIGKILL');
    expect((await stopServer(first, null)).signal).toBe('SIGKILL');
    const atKill = r.requests.length;
    expect(new Set(r.accepted().map((q) => q.id)).size).toBeLessThan(400);

    const second = await startServer({ dataDir, env: WEBHOOK_ENV });
    await ingest(second.url, apiKey, 100, 400);
    await waitFor(
      () => new Set(r.accepted().map((q) => q.id)).size >= 500,
      30_000,
      'all 500 after the restart',
    );

    expectInOrderPerOrg(r.requests, new Map([[data(r.requests[0]!.body).org, 500]]));
    const seqs = new Set(r.accepted().map((q) => data(q.body).metadata.seq));
    expect(seqs.size).toBe(500);
    for (const q of r.requests) {
      expect(q.id).toBe(data(q.body).id);
      verifyWithStandardWebhooks(secret, q);
    }
    const ids = r.accepted().map((q) => q.id);
    console.log(
      `[webhooks] kill -9 after ${atKill} requests: ${r.requests.length} requests for 500 events, ` +
        `${ids.length - new Set(ids).size} re-delivered after the crash or a lost answer`,
    );
  });

  it('`logproof worker` delivers on its own beside a serve without a worker, and stops on SIGTERM', async () => {
    const dataDir = await tempDir();
    const r = await receiver();
    const server = await startServer({
      dataDir,
      env: { ...WEBHOOK_ENV, LOGPROOF_WEBHOOK_WORKER: '0' },
    });
    await post(server.url, server.apiKey!, '/v1/webhooks', { url: r.url });
    await ingest(server.url, server.apiKey!, 30);
    await new Promise((done) => setTimeout(done, 300));
    expect(r.requests).toHaveLength(0);

    const worker = spawn(process.execPath, [CLI, 'worker', '--data', dataDir], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOGPROOF_LOG_LEVEL: 'warn',
        ...WEBHOOK_ENV,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workers.add(worker);
    let out = '';
    worker.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    worker.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) =>
      worker.on('exit', (code) => resolve(code)),
    );
    await waitFor(
      () => /webhook worker running \(sqlite\)/.test(out),
      15_000,
      'the worker to start',
    );
    await waitFor(() => r.accepted().length >= 30, 15_000, 'deliveries by the worker');
    expectInOrderPerOrg(r.requests, new Map([[data(r.requests[0]!.body).org, 30]]));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describeWithPostgres('webhook delivery across processes (PostgreSQL)', () => {
  it(
    'two servers on one database deliver each event once per attempt, never two at once',
    { timeout: 60_000 },
    async () => {
      const db = await createTestDatabase();
      cleanups.push(() => db.drop());
      const env = { ...WEBHOOK_ENV, LOGPROOF_MASTER_KEY: TEST_MASTER_KEY };
      const failOnce = new Set<string>();
      // Slow enough that overlapping deliveries would show; every 25th event fails once.
      const r = await receiver(({ id, body }) => {
        const seq = (JSON.parse(body) as { data: Delivered }).data.metadata.seq;
        if (seq % 25 === 0 && !failOnce.has(id)) {
          failOnce.add(id);
          return { status: 503, headers: { 'retry-after': '0' } };
        }
        return { delayMs: 2 };
      });
      const servers: ServerProcess[] = [];
      servers.push(await startServer({ dataDir: await tempDir(), databaseUrl: db.url, env }));
      servers.push(await startServer({ dataDir: await tempDir(), databaseUrl: db.url, env }));
      const apiKey = servers[0]!.apiKey!;
      await post(servers[0]!.url, apiKey, '/v1/orgs', { external_id: 'acme', name: 'Acme' });
      await post(servers[1]!.url, apiKey, '/v1/webhooks', { url: r.url });
      const org = (seq: number) => (seq % 3 === 0 ? 'acme' : 'default');
      await Promise.all([
        ingest((b) => servers[b % 2]!.url, apiKey, 150, 0, org),
        ingest((b) => servers[(b + 1) % 2]!.url, apiKey, 150, 150, org),
      ]);
      await waitFor(
        () => new Set(r.accepted().map((q) => q.id)).size >= 300,
        30_000,
        'all 300 events',
      );
      await new Promise((done) => setTimeout(done, 300));

      // Two deliveries of one org's stream at once would mean two workers on
      // the webhook (one worker sends an org's events one at a time).
      expect(r.maxInFlightPerOrg()).toBe(1);
      const accepted = r.accepted().map((q) => q.id);
      expect(accepted.length).toBe(300);
      expect(new Set(accepted).size).toBe(300);
      const perEvent = new Map<string, number>();
      for (const q of r.requests) perEvent.set(q.id, (perEvent.get(q.id) ?? 0) + 1);
      for (const [id, n] of perEvent) expect(n, id).toBe(failOnce.has(id) ? 2 : 1);
      const counts = new Map<string, number>();
      for (const id of new Set(accepted)) {
        const e = data(r.accepted().find((q) => q.id === id)!.body);
        counts.set(e.org, (counts.get(e.org) ?? 0) + 1);
      }
      expectInOrderPerOrg(r.requests, counts);
    },
  );
});
