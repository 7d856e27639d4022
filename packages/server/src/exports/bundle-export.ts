import {
  BUNDLE_FORMAT,
  BUNDLE_LIMITS,
  compactRange,
  compactRangeIndexes,
  equalBytes,
  formatVerifierKey,
  inclusionProof,
  inclusionProofIndexes,
  nodeHash,
  parseVerifierKey,
  readerFromMap,
  rootFromInclusionProof,
  splitStoredHashIndex,
  verifyCheckpoint,
  type CryptoProvider,
} from '@logproof/core';
import { ApiError } from '../errors.js';
import type { EventFilter } from '../query/event-filter.js';
import type { ExportEventRow, ExportStore } from '../store/export-port.js';
import type { CheckpointRecord, OrgRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { ChunkWriter } from './chunk-writer.js';
import { storedEventJson } from './event-json.js';
import { readPositionPages } from './export-source.js';

// PROOFS.md §7 evidence bundles, streamed: the JSON is written event by
// event, so memory holds one batch of events and the chain indexes of the
// selection (8 bytes each), never the bundle. The core's createBundle builds
// the same document in memory; this writes it incrementally with the same
// proofs and the same self-checks (every proof is checked against the
// checkpoint's root before the document is complete).

export interface BundleDeps {
  readonly store: Store;
  readonly crypto: CryptoProvider;
  /** PROOFS.md §1: the origin of an org's log. */
  readonly originOf: (orgId: string) => string;
}

/** An org key as a bundle lists it. */
export interface BundleKey {
  readonly keyId: string;
  readonly verifierKey: string;
}

/** What a bundle will hold, decided before its first byte is written. */
export interface BundlePlan {
  readonly org: OrgRecord;
  readonly origin: string;
  /** The org's latest checkpoint when the export started: every event is proven against it. */
  readonly checkpoint: CheckpointRecord;
  /** Every key of the org (current and retired). */
  readonly keys: readonly BundleKey[];
  /** chain_index of every selected event, ascending. */
  readonly indexes: Float64Array;
  /** One run of consecutive chain indexes: the range_proof form. */
  readonly contiguous: boolean;
  /** Earliest and latest occurred_at of the selection (ms), null when empty. */
  readonly occurredFrom: number | null;
  readonly occurredTo: number | null;
}

/** Filled in as a bundle is written. */
export interface BundleTally {
  /** Events written so far. */
  rows: number;
  /** Verifier keys the bundle lists (known once it is complete). */
  verifierKeys: string[];
}

/** Rows read per scan of the log (small for a flat peak RSS, as EXPORT_PAGE_SIZE). */
const SCAN_ROWS = 256;

/** A growable array of chain indexes: 8 bytes each, a million in 8 MB. */
class IndexList {
  #items = new Float64Array(1024);
  #length = 0;

  push(index: number): void {
    if (this.#length === this.#items.length) {
      const grown = new Float64Array(this.#items.length * 2);
      grown.set(this.#items);
      this.#items = grown;
    }
    this.#items[this.#length++] = index;
  }

  get length(): number {
    return this.#length;
  }

  sorted(): Float64Array {
    return this.#items.slice(0, this.#length).sort();
  }
}

/**
 * Reads which events a bundle of `filter` holds (the filter must name an
 * org): the events of the listing, at most BUNDLE_LIMITS.maxEvents, proven
 * against the org's latest checkpoint, so only those inside its tree (an
 * event appended since is left for the next export).
 */
export async function planBundle(
  deps: BundleDeps,
  projectId: string,
  filter: EventFilter,
): Promise<BundlePlan> {
  const { store, crypto } = deps;
  const orgId = filter.orgId;
  if (orgId === null) throw new Error('planBundle: the filter names no org');
  const org = await store.getOrgById(orgId);
  const checkpoint = await store.latestCheckpoint(orgId);
  if (!org || !checkpoint) throw new Error(`planBundle: org ${orgId} has no log`);
  const origin = deps.originOf(orgId);
  const keys = (await store.listOrgKeys(orgId)).map((k) => ({
    keyId: k.keyId,
    verifierKey: formatVerifierKey(origin, k.publicKey, crypto),
  }));
  // createBundle's first check: a checkpoint our own keys do not verify
  // would make a bundle no verifier accepts.
  verifyCheckpoint(
    checkpoint.note,
    keys.map((k) => parseVerifierKey(k.verifierKey, crypto)),
    crypto,
  );

  const list = new IndexList();
  let occurredFrom: number | null = null;
  let occurredTo: number | null = null;
  for await (const page of readPositionPages(store, projectId, filter, 'asc')) {
    for (const event of page) {
      if (event.chainIndex >= checkpoint.treeSize) continue;
      list.push(event.chainIndex);
      occurredFrom ??= event.occurredAt;
      occurredTo = event.occurredAt;
    }
    if (list.length > BUNDLE_LIMITS.maxEvents) {
      throw new ApiError(
        'validation_failed',
        `an evidence bundle holds at most ${BUNDLE_LIMITS.maxEvents} events; narrow the filters (from, to) and export several bundles`,
        {
          errors: [
            { path: '/format', message: `more than ${BUNDLE_LIMITS.maxEvents} events match` },
          ],
        },
      );
    }
  }
  const indexes = list.sorted();
  const n = indexes.length;
  return {
    org,
    origin,
    checkpoint,
    keys,
    indexes,
    contiguous: n > 0 && indexes[n - 1]! - indexes[0]! === n - 1,
    occurredFrom,
    occurredTo,
  };
}

function missing(orgId: string, chainIndex: number): Error {
  return new Error(
    `event chain_index ${chainIndex} of org ${orgId} is missing from the database; POST /v1/orgs/${orgId}/verify names the damage`,
  );
}

/**
 * The planned events in chain_index order, a batch at a time, read by
 * chain index range (readExportRange). A contiguous selection is one run of
 * ranges; a sparse one reads windows that each hold planned events.
 */
export async function* readPlannedRows(
  store: Pick<ExportStore, 'readExportRange'>,
  plan: Pick<BundlePlan, 'org' | 'indexes'>,
  limit = plan.indexes.length,
): AsyncGenerator<ExportEventRow[]> {
  const { indexes } = plan;
  const orgId = plan.org.id;
  const n = Math.min(limit, indexes.length);
  for (let i = 0; i < n;) {
    const start = indexes[i]!;
    let j = i + 1;
    while (j < n && indexes[j]! - start < SCAN_ROWS) j++;
    const rows = await store.readExportRange(orgId, start, indexes[j - 1]! + 1);
    // Keep the planned rows; every one must be there (a range read never fills gaps).
    const batch: ExportEventRow[] = [];
    let r = 0;
    for (let k = i; k < j; k++) {
      const wanted = indexes[k]!;
      while (r < rows.length && rows[r]!.chainIndex < wanted) r++;
      const row = rows[r];
      if (row?.chainIndex !== wanted) throw missing(orgId, wanted);
      batch.push(row);
    }
    yield batch;
    i = j;
  }
}

/**
 * The RFC 6962 root rebuilt left to right from a compact range and leaves,
 * in O(log n) memory: the core's rootFromRangeProof, fed one leaf at a time,
 * so that a streamed range_proof is checked without holding the run.
 */
class StreamedRoot {
  readonly #levels: number[] = [];
  readonly #hashes: Uint8Array[] = [];

  constructor(private readonly crypto: CryptoProvider) {}

  push(level: number, hash: Uint8Array): void {
    let h = hash;
    let l = level;
    while (this.#levels.length > 0 && this.#levels[this.#levels.length - 1] === l) {
      this.#levels.pop();
      h = nodeHash(this.#hashes.pop()!, h, this.crypto);
      l++;
    }
    this.#levels.push(l);
    this.#hashes.push(h);
  }

  pushRange(storedIndexes: readonly number[], hashes: readonly Uint8Array[]): void {
    storedIndexes.forEach((index, i) => this.push(splitStoredHashIndex(index).level, hashes[i]!));
  }

  /** RFC 6962 §2.1: one subtree per one bit of the size, folded from the right. */
  root(): Uint8Array {
    let hash = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--)
      hash = nodeHash(this.#hashes[i]!, hash, this.crypto);
    return hash;
  }
}

const hex = (hashes: readonly Uint8Array[]) =>
  JSON.stringify(hashes.map((h) => Buffer.from(h).toString('hex')));

function notProven(orgId: string, what: string): Error {
  return new Error(
    `${what} of org ${orgId} does not lead to its checkpoint's root: the stored tree hashes are damaged; POST /v1/orgs/${orgId}/verify names them`,
  );
}

/**
 * The bundle as UTF-8 JSON, chunk by chunk. Members come in this order:
 * format, origin, org, checkpoint, events, then range_proof (when the events
 * are one run) and verifier_keys, which are known only once every event was
 * read. JSON objects are unordered, so the document is the one PROOFS.md §7
 * describes. A proof that does not lead to the checkpoint's root throws:
 * the document is then left unfinished (invalid JSON), never wrong.
 */
export async function* bundleChunks(
  deps: BundleDeps,
  plan: BundlePlan,
  tally: BundleTally,
): AsyncGenerator<Buffer> {
  const { store, crypto } = deps;
  const { checkpoint, indexes } = plan;
  const orgId = plan.org.id;
  const treeSize = checkpoint.treeSize;
  if (indexes.length === 0)
    throw new Error('bundleChunks: an evidence bundle holds at least one event');
  const first = indexes[0]!;
  const end = indexes[indexes.length - 1]! + 1;

  const out = new ChunkWriter();
  out.write(
    `{"format":${JSON.stringify(BUNDLE_FORMAT)},"origin":${JSON.stringify(plan.origin)},` +
      `"org":${JSON.stringify(orgId)},"checkpoint":${JSON.stringify(checkpoint.note)},"events":[\n`,
  );

  const used = new Set<string>([checkpoint.keyId]);
  let range:
    | { root: StreamedRoot; left: Uint8Array[]; right: Uint8Array[]; rightIndexes: number[] }
    | undefined;
  if (plan.contiguous) {
    const leftIndexes = compactRangeIndexes(0, first);
    const rightIndexes = compactRangeIndexes(end, treeSize);
    const read = readerFromMap(
      await store.readTreeHashes(orgId, [...leftIndexes, ...rightIndexes]),
    );
    const left = compactRange(0, first, read);
    const right = compactRange(end, treeSize, read);
    const root = new StreamedRoot(crypto);
    root.pushRange(leftIndexes, left);
    range = { root, left, right, rightIndexes };
  }

  let separator = '';
  for await (const rows of readPlannedRows(store, plan)) {
    const leafHashes = rows.map((row) => Buffer.from(row.leafHashHex, 'hex'));
    let proofs: Uint8Array[][] | undefined;
    if (range === undefined) {
      const wanted = new Set<number>();
      for (const row of rows)
        for (const i of inclusionProofIndexes(row.chainIndex, treeSize)) wanted.add(i);
      const read = readerFromMap(await store.readTreeHashes(orgId, [...wanted]));
      proofs = rows.map((row, i) => {
        const proof = inclusionProof(row.chainIndex, treeSize, read, crypto);
        const root = rootFromInclusionProof(
          row.chainIndex,
          treeSize,
          leafHashes[i]!,
          proof,
          crypto,
        );
        if (!equalBytes(root, checkpoint.rootHash))
          throw notProven(orgId, `the inclusion proof of chain_index ${row.chainIndex}`);
        return proof;
      });
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      used.add(row.keyId);
      range?.root.push(0, leafHashes[i]!);
      const event = storedEventJson(row);
      out.write(
        proofs
          ? `${separator}{"event":${event},"inclusion_proof":${hex(proofs[i]!)}}`
          : `${separator}{"event":${event}}`,
      );
      separator = ',\n';
    }
    tally.rows += rows.length;
    yield* out.takeFull();
  }

  let tail = '\n]';
  if (range !== undefined) {
    range.root.pushRange(range.rightIndexes, range.right);
    if (!equalBytes(range.root.root(), checkpoint.rootHash)) {
      throw notProven(orgId, `the range proof of chain_index ${first}..${end - 1}`);
    }
    tail += `,"range_proof":{"start":${first},"left":${hex(range.left)},"right":${hex(range.right)}}`;
  }
  // PROOFS.md §7 / verifyBundle: exactly the keys that sign the checkpoint or an event.
  const listed = plan.keys.filter((k) => used.has(k.keyId)).map((k) => k.verifierKey);
  if (listed.length !== used.size) {
    throw new Error(
      `org ${orgId}: an event or the checkpoint names a key id the org does not have`,
    );
  }
  tally.verifierKeys = listed;
  out.write(`${tail},"verifier_keys":${JSON.stringify(listed)}}\n`);
  yield* out.takeAll();
}
