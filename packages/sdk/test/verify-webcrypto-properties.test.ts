// The WebCrypto path must reach the noble path's verdict, problems included,
// on random trees and proofs and on every single-bit change to the evidence.
// Node 20's globalThis.crypto.subtle has Ed25519, so the WebCrypto path runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  hexToBytes,
  isLogproofError,
  leafHash,
  MerkleTree,
  utf8Encode,
  verifyInclusion,
} from '@logproof/core';
import { verifyInclusionAsync } from '../src/verification/inclusion-path.js';
import { WebCryptoEngine } from '../src/verification/webcrypto-engine.js';
import { verifyEventProof, verifyEventProofWebCrypto } from '../src/verify.js';
import { makeLocalLog, proofOf } from './helpers/local-log.js';

const LOG_SIZE = 40;
const log = makeLocalLog(LOG_SIZE);
const verifierKeys = log.signer.verifierKey;

/** A tree size of the log and a leaf in it. */
const leafInTree = fc
  .integer({ min: 1, max: LOG_SIZE })
  .chain((size) => fc.record({ size: fc.constant(size), index: fc.nat({ max: size - 1 }) }));

/** Flips bit `bit` of byte `at` (both taken modulo the length). */
function flipByte(bytes: Uint8Array, at: number, bit: number): Uint8Array {
  const out = bytes.slice();
  out[at % out.length]! ^= 1 << (bit % 8);
  return out;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Paths to every string and number in `value`. */
function leafPaths(value: Json, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string' || typeof value === 'number') return [path];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    leafPaths(v, [...path, Array.isArray(value) ? Number(k) : k]),
  );
}

/** `value` with one bit of one string code unit or one number flipped. */
function flipLeaf(value: Json, path: (string | number)[], at: number, bit: number): Json {
  const copy = structuredClone(value) as Record<string | number, Json>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path.at(-1)!;
  const leaf = parent[last];
  if (typeof leaf === 'number') {
    parent[last] = leaf ^ (1 << (bit % 31));
  } else if (typeof leaf === 'string' && leaf.length > 0) {
    const i = at % leaf.length;
    const unit = leaf.charCodeAt(i) ^ (1 << (bit % 16));
    parent[last] = leaf.slice(0, i) + String.fromCharCode(unit) + leaf.slice(i + 1);
  } else {
    parent[last] = 'x';
  }
  return copy as Json;
}

type Answer = ReturnType<typeof proofOf>;

interface Tamper {
  where: string;
  path: number;
  at: number;
  bit: number;
}

/** One single-bit change to the answer of GET /v1/events/{id}/verify, and where. */
const tampering = fc.oneof(
  fc.record({ where: fc.constant('event' as const), path: fc.nat(), at: fc.nat(), bit: fc.nat() }),
  ...(['leaf_hash', 'event signature', 'proof hash', 'root', 'note signature'] as const).map(
    (where) =>
      fc.record({ where: fc.constant(where), path: fc.nat(), at: fc.nat(), bit: fc.nat() }),
  ),
  ...(['tree size', 'leaf_index', 'proof tree_size'] as const).map((where) =>
    fc.record({ where: fc.constant(where), path: fc.nat(), at: fc.nat(), bit: fc.nat({ max: 5 }) }),
  ),
);

function tamper(answer: Answer, t: Tamper): Answer {
  const out = structuredClone(answer);
  const lines = out.checkpoint.split('\n');
  switch (t.where) {
    case 'event': {
      const paths = leafPaths(out.event as unknown as Json);
      const path = paths[t.path % paths.length]!;
      out.event = flipLeaf(out.event as unknown as Json, path, t.at, t.bit) as never;
      break;
    }
    case 'leaf_hash':
      out.event.leaf_hash = bytesToHex(flipByte(hexToBytes(out.event.leaf_hash), t.at, t.bit));
      break;
    case 'event signature':
      out.event.signature = bytesToBase64(
        flipByte(base64ToBytes(out.event.signature), t.at, t.bit),
      );
      break;
    case 'proof hash': {
      const hashes = out.inclusion_proof.hashes as string[];
      if (hashes.length === 0) return tamper(answer, { ...t, where: 'root' });
      const i = t.path % hashes.length;
      hashes[i] = bytesToHex(flipByte(hexToBytes(hashes[i]!), t.at, t.bit));
      break;
    }
    case 'root':
      lines[2] = bytesToBase64(flipByte(base64ToBytes(lines[2]!), t.at, t.bit));
      break;
    case 'tree size':
      lines[1] = String(Number(lines[1]) ^ (1 << t.bit));
      break;
    case 'note signature': {
      // "— <name> <base64(key ID || signature)>"
      const [dash, name, sig] = lines[4]!.split(' ');
      lines[4] = `${dash} ${name} ${bytesToBase64(flipByte(base64ToBytes(sig!), t.at, t.bit))}`;
      break;
    }
    case 'leaf_index':
      out.inclusion_proof.leaf_index ^= 1 << t.bit;
      break;
    case 'proof tree_size':
      out.inclusion_proof.tree_size ^= 1 << t.bit;
      break;
  }
  out.checkpoint = lines.join('\n');
  return out;
}

