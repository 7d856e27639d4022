// Record builders for the store tests. Appends are built the way the append
// service builds them (PROOFS.md §3-§5): leaf hash of the canonical entry,
// chain hash from the previous event, Merkle frontier from the stored hashes
// or from the caller's cache, a checkpoint over the new root.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  bytesToBase64,
  bytesToHex,
  canonicalJson,
  chainHash,
  emptyRoot,
  GENESIS_PREVIOUS_HASH,
  leafHash,
  MerkleFrontier,
  readerFromMap,
  utf8Encode,
} from '@logproof/core';
import type {
  ApiKeyRecord,
  CheckpointRecord,
  EventRecord,
  EventTargetRef,
  IdempotencyRecord,
  LogWrite,
  OrgKeyRecord,
  OrgRecord,
  ProjectRecord,
} from '../../src/store/records.js';
import type { LockedLog, Store } from '../../src/store/store.js';
import { eventTermsOf, type EventTerm } from '../../src/query/event-terms.js';

/** A fresh id with a prefix, e.g. `org_5f0c...`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

/** Uint8Array fields become hex strings, so records from either driver compare with toEqual. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${bytesToHex(value)}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, plain(v)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

export function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

export function makeProject(overrides: Partial<ProjectRecord> = {}): ProjectRecord {
  return { id: newId('proj'), name: 'Acme', createdAt: 1_760_000_000_000, ...overrides };
}

export function makeApiKey(projectId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: newId('key'),
    projectId,
    name: 'ci',
    prefix: 'lp_sk_ab12',
    secretHash: randomBytes(32).toString('hex'),
    scopes: ['events:write', 'events:read'],
    createdAt: 1_760_000_000_000,
    revokedAt: null,
    ...overrides,
  };
}

/** An org with an empty log, its first signing key and its size-0 checkpoint. */
export function makeOrg(
  projectId: string,
  overrides: Partial<OrgRecord> = {},
): { org: OrgRecord; key: OrgKeyRecord; checkpoint: CheckpointRecord } {
  const org: OrgRecord = {
    id: newId('org'),
    projectId,
    externalId: newId('ext'),
    name: 'Acme Prod',
    metadata: { plan: 'enterprise', région: 'eu-west' },
    createdAt: 1_760_000_000_000,
    treeSize: 0,
    headHash: GENESIS_PREVIOUS_HASH,
    rootHash: emptyRoot(),
    ...overrides,
  };
  const key: OrgKeyRecord = {
    orgId: org.id,
    keyId: randomBytes(4).toString('hex'),
    publicKey: new Uint8Array(randomBytes(32)),
    sealedSeed: new Uint8Array(randomBytes(60)),
    createdAt: org.createdAt,
    retiredAt: null,
  };
  return { org, key, checkpoint: makeCheckpoint(org.id, 0, org.rootHash, key.keyId) };
}

/** Creates a project and one org in it; returns both. */
export async function seedOrg(
  store: Store,
  overrides: Partial<OrgRecord> = {},
): Promise<{ project: ProjectRecord; org: OrgRecord; key: OrgKeyRecord }> {
  const project = makeProject();
  await store.insertProject(project);
  const { org, key, checkpoint } = makeOrg(project.id, overrides);
  await store.createOrg(org, key, checkpoint);
  return { project, org, key };
}

function makeCheckpoint(
  orgId: string,
  treeSize: number,
  rootHash: Uint8Array,
  keyId: string,
): CheckpointRecord {
  // A C2SP note's shape (PROOFS.md §5); the store keeps it as opaque text.
  const origin = `logproof.test/${orgId}`;
  const note = `${origin}\n${treeSize}\n${bytesToBase64(rootHash)}\n\n— ${origin} ${bytesToBase64(randomBytes(68))}\n`;
  return { orgId, treeSize, rootHash, note, keyId, createdAt: 1_760_000_000_000 + treeSize };
}

export interface EventSpec {
  readonly action?: string;
  readonly targets?: readonly EventTargetRef[];
}

/** What building one org's part of a group commit produced. */
export interface BuiltLog {
  readonly write: LogWrite;
  /** The frontier after the write: cache it only once the append committed. */
  readonly frontier: MerkleFrontier;
}

