import {
  MerkleFrontier,
  bytesToBase64,
  bytesToHex,
  buildEntry,
  canonicalizeEntry,
  chainHash,
  formatTimestamp,
  leafHash,
  readerFromMap,
  signCheckpoint,
  type CryptoProvider,
  type EventEntry,
  type NormalizedEvent,
  type NoteSigner,
  type StoredEvent,
} from '@logproof/core';
import { newId } from '../ids.js';
import { entryTermsOf, type EventTerm } from '../query/event-terms.js';
import type {
  EventRecord,
  IdempotencyRecord,
  LogWrite,
  OrgRecord,
  StoredTreeHash,
} from '../store/records.js';
import { StoreConflictError, type LockedLog, type Store } from '../store/store.js';

// canonicalizeEntry already checked every string is well-formed Unicode.
const encoder = new TextEncoder();

/** One event waiting to be appended. */
export interface AppendItem {
  readonly org: OrgRecord;
  /**
   * The org's current signer as the caller saw it. The queue checks its key
   * id against the one read under the log lock and, after a rotation (in
   * this process or another), signs with the new current key instead.
   */
  readonly signer: NoteSigner;
  readonly event: NormalizedEvent;
}

/** Where the queue gets an org's current signer after a rotation (OrgKeys). */
export interface SignerSource {
  currentSigner(orgId: string): Promise<NoteSigner>;
  /** Drops a cached signer, so that the next currentSigner reads the keys again. */
  forget(orgId: string): void;
}

/** The key id under the log lock is not the signer's: the org's key was rotated. */
class StaleSignerError extends Error {
  override readonly name = 'StaleSignerError';
  constructor(readonly orgId: string) {
    super(`the signing key of ${orgId} was rotated`);
  }
}

/** One request's worth of items, committed all together or not at all. */
export interface AppendRequest {
  readonly projectId: string;
  readonly items: readonly AppendItem[];
  /**
   * Idempotency records to write with the events; `eventIds` holds, per
   * record, the positions in `items` (or already-known event ids) that the
   * record names, resolved to ids inside the commit.
   */
  readonly idempotency: ReadonlyArray<{
    readonly key: string;
    readonly requestHash: string;
    readonly eventIds: ReadonlyArray<string | number>;
  }>;
}

interface Pending {
  readonly request: AppendRequest;
  resolve(events: StoredEvent[]): void;
  reject(error: unknown): void;
}

export interface AppendQueueOptions {
  readonly store: Store;
  readonly crypto: CryptoProvider;
  readonly maxCommitEvents: number;
  readonly keys: SignerSource;
  readonly clock?: () => number;
  /** Called after each commit with its size and duration, for metrics. */
  readonly onCommit?: (events: number, durationMs: number) => void;
  /**
   * Groups that may be committing at once. 1 (the default) builds a group
   * only after the previous one committed. The SQLite store commits on a
   * writer thread and pipelines (Store.append), so it gets 2: the next group
   * is built while the previous one commits.
   */
  readonly maxInFlight?: number;
}

/**
 * The maxInFlight the server gives an AppendQueue on a store of this kind
 * (and the append benchmark too, so that it measures the same pipeline). The
 * SQLite store commits on its writer thread: the next group is built
 * meanwhile. PostgreSQL builds under the org's row lock, so one group at a
 * time per process (several processes already overlap there).
 */
export function groupsInFlight(kind: Store['kind']): number {
  return kind === 'sqlite' ? 2 : 1;
}

/**
 * The append path (group commit). Requests that arrive while a commit runs
 * wait in the queue; the next commit takes all of them (up to
 * maxCommitEvents) in one database transaction: one lock round, one fsync,
 * one signed checkpoint per org for the whole group. A request is answered
 * only after its transaction committed.
 *
 * Chain positions are assigned from the log head read under the database
 * lock, never from memory, so several processes can share one database. The
 * Merkle frontier is cached per org and reloaded when another process moved
 * the head.
 */
export class AppendQueue {
  readonly #pending: Pending[] = [];
  #pendingEvents = 0;
  readonly #frontiers = new Map<string, MerkleFrontier>();
  #scheduled = false;
  #inFlight = 0;
  readonly #idle: Array<() => void> = [];
  readonly #maxInFlight: number;
  readonly #clock: () => number;

