import {
  GENESIS_PREVIOUS_HASH,
  canonicalJson,
  chainHash,
  consistencyProof,
  consistencyProofIndexes,
  equalBytes,
  formatVerifierKey,
  inclusionProof,
  inclusionProofIndexes,
  isLogproofError,
  leafHash,
  parseVerifierKey,
  readerFromMap,
  storedHashCount,
  storedHashIndex,
  utf8Encode,
  verifyCheckpoint,
  verifyInclusion,
  type CryptoProvider,
  type VerifierKey,
} from '@logproof/core';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ApiError } from '../errors.js';
import type { HashMatch } from '../store/log-read-port.js';
import type { CheckpointRecord, EventRecord, OrgKeyRecord, OrgRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { LogVerifier, type LogVerification, type VerifiedPrefix } from './log-verifier.js';
import type { PackedRangeHelper, PackedRangeRun } from './packed-range-helper.js';

/** An org key with its published forms (PROOFS.md §5). */
export interface PublishedKey {
  readonly record: OrgKeyRecord;
  readonly verifierKey: string;
}

/** GET /v1/events/{id}/verify: each check recomputed from the stored bytes. */
export interface EventVerification {
  readonly event: EventRecord;
  readonly checks: {
    readonly canonical: boolean;
    readonly leaf_hash: boolean;
    readonly chain_link: boolean;
    readonly signature: boolean;
    readonly inclusion: boolean;
  };
  readonly checkpoint: CheckpointRecord;
  /** The key the event is signed with, and the one the checkpoint is (they differ after a rotation). */
  readonly eventKey: PublishedKey | null;
  readonly checkpointKey: PublishedKey | null;
  readonly inclusionProof: readonly Uint8Array[];
}

export interface VerificationServiceOptions {
  readonly store: Store;
  readonly crypto: CryptoProvider;
  /** PROOFS.md §1: the origin of an org's log. */
  readonly originOf: (orgId: string) => string;
  /** Events read per chunk by a whole-log verification (memory stays bounded by it). */
  readonly chunkSize?: number;
  /**
   * Another thread that checks chunks of whole-log verifications without
   * event signatures too (on SQLite, SqliteVerifyWorker).
   */
  readonly helper?: PackedRangeHelper | null;
}

/** A stored tree hash a proof needs is gone: the log was damaged, not the request. */
function missingHash(orgId: string): ApiError {
  return new ApiError(
    'internal_error',
    `a stored Merkle tree hash of org ${orgId} is missing; POST /v1/orgs/${orgId}/verify names it`,
  );
}

function proveFromStored(orgId: string, prove: () => Uint8Array[]): Uint8Array[] {
  try {
    return prove();
  } catch (error) {
    if (isLogproofError(error, 'ERR_HASH_MISSING')) throw missingHash(orgId);
    throw error;
  }
}

/** Raised for a bad query range; the route names the parameter. */
function badParameter(name: string, message: string): ApiError {
  return new ApiError('validation_failed', `${name} ${message}`, {
    errors: [{ path: `/${name}`, message }],
  });
}

/**
 * Verification (API.md "Verification"): whole-log re-verification from the
 * stored bytes, per-event checks, proofs answered from stored tree hashes,
 * checkpoints by size and hash lookups.
 */
export class VerificationService {
  readonly #store: Store;
  readonly #crypto: CryptoProvider;
  readonly #chunkSize: number;

  constructor(private readonly options: VerificationServiceOptions) {
    this.#store = options.store;
    this.#crypto = options.crypto;
    this.#chunkSize = options.chunkSize ?? 5000;
  }

  /** Every key of the org, current and retired, with its verifier key string. */
  async publishedKeys(orgId: string): Promise<PublishedKey[]> {
    const origin = this.options.originOf(orgId);
    return (await this.#store.listOrgKeys(orgId)).map((record) => ({
      record,
      verifierKey: formatVerifierKey(origin, record.publicKey, this.#crypto),
    }));
  }

  async #verifierKeys(
    orgId: string,
  ): Promise<{ published: PublishedKey[]; parsed: VerifierKey[] }> {
    const published = await this.publishedKeys(orgId);
    return {
      published,
      parsed: published.map((k) => parseVerifierKey(k.verifierKey, this.#crypto)),
    };
  }

  /**
   * Re-verifies the org's log up to its head as read in `org` (appends after
   * that are left for the next run), streaming it by chain_index in chunks.
   * With `from`, only the events after that verified prefix are read;
   * `chunkSize` (default the service's) bounds both memory and how long the
   * event loop is held between two yields.
   */
  async verifyLog(
    org: OrgRecord,
    options: {
      signatures: boolean;
      from?: VerifiedPrefix | undefined;
      signal?: AbortSignal | undefined;
      chunkSize?: number | undefined;
    },
  ): Promise<LogVerification & { durationMs: number }> {
    const chunkSize = options.chunkSize ?? this.#chunkSize;
    const started = performance.now();
    const { parsed } = await this.#verifierKeys(org.id);
    const verifier = new LogVerifier({
      orgId: org.id,
      origin: this.options.originOf(org.id),
      keys: parsed,
      signatures: options.signatures,
      crypto: this.#crypto,
      ...(options.from && options.from.size <= org.treeSize ? { start: options.from } : {}),
    });
    const end = org.treeSize;
    let from = verifier.size;
    // Event signatures are checked row by row, in this thread alone.
    const run =
      !options.signatures && end - from > chunkSize
        ? (this.options.helper?.begin(org.id, from, end, chunkSize) ?? null)
        : null;
    try {
      // The checkpoint at the starting size is checked too: for a continued
      // run that is the check that the verified prefix's root still holds.
      let afterSize = from - 1;
      for (let k = 0; ; k++) {
        const to = Math.min(end, from + chunkSize);
        await this.#checkChunk(verifier, run, k, org.id, from, to, afterSize, options.signatures);
        run?.done(k);
        from = to;
        afterSize = to;
        options.signal?.throwIfAborted();
        if (from >= end) break;
        // better-sqlite3 answers synchronously: without this a long log would
        // hold the event loop (and every other request) for the whole run.
        await yieldToEventLoop();
      }
    } finally {
      run?.end();
    }
    return { ...verifier.finish(org), durationMs: performance.now() - started };
  }

  /** Chunk k, [from, to), of a whole-log verification: the helper's check, packed, or row by row. */
  async #checkChunk(
    verifier: LogVerifier,
    run: PackedRangeRun | null,
    k: number,
    orgId: string,
    from: number,
    to: number,
    afterSize: number,
    signatures: boolean,
  ): Promise<void> {
    const helped = run !== null && !run.take(k);
    const [check, read, checkpoints] = await Promise.all([
      helped ? run.result(k) : null,
      // Event signatures need each row's key and signature: row by row.
      helped || signatures ? null : this.#store.scanPackedLog(orgId, from, to),
      this.#store.listCheckpoints(orgId, afterSize, to),
    ]);
    if (check && verifier.acceptPackedRange(from, to, check.start, check.end, checkpoints)) return;
    // The helper's chunk did not match, or not from here: checked again in this thread.
    const packed = helped ? await this.#store.scanPackedLog(orgId, from, to) : read;
    if (packed === null || !verifier.checkPackedChunk(from, to, packed, checkpoints)) {
      // Something in the chunk does not match (or cannot be checked
      // packed): the row-by-row check names what.
      const [rows, hashes] = await Promise.all([
        this.#store.scanLog(orgId, from, to - from, { signatures }),
        this.#store.scanTreeHashes(orgId, storedHashCount(from), storedHashCount(to)),
      ]);
      verifier.checkChunk(from, to, rows, hashes, checkpoints);
    }
  }

  /** Checks one event from its stored bytes and proves it is in the latest checkpoint. */
  async verifyEvent(projectId: string, eventId: string): Promise<EventVerification> {
    const event = await this.#store.getEvent(projectId, eventId);
    if (!event)
      throw new ApiError('not_found', `no event ${JSON.stringify(eventId)} in this project`);
    const i = event.chainIndex;
    const [checkpoint, keys, rows] = await Promise.all([
      this.#store.latestCheckpoint(event.orgId),
      this.#verifierKeys(event.orgId),
      this.#store.scanLog(event.orgId, Math.max(0, i - 1), i === 0 ? 1 : 2),
    ]);
    if (!checkpoint) throw new Error(`org ${event.orgId} has no checkpoint`);
    const bytes = utf8Encode(event.canonical);
    const leaf = leafHash(bytes, this.#crypto);

    let canonical = false;
    try {
      const entry = JSON.parse(event.canonical) as Record<string, unknown>;
      canonical =
        canonicalJson(entry) === event.canonical &&
        entry.id === event.id &&
        entry.org === event.orgId &&
        entry.chain_index === i;
    } catch {
      canonical = false;
    }
    const previous =
      i === 0 ? GENESIS_PREVIOUS_HASH : rows.find((r) => r.chainIndex === i - 1)?.hash;
    const chainLink =
      previous !== undefined &&
      equalBytes(event.previousHash, previous) &&
      equalBytes(event.hash, chainHash(event.previousHash, leaf, this.#crypto));
    const eventKey = keys.published.find((k) => k.record.keyId === event.keyId) ?? null;
    const signature =
      eventKey !== null &&
      this.#crypto.ed25519Verify(eventKey.record.publicKey, bytes, event.signature);

    let inclusion = false;
    let proof: Uint8Array[] = [];
    if (i < checkpoint.treeSize) {
      try {
        const hashes = await this.#store.readTreeHashes(
          event.orgId,
          inclusionProofIndexes(i, checkpoint.treeSize),
        );
        proof = inclusionProof(i, checkpoint.treeSize, readerFromMap(hashes), this.#crypto);
        const signed = verifyCheckpoint(checkpoint.note, keys.parsed, this.#crypto);
        verifyInclusion(i, signed.treeSize, leaf, proof, signed.rootHash, this.#crypto);
        inclusion = signed.treeSize === checkpoint.treeSize;
      } catch (error) {
        // A missing stored hash, a checkpoint that does not verify, or a
        // proof that does not reach its root: all mean "not included".
        if (!isLogproofError(error)) throw error;
      }
    }
    return {
      event,
      checks: {
        canonical,
        leaf_hash: equalBytes(leaf, event.leafHash),
        chain_link: chainLink,
        signature,
        inclusion,
      },
      checkpoint,
      eventKey,
      checkpointKey: keys.published.find((k) => k.record.keyId === checkpoint.keyId) ?? null,
      inclusionProof: proof,
    };
  }

  /** RFC 6962 PATH(m, D[0:n]) from stored hashes, with the stored leaf hash of m. */
  async inclusionProof(
    org: OrgRecord,
    leafIndex: number,
    treeSize: number,
  ): Promise<{ leafHash: Uint8Array; hashes: Uint8Array[] }> {
    if (treeSize > org.treeSize)
      throw badParameter('tree_size', `is larger than the log (${org.treeSize} events)`);
    if (treeSize < 1)
      throw badParameter('tree_size', 'must be at least 1: the empty tree has no leaves');
    if (leafIndex >= treeSize)
      throw badParameter('leaf_index', `must be less than tree_size (${treeSize})`);
    const leafAt = storedHashIndex(0, leafIndex);
    const hashes = await this.#store.readTreeHashes(org.id, [
      ...inclusionProofIndexes(leafIndex, treeSize),
      leafAt,
    ]);
    const leaf = hashes.get(leafAt);
    if (!leaf) throw missingHash(org.id);
    const read = readerFromMap(hashes);
    return {
      leafHash: leaf,
      hashes: proveFromStored(org.id, () =>
        inclusionProof(leafIndex, treeSize, read, this.#crypto),
      ),
    };
  }

  /**
   * RFC 6962 PATH(m, D[0:n]) of several leaves of one tree, from the stored
   * hashes they need read in ONE store call (a page of events costs one
   * round trip, not one per event). Every index MUST be below `treeSize`.
   */
  async inclusionProofs(
    orgId: string,
    leafIndexes: readonly number[],
    treeSize: number,
  ): Promise<Uint8Array[][]> {
    const wanted = new Set<number>();
    for (const i of leafIndexes) {
      if (!(i >= 0 && i < treeSize)) throw new Error(`leaf ${i} is not in a tree of ${treeSize}`);
      for (const idx of inclusionProofIndexes(i, treeSize)) wanted.add(idx);
    }
    if (wanted.size === 0) return leafIndexes.map(() => []);
    const read = readerFromMap(await this.#store.readTreeHashes(orgId, [...wanted]));
    return leafIndexes.map((i) =>
      proveFromStored(orgId, () => inclusionProof(i, treeSize, read, this.#crypto)),
    );
  }

  /** RFC 6962 PROOF(m, D[0:n]) from stored hashes; empty from 0 or between equal sizes. */
  async consistencyProof(org: OrgRecord, fromSize: number, toSize: number): Promise<Uint8Array[]> {
    if (toSize > org.treeSize)
      throw badParameter('to', `is larger than the log (${org.treeSize} events)`);
    if (fromSize > toSize) throw badParameter('from', `must not be larger than to (${toSize})`);
    const hashes = await this.#store.readTreeHashes(
      org.id,
      consistencyProofIndexes(fromSize, toSize),
    );
    const read = readerFromMap(hashes);
    return proveFromStored(org.id, () => consistencyProof(fromSize, toSize, read, this.#crypto));
  }

  checkpointAt(orgId: string, treeSize: number): Promise<CheckpointRecord | null> {
    return this.#store.checkpointAt(orgId, treeSize);
  }

  latestCheckpoint(orgId: string): Promise<CheckpointRecord | null> {
    return this.#store.latestCheckpoint(orgId);
  }

  findEvent(projectId: string, eventId: string): Promise<EventRecord | null> {
    return this.#store.getEvent(projectId, eventId);
  }

  /** The project's event whose hash or leaf_hash is `hex` (64 hex digits). */
  async findHash(projectId: string, hex: string): Promise<HashMatch | null> {
    const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
    return this.#store.findHash(projectId, bytes);
  }
}
