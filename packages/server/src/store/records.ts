// Plain records exchanged between the domain services and a Store. Times are
// milliseconds since the epoch; hashes, keys and signatures are raw bytes.

import type { EventTerm } from '../query/event-terms.js';

export const SCOPES = ['events:write', 'events:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ProjectRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  /** First characters of the secret, safe to display. */
  readonly prefix: string;
  /** SHA-256 (hex) of the whole secret; the secret itself is never stored. */
  readonly secretHash: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface OrgRecord {
  readonly id: string;
  readonly projectId: string;
  readonly externalId: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: number;
  /** Number of events in the org's log (= next chain_index). */
  readonly treeSize: number;
  /** `hash` of the last event, or 32 zero bytes for an empty log. */
  readonly headHash: Uint8Array;
  /** RFC 6962 root of the whole log. */
  readonly rootHash: Uint8Array;
}

export interface OrgKeyRecord {
  readonly orgId: string;
  /** 8 lowercase hex digits (PROOFS.md §5). */
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  /** The Ed25519 seed sealed under the master key (AES-256-GCM). */
  readonly sealedSeed: Uint8Array;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

export interface EventTargetRef {
  readonly type: string;
  readonly id: string;
}

export interface EventRecord {
  readonly id: string;
  readonly projectId: string;
  readonly orgId: string;
  readonly chainIndex: number;
  /** RFC 8785 canonical JSON of the entry (PROOFS.md §2), the source of truth. */
  readonly canonical: string;
  readonly leafHash: Uint8Array;
  readonly hash: Uint8Array;
  readonly previousHash: Uint8Array;
  readonly signature: Uint8Array;
  readonly keyId: string;
  // Query columns, copied out of the entry so that filters use indexes.
  readonly action: string;
  readonly actorId: string;
  readonly actorType: string;
  readonly occurredAt: number;
  readonly createdAt: number;
  readonly outcome: string;
  readonly entryType: string;
  readonly targets: readonly EventTargetRef[];
}

export interface CheckpointRecord {
  readonly orgId: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  /** The whole C2SP signed note. */
  readonly note: string;
  readonly keyId: string;
  readonly createdAt: number;
}

export interface IdempotencyRecord {
  readonly projectId: string;
  readonly key: string;
  /** SHA-256 (hex) of the request that first used the key. */
  readonly requestHash: string;
  /** The events the first request produced, in order. */
  readonly eventIds: readonly string[];
  readonly createdAt: number;
}

export interface StoredTreeHash {
  readonly index: number;
  readonly hash: Uint8Array;
}

/** The state of an org's log read under its lock. */
export interface LogHead {
  readonly treeSize: number;
  readonly headHash: Uint8Array;
  readonly rootHash: Uint8Array;
}

/** What one group commit writes to one org's log. */
export interface LogWrite {
  readonly orgId: string;
  readonly events: readonly EventRecord[];
  /**
   * The event_terms rows (migration 7) of each event, in the order of
   * `events`: entryTermsOf of the event's entry (query/event-terms.ts).
   */
  readonly terms: ReadonlyArray<readonly EventTerm[]>;
  readonly treeHashes: readonly StoredTreeHash[];
  readonly checkpoint: CheckpointRecord;
  /** The head after this write; the store moves it only from the head it locked. */
  readonly head: LogHead;
}

/** Everything one group commit writes, computed while the org logs are locked. */
export interface AppendWrite<T> {
  readonly logs: readonly LogWrite[];
  readonly idempotency: readonly IdempotencyRecord[];
  /** Handed back to the caller once the transaction has committed. */
  readonly result: T;
}