  constructor(private readonly options: AppendQueueOptions) {
    this.#clock = options.clock ?? Date.now;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  /** Events waiting for a commit: the backlog that overload shedding watches. */
  get pendingEvents(): number {
    return this.#pendingEvents;
  }

  /** Appends the request's items; resolves with the stored events, in item order. */
  submit(request: AppendRequest): Promise<StoredEvent[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ request, resolve, reject });
      this.#pendingEvents += request.items.length;
      this.#schedule();
    });
  }

  /** Resolves once every request submitted so far has been committed or failed. */
  async drained(): Promise<void> {
    while (this.#pending.length > 0 || this.#inFlight > 0) {
      await new Promise<void>((done) => this.#idle.push(done));
    }
  }

  // setImmediate, not a microtask: let the requests already read from the
  // sockets in this turn of the event loop join the same group.
  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#startGroups();
    });
  }

  #startGroups(): void {
    while (this.#pending.length > 0 && this.#inFlight < this.#maxInFlight) {
      const group: Pending[] = [];
      let events = 0;
      while (this.#pending.length > 0) {
        const size = this.#pending[0]!.request.items.length;
        if (group.length > 0 && events + size > this.options.maxCommitEvents) break;
        group.push(this.#pending.shift()!);
        events += size;
        this.#pendingEvents -= size;
      }
      this.#inFlight++;
      void this.#commitGroup(group).finally(() => {
        this.#inFlight--;
        if (this.#pending.length > 0) this.#schedule();
        else if (this.#inFlight === 0) for (const done of this.#idle.splice(0)) done();
      });
    }
  }

  async #commitGroup(group: Pending[]): Promise<void> {
    try {
      const results = await this.#commit(group.map((p) => p.request));
      group.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      if (error instanceof StoreConflictError && group.length > 1) {
        // One request's idempotency key was taken by another process; commit
        // the others alone so that only the conflicting request fails.
        for (const p of group) {
          try {
            p.resolve((await this.#commit([p.request]))[0]!);
          } catch (e) {
            p.reject(e);
          }
        }
        return;
      }
      for (const p of group) p.reject(error);
    }
  }

  async #commit(requests: readonly AppendRequest[]): Promise<StoredEvent[][]> {
    const signers = new Map<string, NoteSigner>();
    for (const r of requests) {
      for (const item of r.items) {
        if (!signers.has(item.org.id)) signers.set(item.org.id, item.signer);
      }
    }
    // A rotation commits under the log lock, so a commit that read a new key
    // id there wrote nothing: reload that org's signer and run it again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#commitWith(requests, signers);
      } catch (error) {
        if (!(error instanceof StaleSignerError) || attempt >= 3) throw error;
        this.options.keys.forget(error.orgId);
        signers.set(error.orgId, await this.options.keys.currentSigner(error.orgId));
      }
    }
  }

  async #commitWith(
    requests: readonly AppendRequest[],
    signers: ReadonlyMap<string, NoteSigner>,
  ): Promise<StoredEvent[][]> {
    const started = performance.now();
    const targets = new Map<string, number>();
    for (const r of requests) {
      for (const item of r.items) {
        targets.set(item.org.id, this.#frontiers.get(item.org.id)?.size ?? -1);
      }
    }
    const { store, crypto } = this.options;
    let eventCount = 0;
    const { results, frontiers } = await store.append(
      [...targets].map(([orgId, knownTreeSize]) => ({ orgId, knownTreeSize })),
      (locked) => {
        // A pipelining store may call this again (Store.append): start afresh.
        eventCount = 0;
        const now = this.#clock();
        const createdAt = formatTimestamp(now);
        const logs = new Map<string, LogState>();
        const logOf = (item: AppendItem): LogState => {
          let log = logs.get(item.org.id);
          if (!log) {
            log = openLog(
              item.org.id,
              signers.get(item.org.id)!,
              locked.get(item.org.id),
              this.#frontiers.get(item.org.id),
              crypto,
            );
            logs.set(item.org.id, log);
          }
          return log;
        };
        const idempotency: IdempotencyRecord[] = [];
        const built = requests.map((request) => {
          const events = request.items.map((item) => {
            const log = logOf(item);
            const entry = buildEntry(item.event, {
              id: newId('evt', now),
              org: item.org.id,
              orgExternalId: item.org.externalId,
              chainIndex: log.frontier.size,
              createdAt,
            });
            // Strict JCS: also rejects any number that is not a safe integer.
            const canonical = canonicalizeEntry(entry);
            const bytes = encoder.encode(canonical);
            const leaf = leafHash(bytes, crypto);
            const hash = chainHash(log.headHash, leaf, crypto);
            const event: BuiltEvent = {
              projectId: request.projectId,
              entry,
              canonical,
              bytes,
              leaf,
              hash,
              hashHex: bytesToHex(hash),
              previousHash: log.headHash,
              previousHex: log.headHex,
              stored: null,
            };
            for (const h of log.frontier.append(leaf)) log.treeHashes.push(h);
            log.built.push(event);
            log.headHash = hash;
            log.headHex = event.hashHex;
            return event;
          });
          for (const rec of request.idempotency) {
            idempotency.push({
              projectId: request.projectId,
              key: rec.key,
              requestHash: rec.requestHash,
              eventIds: rec.eventIds.map((ref) =>
                typeof ref === 'number' ? events[ref]!.entry.id : ref,
              ),
              createdAt: now,
            });
          }
          eventCount += events.length;
          return events;
        });
        // Signatures last, each log's in one call, which may spread them
        // over two threads (./signing-worker.ts).
        for (const log of logs.values()) {
          const signatures = log.signer.signEach(log.built.map((e) => e.bytes));
          log.built.forEach((e, i) => {
            const signature = signatures[i]!;
            log.events.push(toEventRecord(e, signature, log.signer.keyIdHex, now));
            log.terms.push(entryTermsOf(e.entry));
            // Object.assign, not a spread (toStoredEvent says why).
            e.stored = Object.assign({}, e.entry, {
              leaf_hash: bytesToHex(e.leaf),
              hash: e.hashHex,
              previous_hash: e.previousHex,
              signature: bytesToBase64(signature),
              key_id: log.signer.keyIdHex,
            });
          });
        }
        const results = built.map((events) => events.map((e) => e.stored!));
        const writes: LogWrite[] = [];
        for (const [orgId, log] of logs) {
          const rootHash = log.frontier.root();
          const note = signCheckpoint(
            { origin: log.signer.name, treeSize: log.frontier.size, rootHash, extensions: [] },
            log.signer,
          );
          writes.push({
            orgId,
            events: log.events,
            terms: log.terms,
            treeHashes: log.treeHashes,
            checkpoint: {
              orgId,
              treeSize: log.frontier.size,
              rootHash,
              note,
              keyId: log.signer.keyIdHex,
              createdAt: now,
            },
            head: { treeSize: log.frontier.size, headHash: log.headHash, rootHash },
          });
        }
        const frontiers = new Map([...logs].map(([orgId, log]) => [orgId, log.frontier]));
        return { logs: writes, idempotency, result: { results, frontiers } };
      },
    );
    // Only a committed frontier may be cached: a rolled-back one would fork.
    for (const [orgId, frontier] of frontiers) this.#frontiers.set(orgId, frontier);
    this.options.onCommit?.(eventCount, performance.now() - started);
    return results;
  }
}

