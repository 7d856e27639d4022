// The API's answers (API.md), snake_case exactly as sent. Event shapes come
// from the core's schemas, so the SDK and the server cannot drift apart.
import type { ActorType, BatchItem, EventInput, Outcome, StoredEvent } from '@logproof/core';

export type { ActorType, BatchItem, EventInput, Outcome, StoredEvent };

/** One page of a list endpoint; `next_cursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Filters of `GET /v1/events` (API.md "Reading"). Dates may be passed as `Date`. */
export interface EventListFilter {
  /** Org id or external id. */
  org?: string;
  /** Exact action, or a prefix with a trailing `.*` wildcard (`user.*`). */
  action?: string;
  actor_id?: string;
  actor_type?: ActorType;
  target_id?: string;
  target_type?: string;
  /** On `occurred_at`, inclusive lower bound. */
  from?: string | Date;
  /** On `occurred_at`, upper bound. */
  to?: string | Date;
  outcome?: Outcome;
  /** Lucene-style query (API.md "Reading"). */
  q?: string;
  /** Page size, 1..1000 (server default 100). */
  limit?: number;
  /** `desc` (server default) or `asc`. */
  order?: 'asc' | 'desc';
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/** An org (API.md "Orgs and keys"). */
export interface Org {
  id: string;
  external_id: string;
  name: string;
  metadata: Record<string, string>;
  created_at: string;
  /** The log origin, also the signing key's name (PROOFS.md §1). */
  origin: string;
  tree_size: number;
  /** Current RFC 6962 root, hex. */
  root_hash: string;
  /** Current signing key ID, 8 hex digits. */
  key_id: string;
  /** C2SP verifier key of the current signing key (PROOFS.md §5). */
  verifier_key: string;
}

/** Body of `POST /v1/orgs`. */
export interface OrgInput {
  external_id: string;
  name: string;
  metadata?: Record<string, string>;
}

/** One signing key of an org's log, current or retired. */
export interface OrgKey {
  key_id: string;
  verifier_key: string;
  /** base64 of the 32-byte Ed25519 public key. */
  public_key: string;
  created_at: string;
  retired_at: string | null;
}

/** A signed checkpoint with its parsed fields (`Accept: application/json`). */
export interface CheckpointInfo {
  origin: string;
  tree_size: number;
  /** hex */
  root_hash: string;
  /** The C2SP signed note (PROOFS.md §5). */
  checkpoint: string;
  key_id: string;
  verifier_key: string;
  created_at: string;
}

/**
 * The public checkpoint of a log. The signed note is always there; the other
 * members are read from it when the server sends only the note (text/plain).
 * None of it is trustworthy before it is verified with a key obtained out of
 * band (see `verifyCheckpointNote`).
 */
export interface PublicCheckpoint {
  origin: string;
  tree_size: number;
  root_hash: string;
  checkpoint: string;
  key_id?: string;
  verifier_key?: string;
  created_at?: string;
}

/** `GET /v1/orgs/{org}/proofs/inclusion`. */
export interface InclusionProofResponse {
  leaf_index: number;
  tree_size: number;
  leaf_hash: string;
  /** RFC 6962 audit path, hex, from the leaf upwards. */
  hashes: string[];
}

/** Which leaf and tree an inclusion proof is asked for: by position, or by event id. */
export type InclusionProofQuery =
  { leaf_index: number; tree_size: number } | { event_id: string; tree_size?: number };

/** `GET /v1/orgs/{org}/proofs/consistency` (and its public twin). */
export interface ConsistencyProofResponse {
  from_size: number;
  to_size: number;
  /** RFC 6962 consistency proof, hex. */
  hashes: string[];
}

/** The checks `GET /v1/events/{id}/verify` reports. */
export interface ServerEventChecks {
  canonical: boolean;
  leaf_hash: boolean;
  chain_link: boolean;
  signature: boolean;
  inclusion: boolean;
}

/** `GET /v1/events/{id}/verify`: the server's verdict and what is needed to repeat it offline. */
export interface EventVerifyResponse {
  event_id: string;
  valid: boolean;
  checks: ServerEventChecks;
  /** The signed checkpoint the inclusion proof leads to. */
  checkpoint: string;
  /** Verifier key of the key that signed the event (its key_id). */
  verifier_key: string;
  /** Verifier key of the key that signed the checkpoint; differs after a key rotation. */
  checkpoint_verifier_key?: string;
  inclusion_proof: { leaf_index: number; tree_size: number; hashes: string[] };
  /** The event itself, if the server includes it. */
  event?: StoredEvent;
}

/** One problem `POST /v1/orgs/{org}/verify` found. */
export interface LogProblem {
  /** The first position the problem concerns; null when none (the empty checkpoint, say). */
  chain_index: number | null;
  event_id: string | null;
  check: string;
  detail: string;
}

/** `POST /v1/orgs/{org}/verify`: a recomputation of the whole log. */
export interface LogVerifyResponse {
  valid: boolean;
  tree_size: number;
  /** The recomputed root, hex. */
  root_hash: string | null;
  /** Events checked. */
  checked: number;
  problems: LogProblem[];
  /** More problems were found than listed. */
  problems_truncated?: boolean;
  duration_ms: number;
}

/** `GET /v1/hashes/{hex}`: was this hash ever issued? */
export interface HashLookup {
  found: boolean;
  kind?: 'chain' | 'leaf' | null;
  event_id?: string | null;
  chain_index?: number | null;
}

/** API key scopes (API.md "Tenancy and auth"). */
export type Scope = 'events:write' | 'events:read' | 'admin';

/** An API key, never its secret. */
export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the secret, to recognise it. */
  prefix: string;
  scopes: Scope[];
  created_at: string;
  revoked_at: string | null;
}

/** A new API key with its secret, which is shown this once. */
export interface CreatedApiKey extends ApiKey {
  secret: string;
}
