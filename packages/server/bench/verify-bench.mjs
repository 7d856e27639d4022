// npm run bench:verify -w packages/server: whole-log verification and proof
// latency on a large SQLite log. Prints figures; asserts nothing.
//
// Seeds LOGPROOF_BENCH_EVENTS events (default 1,000,000) into the default org
// through the batch API (POST /v1/events/batch, 1000 per request, in process
// with app.inject: the real validation, group commit, signatures and one
// checkpoint per batch), then, over real HTTP on a loopback port:
//   - POST /v1/orgs/default/verify without event signatures (events/s),
//   - GET /v1/orgs/default/proofs/inclusion for random leaves (latency p50/p99).
//
//   LOGPROOF_BENCH_EVENTS   log size (default 1000000)
//   LOGPROOF_BENCH_DATA     keep the seeded data dir here and reuse it next time
//   LOGPROOF_BENCH_PROOFS   inclusion proof requests (default 5000)
// The repo's ESLint config declares no Node globals for plain .mjs scripts:
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogproof, readConfig } from '../dist/index.js';
import { fmt } from './bench-util.mjs';
import { sampleEvent } from './store-floor.mjs';

const total = Number(process.env.LOGPROOF_BENCH_EVENTS ?? 1_000_000);
const proofs = Number(process.env.LOGPROOF_BENCH_PROOFS ?? 5000);
const keep = process.env.LOGPROOF_BENCH_DATA;
const dataDir = keep ?? mkdtempSync(join(tmpdir(), 'logproof-verify-bench-'));
const keyFile = join(dataDir, 'bench-api-key');

const config = readConfig(
  {},
  {
    dataDir,
    logLevel: 'warn',
    rateLimitPerMinute: 0,
    selfAuditIntervalMs: 0,
    // The seeding loop is one long burst; shed nothing.
    maxEventLoopDelayMs: 0,
  },
);
const logproof = await createLogproof(config, { init: true, logger: false });
if (logproof.initialApiKey) writeFileSync(keyFile, logproof.initialApiKey);
const apiKey = logproof.initialApiKey ?? readFileSync(keyFile, 'utf8');
const headers = { authorization: `Bearer ${apiKey}` };

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

try {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(
    `Logproof verification benchmark — SQLite, node ${process.version}, ${availableParallelism()} CPUs, load average ${load()}\n`,
  );

  // 1. Seed.
  const org = (
    await logproof.app.inject({ method: 'GET', url: '/v1/orgs/default', headers })
  ).json();
  if (org.tree_size < total) {
    const started = performance.now();
    let lastReport = started;
    for (let size = org.tree_size; size < total;) {
      const n = Math.min(1000, total - size);
      const events = Array.from({ length: n }, (_, i) => sampleEvent(size + i));
      const res = await logproof.app.inject({
        method: 'POST',
        url: '/v1/events/batch',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: JSON.stringify({ events }),
      });
      if (res.statusCode !== 201) throw new Error(`seeding failed: ${res.statusCode} ${res.body}`);
      size += n;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        console.log(`  seeded ${fmt(size)} events…`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${'seed: POST /v1/events/batch x1000 (in process)'.padEnd(52)} ${fmt((total - org.tree_size) / seconds).padStart(9)} events/s  (${fmt(total)} events, ${fmt(seconds, 1)} s)`,
    );
  } else {
    console.log(`reusing ${fmt(org.tree_size)} seeded events in ${dataDir}`);
  }

  const address = await logproof.app.listen({ host: '127.0.0.1', port: 0 });

  // 2. Whole-log verification over HTTP.
  const heapBefore = process.memoryUsage().heapUsed;
  let peakHeap = heapBefore;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 50);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const res = await fetch(`${address}/v1/orgs/default/verify`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: '{}',
  });
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  const v = await res.json();
  if (!v.valid)
    throw new Error(`the log did not verify: ${JSON.stringify(v.problems.slice(0, 3))}`);
  console.log(
    `${'POST /v1/orgs/default/verify (no event signatures)'.padEnd(52)} ${fmt(v.checked / (wall / 1000)).padStart(9)} events/s  (${fmt(v.checked)} events in ${fmt(wall / 1000, 2)} s; server ${fmt(v.duration_ms / 1000, 2)} s; heap +${fmt((peakHeap - heapBefore) / 2 ** 20, 1)} MiB peak)`,
  );
  // On a shared machine the wall-clock rate says as much about the neighbours
  // as about the code; events per CPU-second of this process says less.
  console.log(
    `${'  same, per CPU-second of this process'.padEnd(52)} ${fmt(v.checked / cpuSeconds).padStart(9)} events/s  (${fmt(cpuSeconds, 2)} CPU-s: ${fmt((100 * cpuSeconds) / (wall / 1000))}% of one core on average)`,
  );

  // 3. Inclusion proofs over HTTP, random leaves in the whole tree.
  const size = v.tree_size;
  const latencies = [];
  for (let i = 0; i < proofs + 200; i++) {
    const m = Math.floor(Math.random() * size);
    const t0 = performance.now();
    const r = await fetch(
      `${address}/v1/orgs/default/proofs/inclusion?leaf_index=${m}&tree_size=${size}`,
      {
        headers,
      },
    );
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`proof failed: ${r.status}`);
    if (i >= 200) latencies.push(performance.now() - t0); // the first 200 warm up
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `${'GET /v1/orgs/default/proofs/inclusion (random leaf)'.padEnd(52)} p50 ${fmt(percentile(latencies, 50), 2)} ms  p99 ${fmt(percentile(latencies, 99), 2)} ms  max ${fmt(latencies.at(-1), 2)} ms  (${fmt(latencies.length)} sequential requests)`,
  );
  // The server's own view (request received to response sent), from /metrics.
  const metrics = await (await fetch(`${address}/metrics`)).text();
  const bucket = (le) => {
    const line = metrics
      .split('\n')
      .find(
        (l) =>
          l.startsWith('logproof_http_request_duration_seconds_bucket{') &&
          l.includes('route="/v1/orgs/:org/proofs/inclusion"') &&
          l.includes(`le="${le}"`),
      );
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const count = bucket('+Inf');
  console.log(
    `${'  same, server side (from /metrics)'.padEnd(52)} ${fmt((100 * bucket('0.001')) / count, 1)}% <= 1 ms, ${fmt((100 * bucket('0.0025')) / count, 1)}% <= 2.5 ms, ${fmt((100 * bucket('0.005')) / count, 2)}% <= 5 ms  (${fmt(count)} requests)`,
  );

  console.log(
    `\nload average at the end: ${load()} (other work on the machine slows every figure)`,
  );
  console.log(
    'Targets: verification >= 200,000 events/s without signatures; inclusion proof p99 <= 5 ms',
  );
} finally {
  await logproof.close();
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
  else if (!existsSync(keyFile)) console.log('note: no API key was saved');
}
