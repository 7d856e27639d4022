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
];
