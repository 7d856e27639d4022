// The `logproof` command as an operator runs it: `init --json`, `serve` on an
// empty database, and graceful shutdown on SIGTERM during concurrent ingest
// (API.md "Operations": stop accepting, finish in-flight commits, exit 0).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventIdsInChainOrder } from './helpers/event-ids.js';
import {
  checkWholeLog,
  expectCheckpointMatches,
  expectEventVerifies,
} from './helpers/log-check.js';
import {
  created,
  expectOnlyLoadShedding,
  fetchEvents,
  getJson,
  headers,
  ingest,
  killAllServers,
  openConnection,
  postHead,
  runCli,
  sleep,
  startServer,
  stopServer,
  waitForTreeSize,
} from './helpers/server-process.js';

interface OrgView {
  id: string;
  tree_size: number;
  verifier_key: string;
}

const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'logproof-proc-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await killAllServers();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('logproof init --json', () => {
  it('prints exactly {"project_id","api_key"}, and the key works against serve', async () => {
    const dataDir = await tempDir();
    const init = await runCli(['init', '--json', '--data', dataDir]);
    expect(init.code, init.stderr).toBe(0);
    const lines = init.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const printed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(printed).sort()).toEqual(['api_key', 'project_id']);
    expect(printed.project_id).toMatch(/^proj_[0-9a-z]{26}$/);
    expect(printed.api_key).toMatch(/^lp_sk_[0-9A-Za-z]{49}$/);
    // The generated master key is announced on stderr, never mixed into the JSON.
    expect(init.stderr).toMatch(/master key/);

    const server = await startServer({ dataDir });
    expect(server.apiKey).toBeNull(); // not empty: serve does not init again
    const org = await getJson<OrgView>(server.url, printed.api_key as string, '/v1/orgs/default');
    expect(org.tree_size).toBe(0);
    expect((await stopServer(server, 'SIGTERM')).code).toBe(0);
  });

  it('prints a new project and key on each run', async () => {
    const dataDir = await tempDir();
    const a = JSON.parse((await runCli(['init', '--json', '--data', dataDir])).stdout) as {
      project_id: string;
      api_key: string;
    };
    const b = JSON.parse((await runCli(['init', '--json', '--data', dataDir])).stdout) as {
      project_id: string;
      api_key: string;
    };
    expect(a.project_id).not.toBe(b.project_id);
    expect(a.api_key).not.toBe(b.api_key);
  });
});

describe('logproof serve', () => {
  it('initialises an empty database, prints the admin key once, and answers /healthz, /readyz and /metrics', async () => {
    const dataDir = await tempDir();
    const server = await startServer({ dataDir });
    expect(server.apiKey).toMatch(/^lp_sk_/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'sqlite' });
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(
      /^logproof_http_requests_total/m,
    );
    expect((await stopServer(server, 'SIGTERM')).code).toBe(0);

    const again = await startServer({ dataDir });
    expect(again.apiKey).toBeNull();
    expect(again.output()).not.toMatch(/lp_sk_/);
  });

  it('on SIGTERM: refuses new connections, answers a request arriving meanwhile with a 503 problem, finishes the one in flight, then exits 0', async () => {
    const dataDir = await tempDir();
    const server = await startServer({ dataDir });
    const apiKey = server.apiKey!;
    const body = JSON.stringify({ action: 'user.login', actor: { id: 'in-flight' } });
    const head = postHead(server.url, apiKey, Buffer.byteLength(body));

    // One request in flight (half its body sent), one whose head is half-sent.
    const inFlight = openConnection(server.url);
    inFlight.write(head + body.slice(0, 10));
    const arriving = openConnection(server.url);
    arriving.write(head.slice(0, 20));
    // Let the server read both: a connection with nothing read yet counts as idle.
    await sleep(500);

    server.child.kill('SIGTERM');
    await sleep(400);
    expect(server.child.exitCode, 'exited with a request still in flight').toBeNull();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();

    arriving.write(head.slice(20) + body);
    const refused = await arriving.response();
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: 'unavailable' });

    inFlight.write(body.slice(10));
    const answered = await inFlight.response();
    expect(answered.status, answered.body).toBe(201);
    expect(answered.headers.connection).toBe('close');
    const event = JSON.parse(answered.body) as { id: string; chain_index: number };

    expect(await stopServer(server, null)).toEqual({ code: 0, signal: null });
    const restarted = await startServer({ dataDir });
    const org = await getJson<OrgView>(restarted.url, apiKey, '/v1/orgs/default');
    expect(org.tree_size).toBe(1);
    expect(
      (await getJson<{ id: string }>(restarted.url, apiKey, `/v1/events/${event.id}`)).id,
    ).toBe(event.id);
  });

  it('on SIGTERM during concurrent ingest: stops accepting, finishes every commit, answers it, and exits 0', async () => {
    const dataDir = await tempDir();
    const server = await startServer({ dataDir });
    const apiKey = server.apiKey!;
    const org = await getJson<OrgView>(server.url, apiKey, '/v1/orgs/default');

    let exited = false;
    const load = ingest({ urls: [server.url], apiKey, clients: 16, stop: () => exited });
    await waitForTreeSize(server.url, apiKey, 20);
    await sleep(300);
    const exit = await stopServer(server, 'SIGTERM');
    exited = true;
    expect(exit, server.output()).toEqual({ code: 0, signal: null });
    const outcomes = await load;
    const acknowledged = created(outcomes);
    expect(acknowledged.length).toBeGreaterThanOrEqual(20);

    // What was refused (while closing, or shed under load) is a 503 problem with Retry-After.
    expectOnlyLoadShedding(outcomes);
    // Afterwards the port is closed.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();

    const restarted = await startServer({ dataDir });
    const after = await getJson<OrgView>(restarted.url, apiKey, '/v1/orgs/default');
    // Every commit was finished AND answered: nothing committed went unacknowledged.
    expect(after.tree_size).toBe(acknowledged.length);
    const reread = await fetchEvents(
      restarted.url,
      apiKey,
      acknowledged.map((a) => a.event.id),
    );
    expect(reread).toEqual(acknowledged.map((a) => a.event));
    const ids = await eventIdsInChainOrder({ kind: 'sqlite', dataDir }, org.id);
    expect([...ids].sort()).toEqual(acknowledged.map((a) => a.event.id).sort());

    const { ordered, tree } = checkWholeLog(reread);
    for (const event of ordered) expectEventVerifies(event, org.verifier_key);
    const checkpoint = await getJson<{ checkpoint: string; tree_size: number }>(
      restarted.url,
      apiKey,
      '/v1/orgs/default/checkpoint',
    );
    expect(expectCheckpointMatches(checkpoint.checkpoint, org.verifier_key, tree).treeSize).toBe(
      tree.size,
    );

    const res = await fetch(`${restarted.url}/v1/events`, {
      method: 'POST',
      headers: headers(apiKey),
      body: JSON.stringify({ action: 'user.login', actor: { id: 'u' } }),
    });
    expect(res.status).toBe(201);
    expect((await stopServer(restarted, 'SIGTERM')).code).toBe(0);
  });
});
