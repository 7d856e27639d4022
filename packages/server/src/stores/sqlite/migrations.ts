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
];
