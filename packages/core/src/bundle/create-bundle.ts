import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { bytesToHex, equalBytes } from '../encoding.js';
import { LogproofError } from '../errors.js';
import type { StoredEvent } from '../event/index.js';
import { parseHash } from '../hashes.js';
import {
  compactRange,
  compactRangeIndexes,
  inclusionProof,
  inclusionProofIndexes,
  rootFromInclusionProof,
  rootFromRangeProof,
  type HashReader,
} from '../merkle/index.js';
import { parseVerifierKey, verifyCheckpoint, type VerifierKey } from '../note/index.js';
import { BUNDLE_FORMAT, BUNDLE_LIMITS, type EvidenceBundle } from './bundle-format.js';

/** How a bundle proves that its events are in the checkpoint's tree. */
export type BundleForm = 'range' | 'inclusion';

/**
 * Where {@link createBundle} gets its proofs. The usual source is the log's
 * stored tree hashes: read exactly {@link bundleHashIndexes} from the store,
 * then pass `readerFromMap(hashes)`. Ready-made proofs are accepted too.
 */
export type BundleProofSource =
  /** Stored tree hashes of the checkpoint's tree; `form` defaults to `range` for one contiguous run. */
  | { read: HashReader; form?: BundleForm }
  /** One RFC 6962 inclusion proof per event, in the order of `events`. */
  | { inclusionProofs: readonly (readonly Uint8Array[])[] }
  /** The compact ranges [0, first chain_index) and [last + 1, tree size), for one contiguous run. */
  | { left: readonly Uint8Array[]; right: readonly Uint8Array[] };

/** What the server has at hand to build a bundle for one org. */
export interface CreateBundleInput {
  /** The org's log origin (its key name). */
  origin: string;
  /** The org id; the origin must be `<LOGPROOF_ORIGIN>/<org>`. */
  org: string;
  /** The org's published verifier keys; the bundle lists those that sign its checkpoint or events. */
  verifierKeys: readonly string[];
  /** The signed checkpoint whose tree holds every event (usually the latest). */
  checkpoint: string;
  /** The events as the API returns them, in any order, each once. */
  events: readonly StoredEvent[];
  proofs: BundleProofSource;
  /** Hash provider; the server passes Node's. */
  crypto?: CryptoProvider;
}

function fail(path: string, message: string): never {
  throw new LogproofError('ERR_BUNDLE', `cannot create the evidence bundle: ${path}: ${message}`, {
    problems: [{ path, message }],
  });
}

function isContiguous(sorted: readonly number[]): boolean {
  return sorted.every((index, i) => i === 0 || index === sorted[i - 1]! + 1);
}

/**
 * The stored-hash indexes (see `storedHashIndex`) that {@link createBundle}
 * reads to prove `chainIndexes` in the tree of `treeSize` leaves, sorted and
 * each once: what a server fetches from its store, in one query, before
 * building a bundle. `form` defaults as in createBundle.
 *
 * @example
 * ```ts
 * const indexes = bundleHashIndexes(events.map((e) => e.chain_index), checkpoint.treeSize);
 * const read = readerFromMap(await store.readTreeHashes(orgId, indexes));
 * const bundle = createBundle({ ..., proofs: { read } });
 * ```
 */
export function bundleHashIndexes(
  chainIndexes: readonly number[],
  treeSize: number,
  form?: BundleForm,
): number[] {
  const sorted = [...chainIndexes].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const chosen = form ?? (isContiguous(sorted) ? 'range' : 'inclusion');
  const indexes = new Set<number>();
  if (chosen === 'range') {
    if (!isContiguous(sorted)) fail('/events', 'a range proof needs one contiguous run of events');
    for (const i of compactRangeIndexes(0, sorted[0]!)) indexes.add(i);
    for (const i of compactRangeIndexes(sorted[sorted.length - 1]! + 1, treeSize)) indexes.add(i);
  } else {
    for (const index of sorted)
      for (const i of inclusionProofIndexes(index, treeSize)) indexes.add(i);
  }
  return [...indexes].sort((a, b) => a - b);
}

interface Item {
  event: StoredEvent;
  /** Position in the input, for error paths. */
  given: number;
  leaf: Uint8Array;
}

function sortEvents(input: CreateBundleInput, treeSize: number): Item[] {
  const { events } = input;
  if (events.length === 0 || events.length > BUNDLE_LIMITS.maxEvents) {
    fail('/events', `a bundle holds 1 to ${BUNDLE_LIMITS.maxEvents} events, got ${events.length}`);
  }
  const items = events.map((event, given) => ({ event, given, leaf: parseHash(event.leaf_hash) }));
  items.sort((a, b) => a.event.chain_index - b.event.chain_index);
  items.forEach(({ event, given }, i) => {
    if (event.org !== input.org) fail(`/events/${given}/org`, `is not the org ${input.org}`);
    if (
      !Number.isSafeInteger(event.chain_index) ||
      event.chain_index < 0 ||
      event.chain_index >= treeSize
    ) {
      fail(`/events/${given}/chain_index`, `is not in the checkpoint's tree of size ${treeSize}`);
    }
    if (i > 0 && event.chain_index === items[i - 1]!.event.chain_index) {
      fail(`/events/${given}/chain_index`, `chain_index ${event.chain_index} appears twice`);
    }
  });
  return items;
}

