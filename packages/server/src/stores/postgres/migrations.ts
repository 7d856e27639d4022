/**
 * Versioned schema for the PostgreSQL store: the same tables as SQLite's
 * (../sqlite/migrations.ts). Append new versions; never edit old ones.
 *
 * Times and positions are BIGINT (milliseconds, chain indexes), hashes and
 * keys BYTEA. Org metadata is JSON, not JSONB: JSONB reorders object keys,
 * and an org must read back exactly as SQLite returns it; the arrays (scopes,
 * event ids) keep their order in JSONB. Ids that `listOrgs` / `listApiKeys` page
 * over are COLLATE "C" so that keyset pagination follows byte order, as in
 * SQLite, whatever the database's default collation is.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'tenancy, logs, events, tree hashes, checkpoints, idempotency',
    sql: `
CREATE TABLE projects (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  scopes JSONB NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX api_keys_by_project ON api_keys(project_id, created_at);

CREATE TABLE orgs (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
  external_id TEXT NOT NULL,
  name TEXT NOT NULL,
  metadata JSON NOT NULL,
  created_at BIGINT NOT NULL,
  tree_size BIGINT NOT NULL,
  head_hash BYTEA NOT NULL,
  root_hash BYTEA NOT NULL,
  UNIQUE (project_id, external_id)
);

CREATE TABLE org_keys (
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  key_id TEXT NOT NULL,
  public_key BYTEA NOT NULL,
  sealed_seed BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT,
  PRIMARY KEY (org_id, key_id)
);

CREATE TABLE events (
  org_id TEXT COLLATE "C" NOT NULL,
  chain_index BIGINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT COLLATE "C" NOT NULL,
  canonical TEXT NOT NULL,
  leaf_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL,
  previous_hash BYTEA NOT NULL,
  signature BYTEA NOT NULL,
  key_id TEXT NOT NULL,
  action TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  occurred_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  entry_type TEXT NOT NULL,
  PRIMARY KEY (org_id, chain_index)
);

CREATE TABLE event_targets (
  org_id TEXT COLLATE "C" NOT NULL,
  chain_index BIGINT NOT NULL,
  position INTEGER NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  PRIMARY KEY (org_id, chain_index, position)
);

CREATE TABLE tree_hashes (
  org_id TEXT COLLATE "C" NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (org_id, idx)
);

CREATE TABLE checkpoints (
  org_id TEXT COLLATE "C" NOT NULL,
  tree_size BIGINT NOT NULL,
  root_hash BYTEA NOT NULL,
  note TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, tree_size)
);

CREATE TABLE idempotency_keys (
  project_id TEXT COLLATE "C" NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  event_ids JSONB NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (project_id, key)
);
`,
  },
  {
    version: 2,
    name: 'indexes for listing and search (GET /v1/events)',
    // As SQLite's version 2. Text columns that filters compare are indexed
    // COLLATE "C" (byte order, as SQLite's BINARY): the queries compare them
    // so, which makes `prefix*` ranges and cursors order alike on both
    // backends whatever the database's default collation.
    sql: `
CREATE INDEX events_by_project_time ON events(project_id, occurred_at, org_id, chain_index);
CREATE INDEX events_by_org_time ON events(org_id, occurred_at, chain_index);
CREATE INDEX events_by_org_action ON events(org_id, action COLLATE "C", occurred_at, chain_index);
CREATE INDEX events_by_project_actor ON events(project_id, actor_id COLLATE "C", occurred_at, org_id, chain_index);
CREATE INDEX event_targets_by_target ON event_targets(target_id COLLATE "C", target_type COLLATE "C", org_id, chain_index);
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
    // As SQLite's version 4; actions are JSONB (an array keeps its order).
    sql: `
CREATE TABLE webhooks (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
  url TEXT NOT NULL,
  description TEXT NOT NULL,
  org_id TEXT COLLATE "C" REFERENCES orgs(id),
  actions JSONB,
  enabled BOOLEAN NOT NULL,
  disabled_reason TEXT,
  sealed_secret BYTEA NOT NULL,
  sealed_previous_secret BYTEA,
  previous_secret_expires_at BIGINT,
  version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  failing_since BIGINT,
  last_success_at BIGINT,
  last_failure_at BIGINT,
  lease_owner TEXT,
  lease_expires_at BIGINT
);
CREATE INDEX webhooks_by_project ON webhooks(project_id, id);

CREATE TABLE webhook_cursors (
  webhook_id TEXT COLLATE "C" NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  next_index BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  PRIMARY KEY (webhook_id, org_id)
);

CREATE TABLE webhook_attempts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id TEXT COLLATE "C" NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  org_id TEXT,
  event_id TEXT,
  chain_index BIGINT,
  message_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  attempted_at BIGINT NOT NULL,
  next_retry_at BIGINT
);
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts(webhook_id, id);
`,
  },
  {
    version: 5,
    name: 'exports: background export jobs and their files (PostgreSQL keeps files here)',
    // As SQLite's version 5. Export files live in export_chunks so that any
    // process sharing the database can serve a download.
    sql: `
CREATE TABLE exports (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
  org_id TEXT COLLATE "C" REFERENCES orgs(id),
  format TEXT NOT NULL,
  params JSONB NOT NULL,
  status TEXT NOT NULL,
  rows_total BIGINT,
  row_count BIGINT NOT NULL,
  byte_count BIGINT NOT NULL,
  sha256 TEXT,
  error TEXT,
  owner TEXT,
  heartbeat_at BIGINT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  expires_at BIGINT NOT NULL
);
CREATE INDEX exports_by_status ON exports(status, expires_at);

CREATE TABLE export_chunks (
  export_id TEXT COLLATE "C" NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (export_id, seq)
);
`,
  },
  {
    version: 6,
    name: 'portal: project branding, single-use portal links, portal sessions',
    // As SQLite's version 6. A link is consumed by one conditional
    // UPDATE ... RETURNING (stores/postgres/portal.ts): under READ COMMITTED a
    // second UPDATE waits for the first and re-checks used_at, so one wins.
    sql: `
ALTER TABLE projects ADD COLUMN logo_url TEXT;
ALTER TABLE projects ADD COLUMN accent_color TEXT;

CREATE TABLE portal_links (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  token_hash TEXT NOT NULL UNIQUE,
  permissions TEXT NOT NULL,
  session_ttl INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX portal_links_by_org ON portal_links(org_id, created_at);

CREATE TABLE portal_sessions (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  link_id TEXT COLLATE "C" NOT NULL REFERENCES portal_links(id),
  permissions TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX portal_sessions_by_org ON portal_sessions(org_id, created_at);
`,
  },
  {
    version: 7,
    name: 'search terms: JSON-only q fields as index rows (event_terms), backfilled',
    // As SQLite's version 7. Text in the key is COLLATE "C", as the listing
    // compares it. json_each gives a member's JSON, #>> '{}' a string
    // unescaped; left() counts code points, as SQLite's substr.
    sql: `
CREATE TABLE event_terms (
  project_id TEXT COLLATE "C" NOT NULL,
  field TEXT COLLATE "C" NOT NULL,
  value TEXT COLLATE "C" NOT NULL,
  occurred_at BIGINT NOT NULL,
  org_id TEXT COLLATE "C" NOT NULL,
  chain_index BIGINT NOT NULL,
  PRIMARY KEY (project_id, field, value, occurred_at, org_id, chain_index)
);

INSERT INTO event_terms (project_id, field, value, occurred_at, org_id, chain_index)
SELECT e.project_id, t.field, t.value, e.occurred_at, e.org_id, e.chain_index
FROM events e
CROSS JOIN LATERAL (SELECT e.canonical::json AS entry) c
CROSS JOIN LATERAL (
  SELECT 'actor.' || m.key AS field, left(m.value #>> '{}', 128) AS value
  FROM json_each(CASE json_typeof(c.entry -> 'actor') WHEN 'object' THEN c.entry -> 'actor' END) m
  WHERE m.key IN ('name', 'email') AND json_typeof(m.value) = 'string'
  UNION ALL
  SELECT 'context.ip', left(m.value #>> '{}', 128)
  FROM json_each(CASE json_typeof(c.entry -> 'context') WHEN 'object' THEN c.entry -> 'context' END) m
  WHERE m.key = 'ip' AND json_typeof(m.value) = 'string'
  UNION ALL
  SELECT 'metadata.' || m.key, left(m.value #>> '{}', 128)
  FROM json_each(CASE json_typeof(c.entry -> 'metadata') WHEN 'object' THEN c.entry -> 'metadata' END) m
  WHERE json_typeof(m.value) = 'string'
) t
ORDER BY 1, 2, 3, 4, 5, 6;
`,
  },
  {
    version: 8,
    name: 'failed events by time: partial indexes for outcome=failure',
    // As SQLite's version 8. The planner can use them because the listing
    // states outcome = 'failure' as text, not as a parameter.
    sql: `
CREATE INDEX failed_events_by_project_time ON events(project_id, occurred_at, org_id, chain_index)
  WHERE outcome = 'failure';
CREATE INDEX failed_events_by_org_time ON events(org_id, occurred_at, chain_index)
  WHERE outcome = 'failure';
`,
  },
];
