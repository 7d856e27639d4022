// npm run bench:webhooks -w packages/server: webhook delivery on this machine.
// Prints figures; asserts only that every event arrived, in order per org.
//
//   1. throughput: a backlog of LOGPROOF_BENCH_BACKLOG events (default 20000)
//      recorded while no worker runs, then drained by `logproof worker` to a
//      receiver on 127.0.0.1 (keep-alive, answers 204 at once): events/s.
//   2. lag: `logproof serve` with its worker, ingesting LOGPROOF_BENCH_RATE
//      events/s (default 1000, batches every 100 ms) for LOGPROOF_BENCH_SECONDS
//      (default 20); lag = receipt time - the event's created_at.
//
//   LOGPROOF_TEST_DATABASE_URL  PostgreSQL admin URL; the PostgreSQL rows are skipped without it
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { fmt, startProcess } from './bench-util.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../../cli/bin/logproof.js');
const backlog = Number(process.env.LOGPROOF_BENCH_BACKLOG ?? 20_000);
const rate = Number(process.env.LOGPROOF_BENCH_RATE ?? 1_000);
const seconds = Number(process.env.LOGPROOF_BENCH_SECONDS ?? 20);

const BASE_ENV = {
  LOGPROOF_LOG_LEVEL: 'warn',
  LOGPROOF_RATE_LIMIT_PER_MINUTE: '0',
  LOGPROOF_SELF_AUDIT_INTERVAL_MS: '0',
  LOGPROOF_WEBHOOK_ALLOW_PRIVATE: '1',
  LOGPROOF_WEBHOOK_ALLOW_HTTP: '1',
};

/** A receiver that answers 204 at once and notes, per delivery, when it came and for which event. */
async function startReceiver() {
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      got.push({
        at,
        org: data.org,
        index: data.chain_index,
        createdAt: Date.parse(data.created_at),
      });
      res.writeHead(204);
      res.end();
    });
  });
  server.keepAliveTimeout = 10_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    got,
    close: () => server.close(),
  };
}

function keyOf(output) {
  const key = /lp_sk_[0-9A-Za-z]+/.exec(output)?.[0];
  if (!key) throw new Error('no admin key printed');
  return key;
}

