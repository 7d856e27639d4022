// npm run bench:list -w packages/server: GET /v1/events latency at 1,000,000
// events in one org on SQLite. Prints p50 / p99 per filter; asserts nothing.
// Target: p99 <= 50 ms for typical filters.
//
// Seeding goes through the store's own append (the same INSERTs, tables and
// indexes the server writes), not the HTTP API: a million events through the
// batch API would spend ten minutes hashing and signing, none of which a
// listing reads. Entries are realistic canonical JSON (PROOFS.md §2); hashes
// and signatures are random bytes, so this database is not a verifiable log:
// it is thrown away at the end.
//
//   LOGPROOF_BENCH_EVENTS    events to seed (default 1000000)
//   LOGPROOF_BENCH_REQUESTS  timed requests per filter (default 200)
//   LOGPROOF_BENCH_DATA_DIR  keep the database here and reuse it on the next
//                            run (default: a temporary folder, removed after);
//                            LOGPROOF_BENCH_DATA is the same, so that a data dir
//                            seeded by the export bench can be listed too
//   LOGPROOF_BENCH_POSTGRES  set to 1 to measure PostgreSQL instead, in a fresh
//                            database beside LOGPROOF_TEST_DATABASE_URL (dropped after)
import { canonicalJson, formatTimestamp } from '@logproof/core';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLogproof, readConfig } from '../dist/index.js';
import { entryTermsOf } from '../dist/query/event-terms.js';
import { fmt } from './bench-util.mjs';

const total = Number(process.env.LOGPROOF_BENCH_EVENTS ?? 1_000_000);
const requests = Number(process.env.LOGPROOF_BENCH_REQUESTS ?? 200);
const CHUNK = 10_000;
const DAY = 86_400_000;

// A deterministic generator, so that every run measures the same data.
let seed = 0x2545f491;
function random() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}
const pick = (list) => list[Math.floor(random() * list.length)];

// Skewed like a real product: logins dominate, billing is rare.
const ACTIONS = [
  ...Array(40).fill('user.login'),
  ...Array(15).fill('user.logout'),
  ...Array(20).fill('document.viewed'),
  ...Array(10).fill('document.shared'),
  ...Array(5).fill('document.deleted'),
  ...Array(4).fill('user.mfa.enabled'),
  ...Array(3).fill('billing.invoice.paid'),
  ...Array(2).fill('billing.plan.changed'),
  'admin.role.granted',
];
const PLANS = ['free', 'free', 'free', 'pro', 'pro', 'enterprise'];

