// npm run bench -w packages/server: ingest throughput on this machine, printed
// side by side with the HTTP floor and the store floor. Prints figures; asserts nothing.
//
//   LOGPROOF_BENCH_SECONDS   duration of each HTTP run (default 10)
//   LOGPROOF_TEST_DATABASE_URL  PostgreSQL admin URL; the PostgreSQL rows are skipped without it
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { cannon, fmt, processCpuSeconds, startProcess } from './bench-util.mjs';
import { measureStoreFloor, sampleEvent } from './store-floor.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../../cli/bin/logproof.js');
const seconds = Number(process.env.LOGPROOF_BENCH_SECONDS ?? 10);
const rows = [];

/** The server's CPU seconds (all threads) and its SQLite writer thread's busy seconds, from /metrics. */
async function metricsTimes(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    cpu: value('process_cpu_seconds_total'),
    writer: value('logproof_sqlite_writer_busy_seconds_total'),
    at: performance.now(),
  };
}

/** The same for a server without /metrics (the HTTP floor): its CPU from /proc, no writer. */
async function procTimes(pid) {
  return { cpu: processCpuSeconds(pid), writer: NaN, at: performance.now() };
}

/**
 * Runs autocannon and says what the server's threads did meanwhile, read by
 * `times` before and after: its CPU (200% is both cores of this machine;
 * also per event, which this host's noise moves less than events/s) and how
 * busy the SQLite writer thread was (100% is saturated: appends wait for it).
 */
async function measured(times, options) {
  const before = await times();
  const result = await cannon(options);
  const after = await times();
  const seconds = (after.at - before.at) / 1000;
  result.cpuSeconds = after.cpu - before.cpu;
  result.serverCpu = result.cpuSeconds / seconds;
  result.writerBusy = (after.writer - before.writer) / seconds;
  return result;
}

function row(name, result, eventsPerRequest = 1) {
  const r = {
    name,
    // Only acknowledged (2xx) requests count: a 503 is not throughput.
    eventsPerSecond: (result['2xx'] / result.duration) * eventsPerRequest,
    requestsPerSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    // The server's CPU (every thread; not PostgreSQL's) per acknowledged event.
    cpuMicrosPerEvent: (1e6 * result.cpuSeconds) / (result['2xx'] * eventsPerRequest),
  };
  rows.push(r);
  const threads = [
    Number.isFinite(result.serverCpu)
      ? `server CPU ${fmt(100 * result.serverCpu)}%, ${fmt(r.cpuMicrosPerEvent)} µs/event`
      : '',
    Number.isFinite(result.writerBusy) ? `writer busy ${fmt(100 * result.writerBusy)}%` : '',
  ].filter(Boolean);
  console.log(
    `${name.padEnd(44)} ${fmt(r.eventsPerSecond).padStart(9)} events/s  ${fmt(r.requestsPerSecond).padStart(8)} req/s  p50 ${fmt(r.p50, 1)} ms  p99 ${fmt(r.p99, 1)} ms  errors ${r.errors}${threads.length ? `  (${threads.join(', ')})` : ''}`,
  );
  return r;
}

async function benchLogproof(label, env) {
  const server = await startProcess([cli, 'serve', '--port', '0'], {
    LOGPROOF_RATE_LIMIT_PER_MINUTE: '0',
    LOGPROOF_LOG_LEVEL: 'warn',
    ...env,
  });
  try {
    const key = /lp_sk_[0-9A-Za-z]+/.exec(server.output())?.[0];
    if (!key) throw new Error('no admin key printed');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const single = JSON.stringify(sampleEvent(1));
    // Warm up (JIT, caches, first checkpoint).
    await cannon({
      url: `${server.url}/v1/events`,
      method: 'POST',
      headers,
      body: single,
      connections: 8,
      duration: 2,
    });
    const s = row(
      `logproof ${label} single event, 32 conns`,
      await measured(() => metricsTimes(server.url), {
        url: `${server.url}/v1/events`,
        method: 'POST',
        headers,
        body: single,
        connections: 32,
        duration: seconds,
      }),
    );
    const batch = JSON.stringify({
      events: Array.from({ length: 1000 }, (_, i) => sampleEvent(i)),
    });
    const b = row(
      `logproof ${label} batch of 1000, 4 conns`,
      await measured(() => metricsTimes(server.url), {
        url: `${server.url}/v1/events/batch`,
        method: 'POST',
        headers,
        body: batch,
        connections: 4,
        duration: seconds,
      }),
      1000,
    );
    return { single: s, batch: b };
  } finally {
    await server.stop();
  }
}

