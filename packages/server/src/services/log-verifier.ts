import {
  GENESIS_PREVIOUS_HASH,
  MerkleFrontier,
  chainHash,
  equalBytes,
  isLogproofError,
  leafHash,
  splitStoredHashIndex,
  storedHashCount,
  utf8Encode,
  verifyCheckpoint,
  type CryptoProvider,
  type VerifierKey,
} from '@logproof/core';
import type { LogRow, PackedLogRange } from '../store/log-read-port.js';
import type { CheckpointRecord, LogHead, StoredTreeHash } from '../store/records.js';
import type { LogCheck, LogProblem, LogVerification, VerifiedPrefix } from './log-verification.js';
import {
  checkPackedRange,
  hashToText,
  isFrontierOf,
  isHashText,
  textToHash,
  type PackedRangeEnd,
  type PackedRangeStart,
} from './packed-range-check.js';
import { diagnoseRow } from './row-diagnosis.js';

// The result types live in log-verification.ts (row-diagnosis.ts needs them
// too); their importers keep importing them from here.
export type { LogCheck, LogProblem, LogVerification, VerifiedPrefix } from './log-verification.js';

export interface LogVerifierOptions {
  readonly orgId: string;
  /** The log's origin, the name of its keys (PROOFS.md §1). */
  readonly origin: string;
  /** Every key of the org, current and retired: old events and checkpoints verify with old keys. */
  readonly keys: readonly VerifierKey[];
  /** Also verify every event's Ed25519 signature. */
  readonly signatures: boolean;
  readonly crypto: CryptoProvider;
  /** Continue after a prefix verified earlier; from the empty log when absent. */
  readonly start?: VerifiedPrefix;
  readonly maxProblems?: number;
}

/**
 * Re-verifies an org's log from its stored rows, fed in chain_index order
 * one chunk at a time (so memory stays bounded whatever the log's length).
 * Synchronous and free of I/O: the caller reads, this checks.
 *
 * Every row is checked against its own stored values and its neighbours',
 * and the walk then continues from the values the signed checkpoints commit
 * to, so one tampered row is named once, at its own index, instead of
 * breaking everything after it.
 */
export class LogVerifier {
  readonly #o: LogVerifierOptions;
  readonly #keys: ReadonlyMap<string, VerifierKey>;
  readonly #keyList: readonly VerifierKey[];
  readonly #maxProblems: number;
  readonly #problems: LogProblem[] = [];
  #dropped = 0;
  #firstBad: number | null = null;
  #size: number;
  /** The expected previous_hash of the next row; undefined when unknown (after a lost row). */
  #previous: Uint8Array | undefined;
  /** Null once a lost leaf made roots impossible to recompute. */
  #frontier: MerkleFrontier | null;
  /** #frontier's hashes as packed-range-check.ts keeps them; null when unknown. */
  #frontierText: string[] | null;
  #checked = 0;
  /** Size of the last checkpoint whose root matched (roots before it are right). */
  #lastGoodRoot: number;
  #rootMismatches = 0;
  #firstRootProblem: number | null = null;
  #lastCheckpointSize = -1;
  /** The current chunk's stored tree hashes, by stored-hash index minus #treeBase. */
  #tree: Array<Uint8Array | undefined> = [];
  #treeBase = 0;

  constructor(options: LogVerifierOptions) {
    this.#o = options;
    this.#keys = new Map(options.keys.map((k) => [k.keyIdHex, k]));
    this.#keyList = options.keys;
    this.#maxProblems = options.maxProblems ?? 1000;
    this.#size = options.start?.size ?? 0;
    this.#previous = options.start?.headHash ?? GENESIS_PREVIOUS_HASH;
    this.#frontier = options.start?.frontier.clone() ?? MerkleFrontier.empty(options.crypto);
    const startHashes = options.start ? options.start.frontierHashes : [];
    this.#frontierText = startHashes ? startHashes.map(hashToText) : null;
    this.#lastGoodRoot = this.#size;
  }

  /** The next chain_index to be checked. */
  get size(): number {
    return this.#size;
  }

