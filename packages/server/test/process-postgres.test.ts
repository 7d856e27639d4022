// Two `logproof serve` processes on one PostgreSQL database, appending
// concurrently to one org: the row lock on the org, not memory, orders the
// log (src/store/store.ts), so the chain stays dense with no fork and the
// root verifies; idempotency keys hold across processes too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, type StoredEvent } from '@logproof/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  checkWholeLog,
  expectCheckpointMatches,
  expectEventVerifies,
} from './helpers/log-check.js';
import { createTestDatabase, describeWithPostgres } from './helpers/postgres.js';
import {
  TEST_MASTER_KEY,
  created,
  expectOnlyLoadShedding,
  fetchEvents,
  getJson,
  headers,
  ingest,
  killAllServers,
  startServer,
  stopServer,
  type ServerProcess,
} from './helpers/server-process.js';

interface OrgView {
  id: string;
  tree_size: number;
  root_hash: string;
  verifier_key: string;
}

describeWithPostgres('two server processes on one PostgreSQL org', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dirs: string[];
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey: string;

  beforeEach(async () => {
    db = await createTestDatabase();
    dirs = [
      await mkdtemp(join(tmpdir(), 'logproof-pg-a-')),
      await mkdtemp(join(tmpdir(), 'logproof-pg-b-')),
    ];
    const env = { LOGPROOF_MASTER_KEY: TEST_MASTER_KEY };
    // One after the other: the first initialises the empty database.
    a = await startServer({ dataDir: dirs[0]!, databaseUrl: db.url, env });
    b = await startServer({ dataDir: dirs[1]!, databaseUrl: db.url, env });
    expect(a.apiKey).toMatch(/^lp_sk_/);
    expect(b.apiKey).toBeNull();
    apiKey = a.apiKey!;
  });

  afterEach(async () => {
    await killAllServers();
    await db.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('appends concurrently through both: dense indexes, no fork, the root and every signature verify', async () => {
    const outcomes = await ingest({
      urls: [a.url, b.url],
      apiKey,
      clients: 16,
      stop: () => false,
      maxPerClient: 40,
    });
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([]);
    expectOnlyLoadShedding(outcomes);
    const events = created(outcomes).map((c) => c.event);
    expect(events.length).toBeGreaterThan(320);

    const [orgA, orgB] = await Promise.all([
      getJson<OrgView>(a.url, apiKey, '/v1/orgs/default'),
      getJson<OrgView>(b.url, apiKey, '/v1/orgs/default'),
    ]);
    expect(orgB).toEqual(orgA);
    expect(orgA.tree_size).toBe(events.length);

    const { ordered, tree } = checkWholeLog(events);
    expect(bytesToHex(tree.root())).toBe(orgA.root_hash);
    for (const event of ordered) expectEventVerifies(event, orgA.verifier_key);
    // Each process reads the events the other one appended, unchanged.
    // (Client c posted to urls[c % 2]; its events carry seq = c * 1e6 + i.)
    const through = (server: number) =>
      created(outcomes)
        .filter((c) => Math.floor(c.seq / 1_000_000) % 2 === server)
        .map((c) => c.event);
    const [viaA, viaB] = [through(0), through(1)];
    expect(viaA.length + viaB.length).toBe(events.length);
    expect(
      await fetchEvents(
        b.url,
        apiKey,
        viaA.map((e) => e.id),
      ),
    ).toEqual(viaA);
    expect(
      await fetchEvents(
        a.url,
        apiKey,
        viaB.map((e) => e.id),
      ),
    ).toEqual(viaB);

    for (const server of [a, b]) {
      const checkpoint = await getJson<{ checkpoint: string; tree_size: number }>(
        server.url,
        apiKey,
        '/v1/orgs/default/checkpoint',
      );
      expect(expectCheckpointMatches(checkpoint.checkpoint, orgA.verifier_key, tree).treeSize).toBe(
        events.length,
      );
    }
    expect((await stopServer(a, 'SIGTERM')).code).toBe(0);
    expect((await stopServer(b, 'SIGTERM')).code).toBe(0);
  }, 60_000);

  it('appends once for one Idempotency-Key sent to both processes at the same time', async () => {
    const before = (await getJson<OrgView>(a.url, apiKey, '/v1/orgs/default')).tree_size;
    const keys = Array.from({ length: 12 }, (_, i) => `cross-process-${i}`);
    const answers = await Promise.all(
      keys.flatMap((key) =>
        [a, b].map(async (server) => {
          const res = await fetch(`${server.url}/v1/events`, {
            method: 'POST',
            headers: { ...headers(apiKey), 'idempotency-key': key },
            body: JSON.stringify({ action: 'user.login', actor: { id: key } }),
          });
          return {
            key,
            status: res.status,
            replayed: res.headers.get('idempotent-replayed'),
            body: await res.text(),
          };
        }),
      ),
    );
    for (const key of keys) {
      const pair = answers.filter((x) => x.key === key);
      expect(
        pair.filter((x) => x.status === 201),
        JSON.stringify(pair),
      ).toHaveLength(1);
      const winner = JSON.parse(pair.find((x) => x.status === 201)!.body) as StoredEvent;
      for (const other of pair.filter((x) => x.status !== 201)) {
        if (other.status === 409) continue; // still in flight: a client retries
        expect(other.status, other.body).toBe(200);
        expect(other.replayed).toBe('true');
        expect((JSON.parse(other.body) as StoredEvent).id).toBe(winner.id);
      }
    }
    const after = await getJson<OrgView>(b.url, apiKey, '/v1/orgs/default');
    expect(after.tree_size).toBe(before + keys.length);

    // Another body under a key the other process recorded: 422.
    const conflict = await fetch(`${b.url}/v1/events`, {
      method: 'POST',
      headers: { ...headers(apiKey), 'idempotency-key': keys[0]! },
      body: JSON.stringify({ action: 'user.logout', actor: { id: 'x' } }),
    });
    expect(conflict.status).toBe(422);
    expect(conflict.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  }, 60_000);
});
