// npm run bench:exports -w packages/server: GET /v1/events/export at
// 1,000,000 events on SQLite. Prints figures; asserts nothing.
//
// Seeds LOGPROOF_BENCH_EVENTS events (default 1,000,000) into the default org
// through the batch API (in process: real validation, hashing, signatures,
// Merkle tree and one checkpoint per batch, so that bundles verify), then
// for each format starts a fresh `logproof serve` process and downloads the
// export over loopback HTTP, reading as fast as it comes. Per format: rows/s
// (wall), rows per CPU-second of the server (fairer on a busy machine), and
// the server's peak RSS (VmHWM: the whole process, Node and SQLite included).
// The PDF is measured twice: for the whole log (its time is mostly the
// attached bundle of every event) and for a window of 15,000 events (the
// table: pages/s).
//
//   LOGPROOF_BENCH_EVENTS   log size (default 1000000)
//   LOGPROOF_BENCH_DATA     keep the seeded data dir here and reuse it next time
//   LOGPROOF_BENCH_FORMATS  comma-separated (default csv,ndjson,json,bundle,pdf)
//   LOGPROOF_BENCH_CPU_PROF write a V8 CPU profile of each server process to this dir
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogproof, readConfig } from '../dist/index.js';
import { fmt } from './bench-util.mjs';

const total = Number(process.env.LOGPROOF_BENCH_EVENTS ?? 1_000_000);
const formats = (process.env.LOGPROOF_BENCH_FORMATS ?? 'csv,ndjson,json,bundle,pdf').split(',');
const keep = process.env.LOGPROOF_BENCH_DATA;
const cpuProfDir = process.env.LOGPROOF_BENCH_CPU_PROF;
const dataDir = keep ?? mkdtempSync(join(tmpdir(), 'logproof-export-bench-'));
const keyFile = join(dataDir, 'bench-api-key');
const cli = join(dirname(fileURLToPath(import.meta.url)), '../../cli/bin/logproof.js');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function sampleEvent(i) {
  return {
    action: ['user.login', 'document.viewed', 'document.shared', 'billing.invoice.paid'][i % 4],
    actor: {
      id: `user_${i % 5000}`,
      name: `User ${i % 5000}`,
      email: `user${i % 5000}@example.com`,
    },
    targets:
      i % 3 === 0 ? [] : [{ id: `doc_${i % 100_000}`, type: 'document', name: 'Q3 board deck' }],
    metadata: { plan: i % 2 ? 'pro' : 'free', seats: i % 200 },
    context: {
      ip: `203.0.${(i >> 8) & 255}.${i & 255}`,
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
    },
  };
}

/** occurred_at of chain_index 0 and 15,000 (a batch boundary), for the PDF window. */
const occurred = { first: '', at15k: '' };

async function seed() {
  const config = readConfig(
    {},
    {
      dataDir,
      logLevel: 'warn',
      rateLimitPerMinute: 0,
      selfAuditIntervalMs: 0,
      maxEventLoopDelayMs: 0,
    },
  );
  const logproof = await createLogproof(config, { init: true, logger: false });
  if (logproof.initialApiKey) writeFileSync(keyFile, logproof.initialApiKey);
  const apiKey = logproof.initialApiKey ?? readFileSync(keyFile, 'utf8');
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  try {
    const org = (
      await logproof.app.inject({ method: 'GET', url: '/v1/orgs/default', headers })
    ).json();
    const occurredAt = async (index) =>
      JSON.parse((await logproof.store.scanLog(org.id, index, 1))[0].canonical).occurred_at;
    if (org.tree_size >= total) {
      occurred.first = await occurredAt(0);
      occurred.at15k = await occurredAt(15_000);
      console.log(`reusing ${fmt(org.tree_size)} seeded events in ${dataDir}`);
      return apiKey;
    }
    const started = performance.now();
    let report = started;
    for (let size = org.tree_size; size < total;) {
      const n = Math.min(1000, total - size);
      const events = Array.from({ length: n }, (_, i) => sampleEvent(size + i));
      const res = await logproof.app.inject({
        method: 'POST',
        url: '/v1/events/batch',
        headers,
        payload: JSON.stringify({ events }),
      });
      if (res.statusCode !== 201) throw new Error(`seeding failed: ${res.statusCode} ${res.body}`);
      size += n;
      if (performance.now() - report > 15_000) {
        report = performance.now();
        console.log(`  seeded ${fmt(size)} events…`);
      }
    }
    console.log(
      `seeded ${fmt(total - org.tree_size)} events in ${fmt((performance.now() - started) / 1000, 1)} s`,
    );
    occurred.first = await occurredAt(0);
    occurred.at15k = await occurredAt(15_000);
    return apiKey;
  } finally {
    await logproof.close();
  }
}