async function bothPaths(answer: Answer, previous?: unknown) {
  const noble = verifyEventProof(answer, verifierKeys, { event: answer.event, previous });
  const { engine, ...webcrypto } = await verifyEventProofWebCrypto(answer, {
    verifierKeys,
    previous,
  });
  expect(engine).toBe('webcrypto');
  return { noble, webcrypto };
}

describe('verifyEventProofWebCrypto against verifyEventProof', () => {
  it('accepts every leaf of random trees as the noble path does', async () => {
    await fc.assert(
      fc.asyncProperty(leafInTree, async ({ size, index }) => {
        const previous = index > 0 ? log.events[index - 1] : undefined;
        const { noble, webcrypto } = await bothPaths(proofOf(log, index, size), previous);
        expect(webcrypto).toEqual(noble);
        expect(webcrypto.valid).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses, with the same checks and problems, every single-bit change', async () => {
    await fc.assert(
      fc.asyncProperty(leafInTree, tampering, async ({ size, index }, t) => {
        const changed = tamper(proofOf(log, index, size), t);
        const { noble, webcrypto } = await bothPaths(changed);
        expect(webcrypto).toEqual(noble);
        expect(webcrypto.valid, JSON.stringify(t)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('verifyInclusionAsync', () => {
  const engine = new WebCryptoEngine(globalThis.crypto.subtle);
  const tree = new MerkleTree();
  const leaves = Array.from({ length: 300 }, (_, i) => leafHash(utf8Encode(`leaf ${i}`)));
  for (const leaf of leaves) tree.append(leaf);

  /** The core's verdict and the async one: both null, or the same code and message. */
  async function verdicts(
    args: [number, number, Uint8Array, Uint8Array[], Uint8Array],
  ): Promise<[unknown, unknown]> {
    const outcome = (error: unknown) =>
      isLogproofError(error) ? `${error.code}: ${error.message}` : error;
    let core: unknown = null;
    try {
      verifyInclusion(...args);
    } catch (error) {
      core = outcome(error);
    }
    const async = await verifyInclusionAsync(...args, engine.hash).then(
      () => null,
      (error: unknown) => outcome(error),
    );
    return [async, core];
  }

  it('accepts the audit path of every leaf of random trees, as the core does', async () => {
    const cases = fc
      .integer({ min: 1, max: 300 })
      .chain((size) => fc.tuple(fc.constant(size), fc.nat({ max: size - 1 })));
    await fc.assert(
      fc.asyncProperty(cases, async ([size, index]) => {
        const proof = tree.inclusionProof(index, size);
        const args = [index, size, leaves[index]!, proof, tree.root(size)] as const;
        expect(await verdicts([...args])).toEqual([null, null]);
      }),
      { numRuns: 300 },
    );
  });

  it("reaches the core's verdict on random trees, indexes, sizes and proofs", async () => {
    const cases = fc.integer({ min: 1, max: 300 }).chain((size) =>
      fc.record({
        size: fc.constant(size),
        index: fc.nat({ max: size }),
        claimedSize: fc.constantFrom(size, size + 1, size - 1, 0),
        drop: fc.boolean(),
        flip: fc.option(fc.record({ at: fc.nat(), bit: fc.nat() })),
      }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ size, index, claimedSize, drop, flip }) => {
        const proof = tree.inclusionProof(Math.min(index, size - 1), size);
        if (drop) proof.pop();
        if (flip !== null && proof.length > 0) {
          proof[flip.at % proof.length] = flipByte(
            proof[flip.at % proof.length]!,
            flip.at,
            flip.bit,
          );
        }
        const rootSize = Math.max(1, Math.min(claimedSize, 300));
        const [async, core] = await verdicts([
          index,
          claimedSize,
          leaves[Math.min(index, size - 1)]!,
          proof,
          tree.root(rootSize),
        ]);
        expect(async).toEqual(core);
      }),
      { numRuns: 300 },
    );
  });

  it('splits paths in trees past 2^32 leaves as the core does', async () => {
    const cases = fc.integer({ min: 2 ** 31, max: 2 ** 52 }).chain((size) =>
      fc.record({
        size: fc.constant(size),
        index: fc.nat({ max: size - 1 }),
        length: fc.nat({ max: 60 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ size, index, length }) => {
        const proof = Array.from({ length }, (_, i) => leaves[i % leaves.length]!);
        const [async, core] = await verdicts([index, size, leaves[0]!, proof, leaves[1]!]);
        expect(async).toEqual(core);
        expect(async).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