interface LogState {
  readonly frontier: MerkleFrontier;
  readonly signer: NoteSigner;
  headHash: Uint8Array;
  /** headHash in hex: the next event's previous_hash. */
  headHex: string;
  /** The events built in this commit, waiting for their signatures. */
  readonly built: BuiltEvent[];
  readonly events: EventRecord[];
  readonly terms: EventTerm[][];
  readonly treeHashes: StoredTreeHash[];
}

/** An event chained but not yet signed. */
interface BuiltEvent {
  readonly projectId: string;
  readonly entry: EventEntry;
  readonly canonical: string;
  readonly bytes: Uint8Array;
  readonly leaf: Uint8Array;
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly previousHash: Uint8Array;
  readonly previousHex: string;
  /** The event as the API returns it, once signed. */
  stored: StoredEvent | null;
}

function toEventRecord(
  e: BuiltEvent,
  signature: Uint8Array,
  keyId: string,
  createdAt: number,
): EventRecord {
  const { entry } = e;
  return {
    id: entry.id,
    projectId: e.projectId,
    orgId: entry.org,
    chainIndex: entry.chain_index,
    canonical: e.canonical,
    leafHash: e.leaf,
    hash: e.hash,
    previousHash: e.previousHash,
    signature,
    keyId,
    action: entry.action,
    actorId: entry.actor.id,
    actorType: entry.actor.type,
    occurredAt: Date.parse(entry.occurred_at),
    createdAt,
    outcome: entry.outcome,
    entryType: entry.entry_type,
    targets: entry.targets.map((t) => ({ type: t.type, id: t.id })),
  };
}

function openLog(
  orgId: string,
  signer: NoteSigner,
  locked: LockedLog | undefined,
  cached: MerkleFrontier | undefined,
  crypto: CryptoProvider,
): LogState {
  if (!locked) throw new Error(`append: org ${orgId} was not locked`);
  if (locked.currentKeyId === null) {
    throw new Error(`append: org ${orgId} has no active signing key`);
  }
  if (locked.currentKeyId !== signer.keyIdHex) throw new StaleSignerError(orgId);
  const { head, frontier } = locked;
  const tree =
    frontier === null && cached !== undefined && cached.size === head.treeSize
      ? cached.clone()
      : MerkleFrontier.fromHashes(head.treeSize, readerFromMap(frontier ?? new Map()), crypto);
  return {
    frontier: tree,
    signer,
    headHash: head.headHash,
    headHex: bytesToHex(head.headHash),
    built: [],
    events: [],
    terms: [],
    treeHashes: [],
  };
}