/** A fresh server process on the seeded data: its peak RSS is then this export's alone. */
async function startServer() {
  const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = spawn(
    process.execPath,
    [...profile, cli, 'serve', '--data', dataDir, '--port', '0'],
    {
      env: {
        ...process.env,
        LOGPROOF_SELF_AUDIT_INTERVAL_MS: '0',
        LOGPROOF_RATE_LIMIT_PER_MINUTE: '0',
        LOGPROOF_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function procStats(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) * 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime, clock ticks (100/s)
  return { hwm, cpu: ticks / 100 };
}

async function measure(apiKey, label, query, rows) {
  const server = await startServer();
  try {
    const before = procStats(server.pid);
    const started = performance.now();
    const res = await fetch(`${server.url}/v1/events/export?${query}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${await res.text()}`);
    let bytes = 0;
    let pages = 0;
    let tail = '';
    for await (const chunk of res.body) {
      bytes += chunk.length;
      if (label.startsWith('pdf')) {
        // Page objects are uncompressed dictionaries: count "/Type /Page" (not /Pages).
        const text = tail + Buffer.from(chunk).toString('latin1');
        pages += (text.match(/\/Type \/Page\n/g) ?? []).length;
        tail = text.slice(-16);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const after = procStats(server.pid);
    const cpu = after.cpu - before.cpu;
    const line =
      `${label.padEnd(26)} ${fmt(rows / seconds).padStart(9)} rows/s  ${fmt(rows / cpu).padStart(9)} rows/CPU-s` +
      `  ${fmt(bytes / 2 ** 20, 0).padStart(5)} MiB in ${fmt(seconds, 1).padStart(5)} s  peak RSS ${fmt(after.hwm / 2 ** 20, 0)} MiB` +
      (pages > 0 ? `  ${fmt(pages)} pages, ${fmt(pages / seconds, 1)} pages/s` : '');
    console.log(line);
  } finally {
    await server.stop();
  }
}

try {
  console.log(
    `Logproof export benchmark — SQLite, node ${process.version}, ${availableParallelism()} CPUs, load average ${load()}\n`,
  );
  const apiKey = await seed();
  for (const format of formats) {
    if (format === 'pdf') {
      await measure(apiKey, `pdf (all ${fmt(total)} events)`, 'format=pdf&org=default', total);
      // The first 15,000 events: the table up to its page cap, a small bundle.
      const window = `from=${encodeURIComponent(occurred.first)}&to=${encodeURIComponent(occurred.at15k)}`;
      await measure(apiKey, 'pdf (15,000 events)', `format=pdf&org=default&${window}`, 15_000);
    } else {
      await measure(apiKey, format, `format=${format}&org=default`, total);
    }
  }
  console.log(
    `\nload average at the end: ${load()} (other work on the machine slows every figure)`,
  );
  console.log('Targets: csv and ndjson >= 100,000 rows/s with peak RSS <= 300 MB');
} finally {
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
  else if (!existsSync(keyFile)) console.log('note: no API key was saved');
}