function entryOf(org, chainIndex, createdAt, occurredAt) {
  const actorNo = Math.floor(random() ** 2 * 20_000); // a few very active users
  const service = random() < 0.05;
  const targets =
    random() < 0.8
      ? [{ id: `doc_${Math.floor(random() * 100_000)}`, type: 'document', name: 'Q3 board deck' }]
      : [];
  if (random() < 0.2) targets.push({ id: `team_${Math.floor(random() * 500)}`, type: 'team' });
  return {
    v: 1,
    id: `evt_bench${chainIndex.toString(36).padStart(10, '0')}`,
    org: org.id,
    org_external_id: org.externalId,
    chain_index: chainIndex,
    action: pick(ACTIONS),
    actor: service
      ? { id: `svc_${actorNo % 20}`, type: 'service' }
      : {
          id: `user_${actorNo}`,
          type: 'user',
          name: `User ${actorNo}`,
          email: `user${actorNo}@example.com`,
        },
    targets,
    metadata: { plan: pick(PLANS), seats: Math.floor(random() * 200), sso: random() < 0.3 },
    context: {
      ip: `203.0.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
      user_agent: 'Mozilla/5.0',
    },
    occurred_at: formatTimestamp(occurredAt),
    created_at: formatTimestamp(createdAt),
    entry_type: 'business',
    outcome: random() < 0.03 ? 'failure' : 'success',
  };
}

async function seed1M(store, org) {
  const start = Date.now() - 365 * DAY;
  const step = (365 * DAY) / total;
  const started = performance.now();
  for (let from = 0; from < total; from += CHUNK) {
    const count = Math.min(CHUNK, total - from);
    await store.append([{ orgId: org.id, knownTreeSize: -1 }], (logs) => {
      const { head } = logs.get(org.id);
      const events = [];
      const terms = [];
      for (let i = 0; i < count; i++) {
        const chainIndex = head.treeSize + i;
        const createdAt = Math.floor(start + chainIndex * step);
        // Mostly in order, some backfilled by up to an hour.
        const occurredAt = createdAt - (random() < 0.1 ? Math.floor(random() * 3_600_000) : 0);
        const entry = entryOf(org, chainIndex, createdAt, occurredAt);
        terms.push(entryTermsOf(entry));
        events.push({
          id: entry.id,
          projectId: org.projectId,
          orgId: org.id,
          chainIndex,
          canonical: canonicalJson(entry),
          leafHash: randomBytes(32),
          hash: randomBytes(32),
          previousHash: randomBytes(32),
          signature: randomBytes(64),
          keyId: '0a1b2c3d',
          action: entry.action,
          actorId: entry.actor.id,
          actorType: entry.actor.type,
          occurredAt,
          createdAt,
          outcome: entry.outcome,
          entryType: entry.entry_type,
          targets: entry.targets.map((t) => ({ type: t.type, id: t.id })),
        });
      }
      const size = head.treeSize + count;
      const rootHash = randomBytes(32);
      return {
        logs: [
          {
            orgId: org.id,
            events,
            terms,
            treeHashes: [],
            checkpoint: {
              orgId: org.id,
              treeSize: size,
              rootHash,
              note: 'bench',
              keyId: '0a1b2c3d',
              createdAt: Date.now(),
            },
            head: { treeSize: size, headHash: events.at(-1).hash, rootHash },
          },
        ],
        idempotency: [],
        result: undefined,
      };
    });
    if ((from / CHUNK) % 10 === 9) {
      process.stdout.write(
        `  seeded ${fmt(from + count)} events (${fmt((performance.now() - started) / 1000, 1)} s)\r`,
      );
    }
  }
  return (performance.now() - started) / 1000;
}

async function createPostgresDatabase() {
  const adminUrl = process.env.LOGPROOF_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('LOGPROOF_BENCH_POSTGRES needs LOGPROOF_TEST_DATABASE_URL');
  const name = `logproof_list_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE ${name} WITH (FORCE)`) };
}

async function analyze(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(app, key, label, query, { follow = 0 } = {}) {
  const headers = { authorization: `Bearer ${key}` };
  let url = `/v1/events?${query}`;
  // Walk `follow` pages first, so that a deep page is what gets timed.
  for (let i = 0; i < follow; i++) {
    const body = (await app.inject({ method: 'GET', url, headers })).json();
    // A smaller log may end sooner: then its last page is timed.
    if (body.next_cursor === null) break;
    url = `/v1/events?${query}&cursor=${body.next_cursor}`;
  }
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url, headers });
  const times = [];
  let rows = 0;
  // A slow filter gets fewer runs (at least 10), so that the run stays short.
  const deadline = performance.now() + 10_000;
  for (let i = 0; i < requests && (i < 10 || performance.now() < deadline); i++) {
    const t0 = performance.now();
    const res = await app.inject({ method: 'GET', url, headers });
    times.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`${label}: ${res.statusCode} ${res.body}`);
    rows = res.json().data.length;
    // inject() never yields to the event loop on its own.
    await new Promise((resolve) => setImmediate(resolve));
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  console.log(
    `${label.padEnd(52)} ${String(rows).padStart(4)} rows  n=${String(times.length).padEnd(4)} p50 ${fmt(p50, 1).padStart(6)} ms  p99 ${fmt(p99, 1).padStart(6)} ms${p99 > 50 ? '  (over 50 ms)' : ''}`,
  );
  return { label, p50, p99 };
}

const keepDir = process.env.LOGPROOF_BENCH_DATA_DIR ?? process.env.LOGPROOF_BENCH_DATA;
const dataDir = keepDir ?? mkdtempSync(join(tmpdir(), 'logproof-list-bench-'));
const postgres =
  process.env.LOGPROOF_BENCH_POSTGRES === '1' ? await createPostgresDatabase() : null;
try {
  const config = readConfig(
    {},
    {
      dataDir,
      logLevel: 'silent',
      rateLimitPerMinute: 0,
      maxEventLoopDelayMs: 0,
      ...(postgres
        ? { databaseUrl: postgres.url, masterKey: randomBytes(32).toString('hex') }
        : {}),
    },
  );
  const lp = await createLogproof(config, { init: true, logger: false });
  // On a reused database the key of the first run is read back.
  const keyFile = join(dataDir, 'bench-api-key');
  if (lp.initialApiKey) writeFileSync(keyFile, lp.initialApiKey, { mode: 0o600 });
  const key = lp.initialApiKey ?? readFileSync(keyFile, 'utf8');
  const projectId = (await lp.tenancy.authenticate(key)).projectId;
  const org = await lp.store.findOrg(projectId, 'default');
  console.log(
    `Logproof list benchmark — ${fmt(total)} events in one org, ${postgres ? 'PostgreSQL' : 'SQLite'}, node ${process.version}`,
  );
  if (org.treeSize === 0) {
    const seconds = await seed1M(lp.store, org);
    console.log(
      `seeded ${fmt(total)} events through the store in ${fmt(seconds, 1)} s (${fmt(total / seconds)} events/s)\n`,
    );
    // What autovacuum would do after a bulk load: give the planner statistics.
    if (postgres) await analyze(postgres.url);
  } else {
    console.log(`reusing the ${fmt(org.treeSize)} events in ${dataDir}\n`);
  }

  const day = new Date(Date.now() - 100 * DAY).toISOString().slice(0, 10);
  const next = new Date(Date.parse(day) + DAY).toISOString().slice(0, 10);
  const q = (text) => `org=default&limit=100&q=${encodeURIComponent(text)}`;
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(`load average before: ${load()}`);
  const results = [
    await measure(lp.app, key, 'newest 100, no filter (project-wide)', 'limit=100'),
    await measure(lp.app, key, 'newest 100 of the org', 'org=default&limit=100'),
    await measure(lp.app, key, 'org, page 50 (49 cursors deep)', 'org=default&limit=100', {
      follow: 49,
    }),
    await measure(lp.app, key, 'org, oldest first', 'org=default&limit=100&order=asc'),
    await measure(
      lp.app,
      key,
      'action=user.login (40%)',
      'org=default&action=user.login&limit=100',
    ),
    await measure(lp.app, key, 'action=billing.* (5%)', 'org=default&action=billing.*&limit=100'),
    await measure(
      lp.app,
      key,
      'action=admin.role.granted (1%)',
      'org=default&action=admin.role.granted&limit=100',
    ),
    await measure(
      lp.app,
      key,
      'actor_id=user_5000 (a user with ~35 events)',
      'org=default&actor_id=user_5000&limit=100',
    ),
    await measure(
      lp.app,
      key,
      'target_id=doc_4242 (~8 events)',
      'org=default&target_id=doc_4242&target_type=document&limit=100',
    ),
    await measure(
      lp.app,
      key,
      `one day: from=${day} to=${next}`,
      `org=default&from=${day}T00:00:00Z&to=${next}T00:00:00Z&limit=100`,
    ),
    await measure(lp.app, key, 'outcome=failure (3%)', 'org=default&outcome=failure&limit=100'),
    await measure(
      lp.app,
      key,
      'q=metadata.plan:enterprise (17%)',
      `org=default&limit=100&q=${encodeURIComponent('metadata.plan:enterprise')}`,
    ),
    await measure(
      lp.app,
      key,
      'q=action:user.* AND NOT actor.type:service',
      `org=default&limit=100&q=${encodeURIComponent('action:user.* AND NOT actor.type:service')}`,
    ),
    await measure(
      lp.app,
      key,
      'q=actor.email:user5000@example.com (JSON, rare)',
      `org=default&limit=100&q=${encodeURIComponent('actor.email:user5000@example.com')}`,
    ),
    await measure(
      lp.app,
      key,
      'q=actor.id:user_5000 OR target.id:doc_4242',
      `org=default&limit=100&q=${encodeURIComponent('actor.id:user_5000 OR target.id:doc_4242')}`,
    ),
    // JSON-only terms (event_terms, migration 7) and OR across fields (a
    // UNION of index-driven branches). The values exist in the list bench's
    // data and in the export bench's (LOGPROOF_BENCH_DATA), but for
    // user5000 and plan:legacy, which match nothing: the worst case of a scan.
    await measure(lp.app, key, 'q=actor.name:"User 4242" (JSON)', q('actor.name:"User 4242"')),
    await measure(lp.app, key, 'q=context.ip:203.0.17.42 (JSON)', q('context.ip:203.0.17.42')),
    await measure(lp.app, key, 'q=metadata.plan:legacy (JSON, none)', q('metadata.plan:legacy')),
    await measure(lp.app, key, 'q=actor.email:user4242* (JSON prefix)', q('actor.email:user4242*')),
    await measure(lp.app, key, 'q=actor.email:user* (JSON prefix, common)', q('actor.email:user*')),
    await measure(
      lp.app,
      key,
      'q=actor.email:user4242@… OR context.ip:203.0.17.42',
      q('actor.email:user4242@example.com OR context.ip:203.0.17.42'),
    ),
    await measure(
      lp.app,
      key,
      'q=(actor.id:user_4242 OR target.id:doc_4242), page 3',
      q('actor.id:user_4242 OR target.id:doc_4242').replace('limit=100', 'limit=20'),
      { follow: 2 },
    ),
    await measure(
      lp.app,
      key,
      'q=actor.name:"User 4242" AND NOT action:user.login',
      q('actor.name:"User 4242" AND NOT action:user.login'),
    ),
  ];
  console.log(`load average after: ${load()}`);
  const over = results.filter((r) => r.p99 > 50);
  console.log(`\n${results.length - over.length} of ${results.length} filters at p99 <= 50 ms`);
  await lp.close();
} finally {
  if (!keepDir) rmSync(dataDir, { recursive: true, force: true });
  await postgres?.drop();
}