function hex(hashes: readonly Uint8Array[]): string[] {
  return hashes.map((hash) => bytesToHex(hash));
}

/**
 * Builds a PROOFS.md §7 evidence bundle (server side, and tests): the events
 * sorted by chain_index with either one inclusion proof each or, when they
 * are one contiguous run, a single `range_proof` (the compact ranges
 * [0, start) and [end, tree size), transparency-dev `compact` semantics).
 *
 * It refuses to produce what {@link verifyBundle} would refuse for reasons it
 * can see without the private key: the checkpoint must verify with
 * `verifierKeys` and name `origin`; events must be of `org`, in the tree,
 * each once, signed by a listed key; and the proofs must lead to the
 * checkpoint's root (computed from each event's `leaf_hash`). It does not
 * re-verify event signatures. Throws `ERR_BUNDLE` (with `problems[0].path`
 * into the input), or the note, key and Merkle errors of the parts it uses
 * (`ERR_HASH_MISSING` when `read` lacks a hash).
 *
 * @example
 * ```ts
 * const bundle = createBundle({
 *   origin, org, verifierKeys: [signer.verifierKey], checkpoint: note, events,
 *   proofs: { read: tree.read },
 * });
 * await writeFile('evidence.json', JSON.stringify(bundle));
 * ```
 */
export function createBundle(input: CreateBundleInput): EvidenceBundle {
  const crypto = input.crypto ?? nobleCrypto;
  const keys: VerifierKey[] = input.verifierKeys.map((text) => parseVerifierKey(text, crypto));
  const checkpoint = verifyCheckpoint(input.checkpoint, keys, crypto);
  const { treeSize, rootHash } = checkpoint;
  if (checkpoint.origin !== input.origin)
    fail('/origin', `the checkpoint's origin is ${checkpoint.origin}`);
  if (!input.origin.endsWith(`/${input.org}`))
    fail('/org', `is not the org of origin ${input.origin}`);
  const items = sortEvents(input, treeSize);
  const chainIndexes = items.map((item) => item.event.chain_index);
  const leaves = items.map((item) => item.leaf);
  const first = chainIndexes[0]!;
  const end = chainIndexes[chainIndexes.length - 1]! + 1;

  // The bundle lists exactly the keys in use, which verifyBundle insists on.
  const used = new Set(
    checkpoint.note.verifiedBy
      .filter((key) => key.name === input.origin)
      .map((key) => key.keyIdHex),
  );
  for (const { event, given } of items) {
    if (!keys.some((key) => key.keyIdHex === event.key_id)) {
      fail(`/events/${given}/key_id`, `key ${event.key_id} is not among verifierKeys`);
    }
    used.add(event.key_id);
  }
  const verifierKeys = [
    ...new Set(keys.filter((key) => used.has(key.keyIdHex)).map((key) => key.text)),
  ];

  const { proofs } = input;
  let range: { left: Uint8Array[]; right: Uint8Array[] } | undefined;
  let perEvent: Uint8Array[][] | undefined;
  if ('read' in proofs) {
    const form = proofs.form ?? (isContiguous(chainIndexes) ? 'range' : 'inclusion');
    if (form === 'range') {
      if (!isContiguous(chainIndexes))
        fail('/proofs/form', 'a range proof needs one contiguous run of events');
      range = {
        left: compactRange(0, first, proofs.read),
        right: compactRange(end, treeSize, proofs.read),
      };
    } else {
      perEvent = chainIndexes.map((index) => inclusionProof(index, treeSize, proofs.read, crypto));
    }
  } else if ('inclusionProofs' in proofs) {
    if (proofs.inclusionProofs.length !== items.length) {
      fail(
        '/proofs/inclusionProofs',
        `needs one proof per event (${items.length}), got ${proofs.inclusionProofs.length}`,
      );
    }
    perEvent = items.map((item) => [...proofs.inclusionProofs[item.given]!]);
  } else {
    if (!isContiguous(chainIndexes))
      fail('/proofs', 'a range proof needs one contiguous run of events');
    range = { left: [...proofs.left], right: [...proofs.right] };
  }

  if (range !== undefined) {
    const root = rootFromRangeProof(treeSize, first, leaves, range.left, range.right, crypto);
    if (!equalBytes(root, rootHash))
      fail('/proofs', "the range proof does not lead to the checkpoint's root");
  } else {
    items.forEach((item, i) => {
      const root = rootFromInclusionProof(
        item.event.chain_index,
        treeSize,
        item.leaf,
        perEvent![i]!,
        crypto,
      );
      if (!equalBytes(root, rootHash)) {
        fail(`/events/${item.given}`, "the inclusion proof does not lead to the checkpoint's root");
      }
    });
  }

  const bundle: EvidenceBundle = {
    format: BUNDLE_FORMAT,
    origin: input.origin,
    org: input.org,
    verifier_keys: verifierKeys,
    checkpoint: input.checkpoint,
    events: items.map((item, i) =>
      perEvent === undefined
        ? { event: item.event }
        : { event: item.event, inclusion_proof: hex(perEvent[i]!) },
    ),
  };
  if (range !== undefined)
    bundle.range_proof = { start: first, left: hex(range.left), right: hex(range.right) };
  return bundle;
}
