import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes } from '../src/index.js';

// Node's Buffer is the oracle here; the encoders themselves must not use it
// (the same code runs in the browser).

/** Lengths around the encoders' chunk sizes (4096 bytes of hex, 4095 of base64). */
const lengths = [0, 1, 2, 3, 4, 31, 32, 64, 4094, 4095, 4096, 4097, 8190, 8191, 8192, 12_289];

function bytesOf(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 151 + 7) & 0xff);
}

describe('bytesToHex', () => {
  it('writes the lowercase hex that Buffer writes, at every length around a chunk', () => {
    for (const length of lengths) {
      const bytes = bytesOf(length);
      expect(bytesToHex(bytes), `${length} bytes`).toBe(Buffer.from(bytes).toString('hex'));
    }
  });

  it('round-trips through hexToBytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(bytesToHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
        expect(hexToBytes(bytesToHex(bytes))).toEqual(bytes);
      }),
    );
  });
});

describe('bytesToBase64', () => {
  it('writes the padded base64 that Buffer writes, at every length around a chunk', () => {
    for (const length of lengths) {
      const bytes = bytesOf(length);
      expect(bytesToBase64(bytes), `${length} bytes`).toBe(Buffer.from(bytes).toString('base64'));
    }
  });

  it('round-trips through base64ToBytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
      }),
    );
  });
});
