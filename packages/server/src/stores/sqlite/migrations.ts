/** Versioned schema for the embedded SQLite store. Append new versions; never edit old ones. */
export const SQLITE_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'tenancy, logs, events, tree hashes, checkpoints, idempotency',
    sql: `
CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX api_keys_by_project ON api_keys(project_id, created_at);

CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  external_id TEXT NOT NULL,
  name TEXT NOT NULL,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  tree_size INTEGER NOT NULL,
  head_hash BLOB NOT NULL,
  root_hash BLOB NOT NULL,
  UNIQUE (project_id, external_id)
) STRICT;

CREATE TABLE org_keys (
  org_id TEXT NOT NULL REFERENCES orgs(id),
  key_id TEXT NOT NULL,
  public_key BLOB NOT NULL,
  sealed_seed BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER,
  PRIMARY KEY (org_id, key_id)
) STRICT;

CREATE TABLE events (
  org_id TEXT NOT NULL,
  chain_index INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  canonical TEXT NOT NULL,
  leaf_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  previous_hash BLOB NOT NULL,
  signature BLOB NOT NULL,
  key_id TEXT NOT NULL,
  action TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  entry_type TEXT NOT NULL,
  PRIMARY KEY (org_id, chain_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE event_targets (
  org_id TEXT NOT NULL,
  chain_index INTEGER NOT NULL,
  position INTEGER NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  PRIMARY KEY (org_id, chain_index, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE tree_hashes (
  org_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (org_id, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkpoints (
  org_id TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  note TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, tree_size)
) STRICT, WITHOUT ROWID;

CREATE TABLE idempotency_keys (
  project_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  event_ids TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, key)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'indexes for listing and search (GET /v1/events)',
    // Every listing is ordered by (occurred_at, org_id, chain_index); each
    // index ends in that key so that a filtered page is an index range read
    // in order, stopping after `limit` rows, and a cursor seeks into it.
    sql: `
CREATE INDEX events_by_project_time ON events(project_id, occurred_at, org_id, chain_index);
CREATE INDEX events_by_org_time ON events(org_id, occurred_at, chain_index);
CREATE INDEX events_by_org_action ON events(org_id, action, occurred_at, chain_index);
CREATE INDEX events_by_project_actor ON events(project_id, actor_id, occurred_at, org_id, chain_index);
CREATE INDEX event_targets_by_target ON event_targets(target_id, target_type, org_id, chain_index);
`,
  },
  {
    version: 3,
    name: 'hash lookups (GET /v1/hashes/{hex})',
    // One index per hash column: events are found by their chain hash or
    // their leaf hash, then filtered by project.
    sql: `
CREATE INDEX events_by_hash ON events(hash);
CREATE INDEX events_by_leaf_hash ON events(leaf_hash);
`,
  },
  {
    version: 4,
    name: 'webhook streams: destinations, delivery cursors, attempts',
    // One cursor per (webhook, org) is the whole delivery state: no row per
    // event. The lease columns keep two workers off one webhook.
    sql: `
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  url TEXT NOT NULL,
  description TEXT NOT NULL,
  org_id TEXT REFERENCES orgs(id),
  actions TEXT,
  enabled INTEGER NOT NULL,
  disabled_reason TEXT,
  sealed_secret BLOB NOT NULL,
  sealed_previous_secret BLOB,
  previous_secret_expires_at INTEGER,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  failing_since INTEGER,
  last_success_at INTEGER,
  last_failure_at INTEGER,
  lease_owner TEXT,
  lease_expires_at INTEGER
) STRICT;
CREATE INDEX webhooks_by_project ON webhooks(project_id, id);

