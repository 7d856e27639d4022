// `kill -9` of a real server during concurrent ingest, then a restart on the
// same data: every acknowledged event is there exactly once and unchanged,
// the log is dense, the chain and the Merkle tree verify, and the checkpoint
// fetched before the crash is consistent with the one after (PROOFS.md §4, §5;
// API.md: "The 201 is sent only after the event ... [is] durably committed").
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@logproof/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventIdsInChainOrder, type Backend } from './helpers/event-ids.js';
import {
  checkWholeLog,
  expectCheckpointMatches,
  expectConsistent,
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
  sleep,
  startServer,
  waitForTreeSize,
  stopServer,
  type ServerProcess,
} from './helpers/server-process.js';

interface OrgView {
  id: string;
  tree_size: number;
  root_hash: string;
  verifier_key: string;
}

interface CheckpointView {
  tree_size: number;
  checkpoint: string;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await killAllServers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function prepare(kind: Backend['kind']) {
  const dataDir = await mkdtemp(join(tmpdir(), 'logproof-crash-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  if (kind === 'sqlite') {
    return { backend: { kind, dataDir } as Backend, start: () => startServer({ dataDir }) };
  }
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const env = { LOGPROOF_MASTER_KEY: TEST_MASTER_KEY };
  return {
    backend: { kind, url: db.url } as Backend,
    start: () => startServer({ dataDir, databaseUrl: db.url, env }),
  };
}

async function crashDuringIngest(kind: Backend['kind']) {
  const { backend, start } = await prepare(kind);
  const first: ServerProcess = await start();
  const apiKey = first.apiKey!;
  expect(apiKey).toMatch(/^lp_sk_/);
  const org = await getJson<OrgView>(first.url, apiKey, '/v1/orgs/default');

  let stopped = false;
  const load = ingest({ urls: [first.url], apiKey, clients: 16, stop: () => stopped });
  await waitForTreeSize(first.url, apiKey, 20);
  const before = await getJson<CheckpointView>(first.url, apiKey, '/v1/orgs/default/checkpoint');
  await sleep(1000);
  const exit = await stopServer(first, 'SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
  stopped = true;
  const outcomes = await load;
  const acknowledged = created(outcomes);
  expect(acknowledged.length).toBeGreaterThan(0);
  // Before the kill only 201s (or 503 load shedding); after it, only network failures.
  expectOnlyLoadShedding(outcomes);

  const second = await start();
  expect(second.apiKey).toBeNull(); // the data survived: no second init
  const after = await getJson<OrgView>(second.url, apiKey, '/v1/orgs/default');
  expect(after.id).toBe(org.id);
  expect(after.verifier_key).toBe(org.verifier_key);

  // Every acknowledged event is there, unchanged, at a distinct index of the log.
  const indexes = acknowledged.map((a) => a.event.chain_index);
  expect(new Set(indexes).size).toBe(indexes.length);
  expect(Math.max(...indexes)).toBeLessThan(after.tree_size);
  const reread = await fetchEvents(
    second.url,
    apiKey,
    acknowledged.map((a) => a.event.id),
  );
  expect(reread).toEqual(acknowledged.map((a) => a.event));
  // And found by its hashes, whether the hash index had reached it or not.
  const step = Math.max(1, Math.floor(acknowledged.length / 16));
  for (let i = 0; i < acknowledged.length; i += step) {
    const event = acknowledged[i]!.event;
    for (const [kind, hash] of [
      ['chain', event.hash],
      ['leaf', event.leaf_hash],
    ] as const) {
      const found = await getJson<{ found: boolean; kind: string; event_id: string }>(
        second.url,
        apiKey,
        `/v1/hashes/${hash}`,
      );
      expect(found).toMatchObject({ found: true, kind, event_id: event.id });
    }
  }

  // Committed but never acknowledged: at most the one request each client had in flight.
  expect(after.tree_size - acknowledged.length).toBeLessThanOrEqual(16);

  // The whole log (acknowledged or not): dense, linked, signed, provable.
  const ids = await eventIdsInChainOrder(backend, org.id);
  expect(ids).toHaveLength(after.tree_size);
  const all = await fetchEvents(second.url, apiKey, ids);
  const { ordered, tree } = checkWholeLog(all);
  for (const event of ordered) expectEventVerifies(event, org.verifier_key);
  expect(bytesToHex(tree.root())).toBe(after.root_hash);

  // Exactly once by content too: no acknowledged request was appended twice.
  const seqs = ordered.map((e) => e.metadata.seq as number);
  expect(new Set(seqs).size).toBe(seqs.length);
  const logged = new Set(seqs);
  for (const a of acknowledged) expect(logged.has(a.seq)).toBe(true);

  // The checkpoints before and after the crash are consistent.
  const latest = await getJson<CheckpointView>(second.url, apiKey, '/v1/orgs/default/checkpoint');
  expect(latest.tree_size).toBe(after.tree_size);
  const older = expectCheckpointMatches(before.checkpoint, org.verifier_key, tree);
  const newer = expectCheckpointMatches(latest.checkpoint, org.verifier_key, tree);
  expectConsistent(tree, older, newer);

  // The restarted server continues the same chain.
  const res = await fetch(`${second.url}/v1/events`, {
    method: 'POST',
    headers: headers(apiKey),
    body: JSON.stringify({ action: 'load.after_restart', actor: { id: 'restart' } }),
  });
  expect(res.status).toBe(201);
  const next = (await res.json()) as { chain_index: number; previous_hash: string };
  expect(next.chain_index).toBe(after.tree_size);
  expect(next.previous_hash).toBe(ordered.at(-1)!.hash);
  await stopServer(second, 'SIGTERM');
}

describe('kill -9 during concurrent ingest (SQLite)', () => {
  it('keeps every acknowledged event exactly once; the log verifies and the checkpoints are consistent', async () => {
    await crashDuringIngest('sqlite');
  }, 60_000);
});

describeWithPostgres('kill -9 during concurrent ingest (PostgreSQL)', () => {
  it('keeps every acknowledged event exactly once; the log verifies and the checkpoints are consistent', async () => {
    await crashDuringIngest('postgres');
  }, 60_000);
});
