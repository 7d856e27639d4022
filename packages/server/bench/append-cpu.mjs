// CPU per appended event on the append path alone (validation, EventService,
// AppendQueue, store), without HTTP and without a load generator sharing the
// cores: on a busy machine wall-clock events/s is noise, CPU µs per event is
// not. With PostgreSQL it also counts the CPU of this run's server backends.
// Prints figures; asserts nothing.
//
//   node bench/append-cpu.mjs [sqlite|postgres] [single events] [batches of 1000] [rounds]
//   LOGPROOF_TEST_DATABASE_URL  PostgreSQL admin URL (required for postgres)
//   LOGPROOF_BENCH_CONNECTIONS  concurrent single-event requests (default 32)
//   LOGPROOF_BENCH_SIGNING_WORKER  0 to sign in the main thread only (default 1, as the server)
//
// The CPU figure counts every thread of the process (the signing worker too);
// "main" is the main thread alone, the one that runs the append transaction.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { validateBatchInput, validateEventInput } from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { PostgresStore, SqliteStore, Tenancy } from '../dist/index.js';
import { MasterKey } from '../dist/master-key.js';
import { OrgKeys } from '../dist/services/org-keys.js';
import { AppendQueue, groupsInFlight } from '../dist/services/append-queue.js';
import { EventService } from '../dist/services/event-service.js';
import { SigningWorker } from '../dist/services/signing-worker.js';
import { processCpuSeconds } from './bench-util.mjs';
import { sampleEvent } from './store-floor.mjs';

const kind = process.argv[2] ?? 'sqlite';
const singles = Number(process.argv[3] ?? 20_000);
const batches = Number(process.argv[4] ?? 30);
const rounds = Number(process.argv[5] ?? 1);
const connections = Number(process.env.LOGPROOF_BENCH_CONNECTIONS ?? 32);
const signing = process.env.LOGPROOF_BENCH_SIGNING_WORKER === '0' ? null : new SigningWorker();

/** CPU time (µs) of a process (or, by its /proc path, a thread) of this machine; 0 if unreadable. */
const processCpu = (pid, path) => (processCpuSeconds(pid, path) || 0) * 1e6;

let store;
let backendPids = async () => [];
let cleanup = async () => {};
if (kind === 'sqlite') {
  const dir = mkdtempSync(join(tmpdir(), 'logproof-append-cpu-'));
  store = new SqliteStore({ filename: join(dir, 'logproof.db') });
  cleanup = async () => rmSync(dir, { recursive: true, force: true });
} else {
  const adminUrl = process.env.LOGPROOF_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('set LOGPROOF_TEST_DATABASE_URL');
  const name = `logproof_cpu_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  store = new PostgresStore({ connectionString: url.toString() });
  backendPids = async () =>
    (await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])).rows.map(
      (r) => r.pid,
    );
  cleanup = async () => {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  };
}

try {
  await store.migrate();
  const crypto = signing ? signing.wrap(createNodeCrypto()) : createNodeCrypto();
  const orgKeys = new OrgKeys(
    store,
    MasterKey.parse(randomBytes(32).toString('base64')),
    crypto,
    'logproof.local',
  );
  const { project } = await new Tenancy(store, orgKeys, crypto).initProject();
  const queue = new AppendQueue({
    store,
    crypto,
    keys: orgKeys,
    maxCommitEvents: 1000,
    maxInFlight: groupsInFlight(store.kind),
  });
  const service = new EventService(store, queue, orgKeys, crypto);
  const options = () => ({ now: Date.now(), backfillWindowMs: 365 * 86_400_000 });
  const singleBody = JSON.stringify(sampleEvent(1));
  const batchBody = JSON.stringify({
    events: Array.from({ length: 1000 }, (_, i) => sampleEvent(i)),
  });

  // Each request as the route sees it: parsed, validated, recorded, answered as JSON.
  const single = async () => {
    const data = JSON.parse(singleBody);
    const { value } = validateEventInput(data, options());
    const { events } = await service.record(
      project.id,
      [{ event: value, raw: data, path: '' }],
      undefined,
    );
    return JSON.stringify(events[0]);
  };
  const batch = async () => {
    const data = JSON.parse(batchBody);
    const { value } = validateBatchInput(data, options());
    const items = value.map((event, i) => ({ event, raw: data.events[i], path: `/events/${i}` }));
    const { events } = await service.record(project.id, items, undefined);
    return JSON.stringify({ events });
  };
  const drive = async (request, total, concurrency) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < total) await request();
      }),
    );
  };

  await drive(single, 2000, connections); // warm up: JIT, caches, first checkpoints
  await drive(batch, 4, 4);
  console.log(
    `append path CPU, ${kind}, node ${process.version}, signing worker ${signing ? 'on' : 'off'}`,
  );
  // The main thread's task has the process id.
  const mainCpu = () => processCpu(process.pid, `/proc/${process.pid}/task/${process.pid}/stat`);
  for (let round = 0; round < rounds; round++) {
    for (const [name, request, count, concurrency, perRequest] of [
      [`single, ${connections} in flight`, single, singles, connections, 1],
      ['batch of 1000, 4 in flight', batch, batches, 4, 1000],
    ]) {
      if (count === 0) continue;
      const load = loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
      const pids = await backendPids();
      // Not pids.map(processCpu): the index would be read as the path (an fd).
      const backendBefore = pids.map((pid) => processCpu(pid));
      const mainBefore = mainCpu();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await drive(request, count, concurrency);
      const cpu = process.cpuUsage(cpuBefore);
      const main = mainCpu() - mainBefore;
      const seconds = (performance.now() - started) / 1000;
      const backend = pids.reduce((sum, pid, i) => sum + processCpu(pid) - backendBefore[i], 0);
      const events = count * perRequest;
      const perEvent = (us) => (us / events).toFixed(1);
      console.log(
        `${name.padEnd(28)} ${perEvent(cpu.user + cpu.system).padStart(6)} µs/event (user ${perEvent(cpu.user)}, sys ${perEvent(cpu.system)}, main ${perEvent(main)})` +
          (kind === 'postgres' ? `  + backends ${perEvent(backend)} µs/event` : '') +
          `  ${(events / seconds).toFixed(0).padStart(6)} events/s  load ${load}`,
      );
    }
  }
} finally {
  await signing?.close();
  await store.close();
  await cleanup();
}