CREATE TABLE webhook_cursors (
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  next_index INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  PRIMARY KEY (webhook_id, org_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  org_id TEXT,
  event_id TEXT,
  chain_index INTEGER,
  message_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  attempted_at INTEGER NOT NULL,
  next_retry_at INTEGER
) STRICT;
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts(webhook_id, id);
`,
  },
  {
    version: 5,
    name: 'exports: background export jobs and their files (PostgreSQL keeps files here)',
    // A job row per POST /v1/exports; export_chunks holds a file in 1 MiB
    // pieces where every server process must be able to serve it.
    sql: `
CREATE TABLE exports (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  org_id TEXT REFERENCES orgs(id),
  format TEXT NOT NULL,
  params TEXT NOT NULL,
  status TEXT NOT NULL,
  rows_total INTEGER,
  row_count INTEGER NOT NULL,
  byte_count INTEGER NOT NULL,
  sha256 TEXT,
  error TEXT,
  owner TEXT,
  heartbeat_at INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX exports_by_status ON exports(status, expires_at);

CREATE TABLE export_chunks (
  export_id TEXT NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (export_id, seq)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 6,
    name: 'portal: project branding, single-use portal links, portal sessions',
    // Tokens are stored only as SHA-256 hex (unique: the lookup key). A link
    // is consumed by one conditional UPDATE on used_at (stores/sqlite/portal.ts).
    sql: `
ALTER TABLE projects ADD COLUMN logo_url TEXT;
ALTER TABLE projects ADD COLUMN accent_color TEXT;

CREATE TABLE portal_links (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  org_id TEXT NOT NULL REFERENCES orgs(id),
  token_hash TEXT NOT NULL UNIQUE,
  permissions TEXT NOT NULL,
  session_ttl INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) STRICT;
CREATE INDEX portal_links_by_org ON portal_links(org_id, created_at);

CREATE TABLE portal_sessions (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  org_id TEXT NOT NULL REFERENCES orgs(id),
  link_id TEXT NOT NULL REFERENCES portal_links(id),
  permissions TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX portal_sessions_by_org ON portal_sessions(org_id, created_at);
`,
  },
  {
    version: 7,
    name: 'search terms: JSON-only q fields as index rows (event_terms), backfilled',
    // One row per searchable value that has no column (query/event-terms.ts:
    // actor.name, actor.email, context.ip, each metadata string), keyed
    // so that a term is an index range in listing order, as
    // events_by_project_time is; org_id is in the key, so an org's rows are
    // told apart without reading the events. The backfill computes in SQL what
    // eventTermsOf computes at append time, sorted into key order so that the
    // table is built by appending rather than by random inserts.
    sql: `
CREATE TABLE event_terms (
  project_id TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  org_id TEXT NOT NULL,
  chain_index INTEGER NOT NULL,
  PRIMARY KEY (project_id, field, value, occurred_at, org_id, chain_index)
) STRICT, WITHOUT ROWID;

INSERT INTO event_terms (project_id, field, value, occurred_at, org_id, chain_index)
SELECT * FROM (
  SELECT e.project_id, 'actor.' || j.key, substr(j.value, 1, 128), e.occurred_at, e.org_id, e.chain_index
  FROM events e, json_each(e.canonical, '$.actor') j
  WHERE j.key IN ('name', 'email') AND j.type = 'text'
  UNION ALL
  SELECT e.project_id, 'context.ip', substr(j.value, 1, 128), e.occurred_at, e.org_id, e.chain_index
  FROM events e, json_each(e.canonical, '$.context') j
  WHERE j.key = 'ip' AND j.type = 'text'
  UNION ALL
  SELECT e.project_id, 'metadata.' || j.key, substr(j.value, 1, 128), e.occurred_at, e.org_id, e.chain_index
  FROM events e, json_each(e.canonical, '$.metadata') j
  WHERE j.type = 'text'
)
ORDER BY 1, 2, 3, 4, 5, 6;
`,
  },
  {
    version: 8,
    name: 'failed events by time: partial indexes for outcome=failure',
    // outcome=failure read through events_by_org_time walks until it has a
    // page: 3,300 rows when 3% fail, the whole log (1.5 s at a million
    // events) when none do. These hold the failed events alone, in listing
    // order, so they cost an append nothing but for the rare failures. The
    // WHERE text is query-plan.ts INDEXED_OUTCOME, as sql-builder.ts writes it.
    sql: `
CREATE INDEX failed_events_by_project_time ON events(project_id, occurred_at, org_id, chain_index)
  WHERE outcome = 'failure';
CREATE INDEX failed_events_by_org_time ON events(org_id, occurred_at, chain_index)
  WHERE outcome = 'failure';
`,
  },
  {
    version: 9,
    name: 'hash lookups indexed after the commit (hash_index, hash_index_pending)',
    // events_by_hash and events_by_leaf_hash put two index entries at random
    // places per appended event: on a grown log two b-tree pages written per
    // event at every commit, about a quarter of an append's cost. Those
    // lookups (GET /v1/hashes/{hex}) now read hash_index, which the append
    // writer fills after the commit, a few thousand events at a time in key
    // order (./hash-index.ts), plus each org's not yet indexed tail, read from
    // the events themselves (./log-reads.ts findHash), so a hash is found from
    // the moment its event is acknowledged. An org has a hash_index_pending
    // row, holding how far its log is indexed, exactly while its log has
    // events that are not.
    sql: `
CREATE TABLE hash_index (
  hash BLOB NOT NULL,
  org_id TEXT NOT NULL,
  chain_index INTEGER NOT NULL,
  PRIMARY KEY (hash, org_id, chain_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE hash_index_pending (
  org_id TEXT PRIMARY KEY,
  indexed_size INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO hash_index (hash, org_id, chain_index)
SELECT * FROM (
  SELECT hash, org_id, chain_index FROM events
  UNION ALL
  SELECT leaf_hash, org_id, chain_index FROM events
)
ORDER BY 1, 2, 3;

DROP INDEX events_by_hash;
DROP INDEX events_by_leaf_hash;
`,
  },
];