/**
 * Builds the write of `specs.length` events to `org` from the head the store
 * locked. With no frontier from the store, `cached` MUST be the frontier of
 * the head's size (the store only omits it when the caller said it had that).
 */
export function buildLogWrite(
  org: OrgRecord,
  locked: LockedLog | undefined,
  specs: readonly EventSpec[],
  cached?: MerkleFrontier,
): BuiltLog {
  if (!locked) throw new Error(`the store did not lock ${org.id}`);
  const { head } = locked;
  let frontier: MerkleFrontier;
  if (locked.frontier === null) {
    if (cached?.size !== head.treeSize) throw new Error('no frontier for a stale cache');
    frontier = cached.clone();
  } else {
    frontier = MerkleFrontier.fromHashes(head.treeSize, readerFromMap(locked.frontier));
  }
  let previousHash = head.headHash;
  const events: EventRecord[] = [];
  const terms: EventTerm[][] = [];
  const treeHashes: Array<{ index: number; hash: Uint8Array }> = [];
  for (const spec of specs) {
    const chainIndex = frontier.size;
    const id = newId('evt');
    const createdAt = 1_760_000_000_000 + chainIndex;
    const action = spec.action ?? 'user.login';
    const targets = spec.targets ?? [];
    const canonical = canonicalJson({
      v: 1,
      id,
      org: org.id,
      org_external_id: org.externalId,
      chain_index: chainIndex,
      action,
      actor: { id: 'user_1', type: 'user' },
      targets,
      metadata: {},
      context: {},
      occurred_at: new Date(createdAt).toISOString(),
      created_at: new Date(createdAt).toISOString(),
      entry_type: 'business',
      outcome: 'success',
    });
    terms.push(eventTermsOf(canonical));
    const leaf = leafHash(utf8Encode(canonical));
    const hash = chainHash(previousHash, leaf);
    treeHashes.push(...frontier.append(leaf));
    events.push({
      id,
      projectId: org.projectId,
      orgId: org.id,
      chainIndex,
      canonical,
      leafHash: leaf,
      hash,
      previousHash,
      signature: new Uint8Array(randomBytes(64)),
      keyId: '0a1b2c3d',
      action,
      actorId: 'user_1',
      actorType: 'user',
      occurredAt: createdAt,
      createdAt,
      outcome: 'success',
      entryType: 'business',
      targets,
    });
    previousHash = hash;
  }
  const rootHash = frontier.root();
  return {
    write: {
      orgId: org.id,
      events,
      terms,
      treeHashes,
      checkpoint: makeCheckpoint(org.id, frontier.size, rootHash, '0a1b2c3d'),
      head: { treeSize: frontier.size, headHash: previousHash, rootHash },
    },
    frontier,
  };
}

/** `count` plain events. */
export function specs(count: number): EventSpec[] {
  return Array.from({ length: count }, () => ({}));
}

/** Appends `events` to one org; `cached` is the caller's frontier, as the append service keeps it. */
export async function appendEvents(
  store: Store,
  org: OrgRecord,
  events: readonly EventSpec[],
  options: { cached?: MerkleFrontier; idempotency?: (ids: string[]) => IdempotencyRecord[] } = {},
): Promise<{ events: EventRecord[]; frontier: MerkleFrontier }> {
  const knownTreeSize = options.cached?.size ?? -1;
  return store.append([{ orgId: org.id, knownTreeSize }], (logs) => {
    const built = buildLogWrite(org, logs.get(org.id), events, options.cached);
    const ids = built.write.events.map((e) => e.id);
    return {
      logs: [built.write],
      idempotency: options.idempotency?.(ids) ?? [],
      result: { events: [...built.write.events], frontier: built.frontier },
    };
  });
}

export function makeIdempotency(
  projectId: string,
  key: string,
  eventIds: readonly string[],
): IdempotencyRecord {
  return {
    projectId,
    key,
    requestHash: randomBytes(32).toString('hex'),
    eventIds,
    createdAt: 1_760_000_000_000,
  };
}