async function post(base, key, path, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const sample = (i) => ({
  action: 'user.login',
  actor: { id: `user_${i % 97}`, name: 'Ada' },
  context: { ip: '203.0.113.7' },
  metadata: { seq: i },
});

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function expectInOrder(got, count) {
  const next = new Map();
  for (const g of got) {
    const want = next.get(g.org) ?? 0;
    if (g.index > want) throw new Error(`${g.org}: ${g.index} arrived before ${want}`);
    next.set(g.org, Math.max(want, g.index + 1));
  }
  const total = [...next.values()].reduce((a, b) => a + b, 0);
  if (total !== count) throw new Error(`delivered ${total} distinct events, want ${count}`);
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Phase 1: a backlog (over `orgs` orgs) drained by `logproof worker`. */
async function benchThroughput(label, env, orgs = 1) {
  const receiver = await startReceiver();
  const server = await startProcess([cli, 'serve', '--port', '0'], {
    ...BASE_ENV,
    ...env,
    LOGPROOF_WEBHOOK_WORKER: '0',
  });
  let worker;
  try {
    const key = keyOf(server.output());
    const orgIds = ['default'];
    for (let o = 1; o < orgs; o++) {
      orgIds.push(
        (await post(server.url, key, '/v1/orgs', { external_id: `bench-${o}`, name: `Bench ${o}` }))
          .external_id,
      );
    }
    await post(server.url, key, '/v1/webhooks', { url: receiver.url });
    for (let i = 0; i < backlog; i += 1000) {
      const events = Array.from({ length: Math.min(1000, backlog - i) }, (_, j) => ({
        ...sample(i + j),
        org: orgIds[(i + j) % orgs],
      }));
      await post(server.url, key, '/v1/events/batch', { events });
    }
    const started = Date.now();
    worker = spawn(process.execPath, [cli, 'worker'], {
      env: { ...process.env, ...BASE_ENV, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitUntil(() => receiver.got.length >= backlog, 600_000, 'the backlog');
    const first = receiver.got[0].at;
    const last = receiver.got.at(-1).at;
    expectInOrder(receiver.got, backlog);
    const perSecond = (backlog / Math.max(1, last - first)) * 1000;
    console.log(
      `${`${label}: backlog of ${backlog}, ${orgs} org${orgs > 1 ? 's' : ''}, one receiver`.padEnd(52)} ${fmt(perSecond).padStart(7)} events/s  (first delivery ${fmt(first - started)} ms after the worker started, ${fmt(last - first)} ms to drain)`,
    );
    return perSecond;
  } finally {
    if (worker) {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
    }
    await server.stop();
    receiver.close();
  }
}

/** Phase 2: lag while `serve` ingests `rate` events/s and delivers them. */
async function benchLag(label, env) {
  const receiver = await startReceiver();
  const server = await startProcess([cli, 'serve', '--port', '0'], { ...BASE_ENV, ...env });
  try {
    const key = keyOf(server.output());
    await post(server.url, key, '/v1/webhooks', { url: receiver.url });
    const perTick = Math.round(rate / 10);
    const ticks = seconds * 10;
    const started = Date.now();
    let sent = 0;
    let late = 0;
    const inFlight = [];
    for (let t = 0; t < ticks; t++) {
      const due = started + t * 100;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else late++;
      const events = Array.from({ length: perTick }, (_, j) => sample(sent + j));
      sent += perTick;
      inFlight.push(post(server.url, key, '/v1/events/batch', { events }));
    }
    await Promise.all(inFlight);
    const ingestEnd = Date.now();
    const achieved = (sent / (ingestEnd - started)) * 1000;
    await waitUntil(() => receiver.got.length >= sent, 120_000, 'every event');
    const drained = Date.now() - ingestEnd;
    expectInOrder(receiver.got, sent);
    const lags = receiver.got.map((g) => g.at - g.createdAt).sort((a, b) => a - b);
    // Steady state: events recorded after the first 5 s (JIT warm-up, first connections).
    const steady = receiver.got
      .filter((g) => g.createdAt >= started + 5_000)
      .map((g) => g.at - g.createdAt)
      .sort((a, b) => a - b);
    // The p50 lag of each 2-second window of recording time, to show a trend.
    const windows = [];
    for (let w = 0; w < seconds; w += 2) {
      const inWindow = receiver.got
        .filter((g) => g.createdAt >= started + w * 1000 && g.createdAt < started + (w + 2) * 1000)
        .map((g) => g.at - g.createdAt)
        .sort((a, b) => a - b);
      if (inWindow.length > 0) windows.push(fmt(quantile(inWindow, 0.5)));
    }
    console.log(
      `${`${label}: ${fmt(achieved)} events/s ingest for ${seconds} s`.padEnd(52)} lag p50 ${fmt(quantile(lags, 0.5))} ms  p99 ${fmt(quantile(lags, 0.99))} ms  max ${fmt(lags.at(-1))} ms  (drained ${fmt(drained)} ms after the last batch${late ? `, ${late} ticks late` : ''})`,
    );
    if (steady.length > 0) {
      console.log(
        `${''.padEnd(52)} after 5 s: lag p50 ${fmt(quantile(steady, 0.5))} ms  p99 ${fmt(quantile(steady, 0.99))} ms; p50 per 2 s window: ${windows.join(' ')} ms`,
      );
    }
    return { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: lags.at(-1) };
  } finally {
    await server.stop();
    receiver.close();
  }
}

console.log(`Logproof webhook delivery benchmark — node ${process.version}\n`);

async function onSqlite(run) {
  const dataDir = mkdtempSync(join(tmpdir(), 'logproof-webhook-bench-'));
  try {
    return await run({ LOGPROOF_DATA_DIR: dataDir });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function onPostgres(run) {
  const adminUrl = process.env.LOGPROOF_TEST_DATABASE_URL;
  const name = `logproof_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    return await run({
      LOGPROOF_DATABASE_URL: url.toString(),
      LOGPROOF_MASTER_KEY: randomBytes(32).toString('hex'),
      LOGPROOF_DATA_DIR: tmpdir(),
    });
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await onSqlite((env) => benchThroughput('sqlite', env));
await onSqlite((env) => benchThroughput('sqlite', env, 8));
await onSqlite((env) => benchLag('sqlite', env));
if (process.env.LOGPROOF_TEST_DATABASE_URL) {
  await onPostgres((env) => benchThroughput('postgres', env));
  await onPostgres((env) => benchThroughput('postgres', env, 8));
  await onPostgres((env) => benchLag('postgres', env));
} else {
  console.log('postgres rows skipped: set LOGPROOF_TEST_DATABASE_URL');
}