console.log(`Logproof ingest benchmark — ${seconds} s per HTTP run, node ${process.version}\n`);

// 1. HTTP floor.
const noop = await startProcess([join(here, 'noop-server.mjs')]);
let floorHttp;
try {
  await cannon({
    url: `${noop.url}/noop`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sampleEvent(1)),
    connections: 8,
    duration: 2,
  });
  floorHttp = row(
    'HTTP floor: no-op Fastify POST, 32 conns',
    await measured(() => procTimes(noop.pid), {
      url: `${noop.url}/noop`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sampleEvent(1)),
      connections: 32,
      duration: seconds,
    }),
  );
} finally {
  await noop.stop();
}

// 2. Store floor.
const storeFloor = measureStoreFloor();
console.log(
  `${'store floor: JSON+SHA-256+Ed25519+SQLite 1000-row tx'.padEnd(44)} ${fmt(storeFloor.rowsPerSecond).padStart(9)} events/s  (${storeFloor.rows} rows, WAL, synchronous=FULL, ${fmt(storeFloor.cpuMicrosPerRow)} µs/event)`,
);

// 3. Logproof on SQLite.
const dataDir = mkdtempSync(join(tmpdir(), 'logproof-bench-'));
let sqlite;
try {
  sqlite = await benchLogproof('sqlite', { LOGPROOF_DATA_DIR: dataDir });
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

// 4. Logproof on PostgreSQL.
let postgres = null;
const adminUrl = process.env.LOGPROOF_TEST_DATABASE_URL;
if (adminUrl) {
  const name = `logproof_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    postgres = await benchLogproof('postgres', {
      LOGPROOF_DATABASE_URL: url.toString(),
      LOGPROOF_MASTER_KEY: randomBytes(32).toString('hex'),
    });
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
} else {
  console.log('postgres rows skipped: set LOGPROOF_TEST_DATABASE_URL');
}

console.log(
  '\nRatios (targets on SQLite: batch >= 50% of store floor; single >= 25% of HTTP floor with p99 <= 50 ms)',
);
console.log(
  `  sqlite batch / store floor:   ${fmt((100 * sqlite.batch.eventsPerSecond) / storeFloor.rowsPerSecond, 1)}%`,
);
console.log(
  `  sqlite single / HTTP floor:   ${fmt((100 * sqlite.single.requestsPerSecond) / floorHttp.requestsPerSecond, 1)}%  (p99 ${fmt(sqlite.single.p99, 1)} ms)`,
);
if (postgres) {
  console.log(
    `  postgres batch / store floor: ${fmt((100 * postgres.batch.eventsPerSecond) / storeFloor.rowsPerSecond, 1)}%`,
  );
  console.log(
    `  postgres single / HTTP floor: ${fmt((100 * postgres.single.requestsPerSecond) / floorHttp.requestsPerSecond, 1)}%  (p99 ${fmt(postgres.single.p99, 1)} ms)`,
  );
}

// The same comparison in CPU per event, which this host's noise (other
// tenants of its cores) moves less than events/s. It also bounds the ratios
// above: a server that needs c µs of CPU per event cannot, even with every
// core of the machine busy for it alone, do more than cores / c events/s.
const cores = availableParallelism();
console.log(`\nServer CPU per event, against the floor (${cores} cores)`);
const cpuRow = (label, result, floorMicros, floorPerSecond) => {
  const most = (cores * 1e6) / result.cpuMicrosPerEvent / floorPerSecond;
  console.log(
    `  ${label.padEnd(29)} ${fmt(result.cpuMicrosPerEvent).padStart(5)} µs vs ${fmt(floorMicros).padStart(3)} µs (${fmt(result.cpuMicrosPerEvent / floorMicros, 1)}x): at most ${fmt(100 * most)}% of the floor's events/s`,
  );
};
const http = [floorHttp.cpuMicrosPerEvent, floorHttp.requestsPerSecond];
const store = [storeFloor.cpuMicrosPerRow, storeFloor.rowsPerSecond];
cpuRow('sqlite single / HTTP floor:', sqlite.single, ...http);
cpuRow('sqlite batch / store floor:', sqlite.batch, ...store);
if (postgres) {
  // PostgreSQL's own backends are not counted: these bounds are above the true ones.
  cpuRow('postgres single / HTTP floor:', postgres.single, ...http);
  cpuRow('postgres batch / store floor:', postgres.batch, ...store);
}
