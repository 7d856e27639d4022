import type {
  ApiKeyRecord,
  CheckpointRecord,
  EventRecord,
  EventTargetRef,
  OrgKeyRecord,
  OrgRecord,
  ProjectRecord,
  Scope,
} from '../store/records.js';

// Row → record mappings shared by both adapters: their tables have the same
// column names, and both drivers hand back numbers (BIGINT parsed) and bytes.

/** A database row as a driver returns it. */
export type Row = Record<string, unknown>;

/**
 * A JSON column's value: SQLite keeps JSON as TEXT, pg hands JSON and
 * JSONB columns back parsed (org metadata is JSON there, scopes JSONB: see
 * postgres/migrations.ts). Both always hold an object or an array, never a
 * bare JSON string, so a string is SQLite's TEXT.
 */
function fromJsonColumn(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

export function toProject(row: Row): ProjectRecord {
  return { id: row.id as string, name: row.name as string, createdAt: row.created_at as number };
}

export function toOrg(row: Row): OrgRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    externalId: row.external_id as string,
    name: row.name as string,
    metadata: fromJsonColumn(row.metadata) as Record<string, string>,
    createdAt: row.created_at as number,
    treeSize: row.tree_size as number,
    headHash: row.head_hash as Uint8Array,
    rootHash: row.root_hash as Uint8Array,
  };
}

export function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    name: row.name as string,
    prefix: row.prefix as string,
    secretHash: row.secret_hash as string,
    scopes: fromJsonColumn(row.scopes) as Scope[],
    createdAt: row.created_at as number,
    revokedAt: (row.revoked_at as number | null) ?? null,
  };
}

export function toEvent(row: Row, targets: readonly EventTargetRef[]): EventRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    orgId: row.org_id as string,
    chainIndex: row.chain_index as number,
    canonical: row.canonical as string,
    leafHash: row.leaf_hash as Uint8Array,
    hash: row.hash as Uint8Array,
    previousHash: row.previous_hash as Uint8Array,
    signature: row.signature as Uint8Array,
    keyId: row.key_id as string,
    action: row.action as string,
    actorId: row.actor_id as string,
    actorType: row.actor_type as string,
    occurredAt: row.occurred_at as number,
    createdAt: row.created_at as number,
    outcome: row.outcome as string,
    entryType: row.entry_type as string,
    targets,
  };
}

export function toCheckpoint(row: Row): CheckpointRecord {
  return {
    orgId: row.org_id as string,
    treeSize: row.tree_size as number,
    rootHash: row.root_hash as Uint8Array,
    note: row.note as string,
    keyId: row.key_id as string,
    createdAt: row.created_at as number,
  };
}

export function toOrgKey(row: Row): OrgKeyRecord {
  return {
    orgId: row.org_id as string,
    keyId: row.key_id as string,
    publicKey: row.public_key as Uint8Array,
    sealedSeed: row.sealed_seed as Uint8Array,
    createdAt: row.created_at as number,
    retiredAt: (row.retired_at as number | null) ?? null,
  };
}