  /**
   * Checks chain_index [from, to): `rows` are the stored rows in that range
   * (ascending, any missing), `treeHashes` the stored tree hashes
   * [storedHashCount(from), storedHashCount(to)), `checkpoints` those signed
   * at sizes from (the current size) to `to`.
   */
  checkChunk(
    from: number,
    to: number,
    rows: readonly LogRow[],
    treeHashes: readonly StoredTreeHash[],
    checkpoints: readonly CheckpointRecord[],
  ): void {
    if (from !== this.#size) {
      throw new Error(`verifier: chunk starts at ${from}, expected ${this.#size}`);
    }
    this.#treeBase = storedHashCount(from);
    this.#tree = new Array<Uint8Array | undefined>(storedHashCount(to) - this.#treeBase);
    for (const h of treeHashes) {
      const at = h.index - this.#treeBase;
      if (at >= 0 && at < this.#tree.length) this.#tree[at] = h.hash;
    }
    let r = 0;
    let c = 0;
    while (c < checkpoints.length && checkpoints[c]!.treeSize < from) c++;
    while (c < checkpoints.length && checkpoints[c]!.treeSize === from) {
      this.#checkCheckpoint(checkpoints[c++]!);
    }
    for (let i = from; i < to; i++) {
      while (r < rows.length && rows[r]!.chainIndex < i) r++;
      const row = rows[r];
      if (row !== undefined && row.chainIndex === i) {
        r++;
        this.#checkRow(i, row);
      } else {
        this.#checkMissing(i);
      }
      this.#size = i + 1;
      while (c < checkpoints.length && checkpoints[c]!.treeSize === this.#size) {
        this.#checkCheckpoint(checkpoints[c++]!);
      }
    }
    this.#tree = [];
  }

  /**
   * Checks chain_index [from, to) from a packed read (the same checks as
   * checkChunk, see packed-range-check.ts) when every row in it is whole and
   * consistent, and returns true. Otherwise it returns false having changed
   * nothing, and the caller reads the rows and calls checkChunk, which names
   * each problem. `checkpoints` as for checkChunk.
   */
  checkPackedChunk(
    from: number,
    to: number,
    packed: PackedLogRange,
    checkpoints: readonly CheckpointRecord[],
  ): boolean {
    const start = this.#packedStart(from);
    if (start === null) return false;
    const inside = checkpoints.filter((cp) => cp.treeSize > from && cp.treeSize <= to);
    const end = checkPackedRange(
      from,
      to,
      packed,
      start,
      inside.map((cp) => cp.treeSize),
    );
    if (end === null) return false;
    this.#takePackedEnd(from, to, end, checkpoints, inside);
    return true;
  }

  /**
   * Takes chain_index [from, to) as checked by checkPackedRange elsewhere
   * (another thread) from `start`, which that thread read from the stored
   * rows: when `start` is exactly where this verifier stands (the previous
   * hash and the frontier it recomputed), checkPackedRange ran on the same
   * inputs as checkPackedChunk would, so its `end` is the one
   * checkPackedChunk would reach. Returns false having changed nothing when
   * `start` differs (a stored value at the boundary was changed: the caller
   * checks the chunk itself, which names it) or `end` lacks the frontier of
   * a checkpoint in the range. `checkpoints` as for checkChunk, read here.
   */
  acceptPackedRange(
    from: number,
    to: number,
    start: PackedRangeStart,
    end: PackedRangeEnd,
    checkpoints: readonly CheckpointRecord[],
  ): boolean {
    const here = this.#packedStart(from);
    if (
      here === null ||
      start.previous !== here.previous ||
      !isFrontierOf(from, start.frontier) ||
      !start.frontier.every((h, k) => h === here.frontier[k])
    ) {
      return false;
    }
    // What another thread sent is checked for shape before anything is changed.
    const inside = checkpoints.filter((cp) => cp.treeSize > from && cp.treeSize <= to);
    if (
      !isHashText(end.previous) ||
      !isFrontierOf(to, end.frontier) ||
      !(end.snapshots instanceof Map) ||
      !inside.every((cp) => isFrontierOf(cp.treeSize, end.snapshots.get(cp.treeSize)))
    ) {
      return false;
    }
    this.#takePackedEnd(from, to, end, checkpoints, inside);
    return true;
  }

  /**
   * Where this verifier stands at `from`, as checkPackedRange takes it; null
   * when chunks cannot be checked packed (event signatures are checked row
   * by row) or the state is unknown.
   */
  #packedStart(from: number): PackedRangeStart | null {
    if (from !== this.#size) {
      throw new Error(`verifier: chunk starts at ${from}, expected ${this.#size}`);
    }
    const frontier = this.#frontierText;
    if (
      this.#o.signatures ||
      this.#previous === undefined ||
      this.#frontier === null ||
      frontier === null
    ) {
      return null;
    }
    return { previous: hashToText(this.#previous), frontier };
  }

  #takePackedEnd(
    from: number,
    to: number,
    end: PackedRangeEnd,
    checkpoints: readonly CheckpointRecord[],
    inside: readonly CheckpointRecord[],
  ): void {
    for (const cp of checkpoints) {
      if (cp.treeSize === from) this.#checkCheckpoint(cp);
    }
    for (const cp of inside) {
      // checkChunk checks each checkpoint when the frontier reaches its size.
      this.#frontier = this.#frontierOf(cp.treeSize, end.snapshots.get(cp.treeSize)!);
      this.#checkCheckpoint(cp);
    }
    this.#frontier = this.#frontierOf(to, end.frontier);
    this.#frontierText = [...end.frontier];
    this.#previous = textToHash(end.previous);
    this.#checked += to - from;
    this.#size = to;
  }

  #frontierOf(size: number, hashes: readonly string[]): MerkleFrontier {
    return MerkleFrontier.fromHashes(size, () => hashes.map(textToHash), this.#o.crypto);
  }

  /** Compares the org's stored head with what was recomputed, and returns the result. */
  finish(head: LogHead): LogVerification {
    const size = this.#size;
    const root = this.#frontier?.root() ?? null;
    if (head.treeSize !== size) {
      this.#add(
        null,
        null,
        'head',
        `the log head says ${head.treeSize} events, ${size} were checked`,
      );
    }
    if (this.#previous !== undefined && !equalBytes(head.headHash, this.#previous)) {
      this.#add(size - 1, null, 'head', "the log head's hash is not the hash of the last event");
    }
    if (root !== null && !equalBytes(head.rootHash, root)) {
      this.#add(size - 1, null, 'head', "the log head's root is not the recomputed Merkle root");
    }
    if (this.#lastCheckpointSize !== size) {
      this.#add(
        size > 0 ? size - 1 : null,
        null,
        'checkpoint',
        `no checkpoint is stored at the log's size ${size}`,
      );
    }
    const problems = this.#problems.map((p) =>
      p.check === 'root' && p.chainIndex === this.#firstRootProblem && this.#rootMismatches > 1
        ? {
            ...p,
            detail: `${p.detail} (and ${this.#rootMismatches - 1} later checkpoints differ too)`,
          }
        : p,
    );
    const valid = problems.length === 0 && this.#dropped === 0;
    return {
      valid,
      treeSize: size,
      rootHash: root,
      checked: this.#checked,
      problems,
      truncated: this.#dropped > 0,
      firstBadIndex: this.#firstBad,
      prefix:
        valid && this.#frontier && this.#previous
          ? {
              size,
              headHash: this.#previous,
              frontier: this.#frontier.clone(),
              ...(this.#frontierText ? { frontierHashes: this.#frontierText.map(textToHash) } : {}),
            }
          : null,
    };
  }

  #storedHash(index: number): Uint8Array | undefined {
    return this.#tree[index - this.#treeBase];
  }

  #add(chainIndex: number | null, eventId: string | null, check: LogCheck, detail: string): void {
    if (chainIndex !== null && (this.#firstBad === null || chainIndex < this.#firstBad)) {
      this.#firstBad = chainIndex;
    }
    if (this.#problems.length < this.#maxProblems) {
      this.#problems.push({ chainIndex, eventId, check, detail });
    } else {
      this.#dropped++;
    }
  }

  #checkRow(i: number, row: LogRow): void {
    const { crypto } = this.#o;
    this.#checked++;
    const bytes = utf8Encode(row.canonical);
    const leaf = leafHash(bytes, crypto);
    if (this.#o.signatures) this.#checkSignature(i, row, bytes);
    const expected = this.#previous ?? row.previousHash;
    const hash = chainHash(expected, leaf, crypto);
    const stored = this.#storedHash(storedHashCount(i));
    if (
      stored !== undefined &&
      equalBytes(stored, leaf) &&
      equalBytes(leaf, row.leafHash) &&
      equalBytes(row.previousHash, expected) &&
      equalBytes(hash, row.hash)
    ) {
      // Content, leaf_hash, chain and Merkle leaf agree. The canonical bytes
      // are then the ones the checkpoints were signed over at this position,
      // so parsing them (the costliest step, see bench/verify-bench.mjs) is
      // left to the rows that disagree.
      this.#previous = hash;
      this.#appendLeaf(i, row.id, leaf, true);
      return;
    }
    const found = diagnoseRow(i, row, leaf, this.#previous, this.#o.orgId, crypto);
    for (const p of found.problems) this.#add(p.chainIndex, p.eventId, p.check, p.detail);
    this.#previous = found.previous;
    this.#appendLeaf(i, row.id, leaf, found.rowConsistent);
  }

  #checkSignature(i: number, row: LogRow, bytes: Uint8Array): void {
    const key = row.keyId === null ? undefined : this.#keys.get(row.keyId);
    if (!key || row.signature === null) {
      this.#add(i, row.id, 'signature', `key_id ${String(row.keyId)} is not a key of this org`);
    } else if (!this.#o.crypto.ed25519Verify(key.publicKey, bytes, row.signature)) {
      this.#add(i, row.id, 'signature', `the signature does not verify with key ${row.keyId}`);
    }
  }

  #checkMissing(i: number): void {
    this.#add(i, null, 'missing', `no event is stored at chain_index ${i}: the row was deleted`);
    this.#previous = undefined;
    this.#appendLeaf(i, null, undefined, false);
  }

  /**
   * Extends the frontier with leaf i and compares the stored tree hashes it
   * completes. The stored leaf wins over the row's when they differ: it is
   * what the checkpoints were signed over (and the difference is reported).
   */
  #appendLeaf(
    i: number,
    eventId: string | null,
    leaf: Uint8Array | undefined,
    rowConsistent: boolean,
  ): void {
    const frontier = this.#frontier;
    if (frontier === null) return;
    const stored = this.#storedHash(storedHashCount(i));
    let feed = leaf;
    if (stored === undefined) {
      if (leaf !== undefined) {
        this.#add(i, eventId, 'tree_hash', `the stored Merkle leaf of chain_index ${i} is missing`);
      }
    } else {
      if (leaf !== undefined && rowConsistent && !equalBytes(stored, leaf)) {
        this.#add(
          i,
          eventId,
          'tree_hash',
          'the Merkle tree holds another leaf hash than the event: the event (content and hashes) or the stored tree hash was changed',
        );
      }
      feed = stored;
    }
    if (feed === undefined) {
      this.#frontier = null;
      this.#frontierText = null;
      this.#add(
        i,
        eventId,
        'root',
        `Merkle roots cannot be recomputed past chain_index ${i}: its leaf hash is lost`,
      );
      return;
    }
    const created = frontier.append(feed);
    const text = this.#frontierText;
    if (text !== null) {
      // Mirror MerkleFrontier.append: each parent merges the last frontier hash.
      for (let k = 1; k < created.length; k++) text.pop();
      text.push(hashToText(created[created.length - 1]!.hash));
    }
    for (let k = 1; k < created.length; k++) {
      const { index, hash } = created[k]!;
      const have = this.#storedHash(index);
      if (have === undefined || !equalBytes(have, hash)) {
        const { level, index: n } = splitStoredHashIndex(index);
        const span = `leaves ${n * 2 ** level}..${(n + 1) * 2 ** level - 1}`;
        this.#add(
          i,
          eventId,
          'tree_hash',
          have === undefined
            ? `the stored tree hash ${index} (${span}) is missing`
            : `the stored tree hash ${index} (${span}) differs from the recomputed one`,
        );
      }
    }
  }

  #checkCheckpoint(cp: CheckpointRecord): void {
    const size = cp.treeSize;
    const at = size > 0 ? size - 1 : null;
    this.#lastCheckpointSize = size;
    let signedRoot = cp.rootHash;
    try {
      const verified = verifyCheckpoint(cp.note, this.#keyList, this.#o.crypto);
      signedRoot = verified.rootHash;
      if (
        verified.origin !== this.#o.origin ||
        verified.treeSize !== size ||
        !equalBytes(verified.rootHash, cp.rootHash)
      ) {
        this.#add(
          at,
          null,
          'checkpoint',
          `the checkpoint stored at size ${size} does not match its signed note`,
        );
      } else if (!verified.note.verifiedBy.some((k) => k.keyIdHex === cp.keyId)) {
        this.#add(
          at,
          null,
          'checkpoint',
          `the checkpoint at size ${size} is not signed by its key_id ${cp.keyId}`,
        );
      }
    } catch (error) {
      if (!isLogproofError(error)) throw error;
      this.#add(
        at,
        null,
        'checkpoint',
        `the checkpoint at size ${size} does not verify: ${error.message}`,
      );
    }
    if (this.#frontier === null || this.#frontier.size !== size) return;
    if (equalBytes(this.#frontier.root(), signedRoot)) {
      this.#lastGoodRoot = size;
      return;
    }
    this.#rootMismatches++;
    if (this.#rootMismatches > 1) return;
    const from = this.#lastGoodRoot;
    this.#firstRootProblem = from;
    this.#add(
      from,
      null,
      'root',
      `the Merkle root of the first ${size} events differs from the checkpoint signed at that size: a leaf in chain_index ${from}..${size - 1} was changed`,
    );
  }
}
