import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bytesToBase64,
  createNoteSigner,
  isLogproofError,
  isValidKeyName,
  parseVerifierKey,
  signCheckpoint,
  signEvent,
  verifyCheckpoint,
  verifyEventSignature,
  type Checkpoint,
} from '../src/index.js';
import { createNodeCrypto } from '../src/node-crypto.js';

const nodeCrypto = createNodeCrypto();

const origin = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter(isValidKeyName);
const checkpoint = fc.record({
  origin,
  treeSize: fc.maxSafeNat(),
  rootHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  extensions: fc.constant<string[]>([]),
});
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

function throwsLogproofError(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    return isLogproofError(error);
  }
}

describe('verifyCheckpoint (properties)', () => {
  it('round-trips every signed checkpoint', () => {
    fc.assert(
      fc.property(checkpoint, seed, (cp: Checkpoint, s) => {
        const signer = createNoteSigner(cp.origin, s);
        const verified = verifyCheckpoint(
          signCheckpoint(cp, signer),
          parseVerifierKey(signer.verifierKey),
        );
        expect({ ...verified, note: undefined }).toEqual({ ...cp, note: undefined });
      }),
      { numRuns: 100 },
    );
  });

  it('rejects the note with a LogproofError when any single bit is flipped', () => {
    fc.assert(
      fc.property(checkpoint, seed, fc.nat(), (cp: Checkpoint, s, pick) => {
        const signer = createNoteSigner(cp.origin, s, nodeCrypto);
        const key = parseVerifierKey(signer.verifierKey, nodeCrypto);
        const note = new TextEncoder().encode(signCheckpoint(cp, signer));
        const tampered = flipBit(note, pick % (note.length * 8));
        expect(throwsLogproofError(() => verifyCheckpoint(tampered, key, nodeCrypto))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every single-bit flip of one signed checkpoint, exhaustively', () => {
    const signer = createNoteSigner(
      'example.com/acme-prod',
      new Uint8Array(32).fill(5),
      nodeCrypto,
    );
    const key = parseVerifierKey(signer.verifierKey, nodeCrypto);
    const cp = {
      origin: signer.name,
      treeSize: 1234,
      rootHash: new Uint8Array(32).fill(0xab),
      extensions: [],
    };
    const note = new TextEncoder().encode(signCheckpoint(cp, signer));
    for (let bit = 0; bit < note.length * 8; bit++) {
      const tampered = flipBit(note, bit);
      if (!throwsLogproofError(() => verifyCheckpoint(tampered, key, nodeCrypto))) {
        expect.fail(`flipping bit ${bit} went undetected`);
      }
    }
  });
});

describe('verifyEventSignature (properties)', () => {
  const signer = createNoteSigner('logproof.local/org_1', new Uint8Array(32).fill(4), nodeCrypto);

  it('returns false when any bit of the canonical bytes is flipped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), (canonical, pick) => {
        const signature = signEvent(canonical, signer);
        expect(verifyEventSignature(canonical, signature, signer.publicKey, nodeCrypto)).toBe(true);
        const tampered = flipBit(canonical, pick % (canonical.length * 8));
        expect(verifyEventSignature(tampered, signature, signer.publicKey, nodeCrypto)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('returns false when any bit of the signature or of its base64 text is flipped', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.nat(),
        fc.nat(),
        (canonical, pickRaw, pickText) => {
          const signature = signEvent(canonical, signer);
          const raw = flipBit(base64ToBytes(signature), pickRaw % 512);
          expect(
            verifyEventSignature(canonical, bytesToBase64(raw), signer.publicKey, nodeCrypto),
          ).toBe(false);
          const text = new TextDecoder().decode(
            flipBit(new TextEncoder().encode(signature), pickText % (88 * 8)),
          );
          expect(verifyEventSignature(canonical, text, signer.publicKey, nodeCrypto)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
