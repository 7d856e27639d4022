// The Merkle index math alone: the SQLite verify worker loads this file, and
// the whole core costs a fresh thread 0.2 s of CPU to load.
import { storedHashCount, storedHashIndex } from '@logproof/core/merkle';
import { hash } from 'node:crypto';
import type { PackedLogRange } from '../store/log-read-port.js';

/*
 * The fast path of a whole-log verification (bench/verify-bench.mjs): it
 * only answers "is every row of this range whole and consistent?". Hashes
 * are 32-character latin1 strings here (one char per byte): Node's one-shot
 * crypto.hash() returns them without a Buffer or a Hash object per call, and
 * they compare in place (startsWith at an offset) against the packed columns.
 * Buffers and Hash objects per row were a third of the run in the collector.
 */

const HASH = 32;
const ROW = 3 * HASH;

/** SHA-256 as a latin1 string. */
function sha256(data: Uint8Array): string {
  // 'binary' is latin1: one char per byte.
  return hash('sha256', data, 'binary');
}

/** A hash in the form this file works with. */
export function hashToText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A hash back as bytes. */
export function textToHash(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** How many hashes the Merkle frontier of `size` leaves holds: one per complete subtree. */
function frontierLength(size: number): number {
  let ones = 0;
  for (let x = size; x > 0; x = Math.floor(x / 2)) ones += x % 2;
  return ones;
}

/**
 * The stored-hash indexes of the Merkle frontier of `size` leaves, largest
 * (leftmost) subtree first as in PackedRangeStart: RFC 6962 §2.1 splits
 * the tree into complete subtrees, one per one bit of `size`.
 */
export function frontierHashIndexes(size: number): number[] {
  const out: number[] = [];
  let offset = 0;
  for (let level = Math.floor(Math.log2(Math.max(1, size))) + 1; level >= 0; level--) {
    const span = 2 ** level;
    if (Math.floor(size / span) % 2 === 1) {
      out.push(storedHashIndex(level, offset / span));
      offset += span;
    }
  }
  return out;
}

/** Whether `value` is a hash as this file writes them (for what another thread sent). */
export function isHashText(value: unknown): value is string {
  return typeof value === 'string' && value.length === HASH;
}

/** Whether `hashes` can be the frontier of `size` leaves: one hash per complete subtree. */
export function isFrontierOf(size: number, hashes: unknown): hashes is readonly string[] {
  return (
    Array.isArray(hashes) && hashes.length === frontierLength(size) && hashes.every(isHashText)
  );
}

/** Where a range starts: the hash of the event before it and the Merkle frontier after it. */
export interface PackedRangeStart {
  readonly previous: string;
  /** MerkleFrontier's hashes, largest (leftmost) subtree first. */
  readonly frontier: readonly string[];
}

export interface PackedRangeEnd extends PackedRangeStart {
  /** The frontier at each size asked for (sizes inside the range, after their leaf). */
  readonly snapshots: ReadonlyMap<number, readonly string[]>;
}

/**
 * Checks chain_index [from, to) from a packed read: every row present, each
 * leaf_hash SHA-256(0x00 || canonical), each previous_hash the hash before it
 * and each hash SHA-256(previous_hash || leaf_hash) (PROOFS.md §3), and the
 * stored tree hashes the leaves create equal to the ones recomputed by
 * appending them to the frontier (RFC 6962 §2.1, in MerkleFrontier.append's
 * order). Returns where the range ends, or null at the first thing that does
 * not match: the caller then re-reads the range row by row to name it.
 */
export function checkPackedRange(
  from: number,
  to: number,
  packed: PackedLogRange,
  start: PackedRangeStart,
  snapshotSizes: readonly number[],
): PackedRangeEnd | null {
  const n = to - from;
  if (start.frontier.length !== frontierLength(from)) return null; // not the frontier of `from` leaves
  const lengths = packed.canonicalLengths;
  const treeCount = storedHashCount(to) - storedHashCount(from);
  if (
    packed.rows !== n ||
    lengths.length !== n ||
    packed.rowHashes.length !== ROW * n ||
    packed.treeHashCount !== treeCount ||
    packed.treeHashes.length !== HASH * treeCount
  ) {
    return null;
  }
  const rowBytes = bufferOf(packed.rowHashes);
  const rows = rowBytes.toString('latin1');
  const tree = bufferOf(packed.treeHashes).toString('latin1');
  const inputs = bufferOf(packed.leafInputs);
  const node = Buffer.alloc(1 + 2 * HASH);
  node[0] = 0x01; // RFC 6962 §2.1 node prefix
  const frontier = [...start.frontier];
  const snapshots = new Map<number, readonly string[]>();
  let previous = start.previous;
  let input = 0;
  let t = 0;
  let s = 0;
  for (let k = 0; k < n; k++) {
    const end = input + 1 + lengths[k]!;
    // Each input is 0x00 || canonical: the prefix must sit where the lengths say.
    if (end > inputs.length || inputs[input] !== 0x00) return null;
    const leaf = sha256(inputs.subarray(input, end));
    input = end;
    const r = ROW * k;
    if (!rows.startsWith(previous, r) || !rows.startsWith(leaf, r + HASH)) return null;
    // previous_hash || leaf_hash are adjacent in the packed row: hash them in place.
    if (!rows.startsWith(sha256(rowBytes.subarray(r, r + 2 * HASH)), r + 2 * HASH)) return null;
    if (!tree.startsWith(leaf, t)) return null;
    t += HASH;
    // Leaf i completes one subtree per trailing one bit of i (MerkleFrontier.append).
    let h = leaf;
    for (let x = from + k + 1; x % 2 === 0; x /= 2) {
      node.write(frontier.pop()!, 1, 'latin1');
      node.write(h, 1 + HASH, 'latin1');
      h = sha256(node);
      if (!tree.startsWith(h, t)) return null;
      t += HASH;
    }
    frontier.push(h);
    previous = rows.slice(r + 2 * HASH, r + ROW);
    while (s < snapshotSizes.length && snapshotSizes[s]! <= from + k + 1) {
      if (snapshotSizes[s] === from + k + 1) snapshots.set(from + k + 1, [...frontier]);
      s++;
    }
  }
  if (input !== inputs.length) return null;
  return { previous, frontier, snapshots };
}
