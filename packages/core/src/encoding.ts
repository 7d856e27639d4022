import { LogproofError } from './errors.js';

// Browser-safe byte helpers: no Buffer, so the same verifier runs in the SDK,
// the CLI and the portal. Decoders are strict: every byte is attacker-controlled.

const HEX_RE = /^(?:[0-9a-f]{2})*$/;

// The encoders gather character codes and make one flat string of them per
// chunk (the chunk keeps the argument list of String.fromCharCode short). A
// string grown by `+=` two characters at a time is a rope of a few dozen
// pieces, and the server keeps the hex and base64 of every appended event
// until its response is sent: each rope piece was copied by every
// young-generation garbage collection in between.
const HEX_CHUNK = 4096;
// Whole 3-byte groups, so that only the last chunk can have a padded tail.
const BASE64_CHUNK = 4095;
const HEX_CODES = codesOf('0123456789abcdef');

function codesOf(alphabet: string): number[] {
  return Array.from(alphabet, (c) => c.charCodeAt(0));
}

/** Lowercase hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (let start = 0; start < bytes.length; start += HEX_CHUNK) {
    const end = Math.min(start + HEX_CHUNK, bytes.length);
    const codes = new Array<number>(2 * (end - start));
    for (let i = start, j = 0; i < end; i++) {
      const b = bytes[i]!;
      codes[j++] = HEX_CODES[b >>> 4]!;
      codes[j++] = HEX_CODES[b & 15]!;
    }
    out += String.fromCharCode(...codes);
  }
  return out;
}

/** Decodes lowercase, even-length hex; anything else is `ERR_ENCODING`. */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new LogproofError('ERR_ENCODING', 'expected lowercase hex with an even number of digits');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;
const B64_CODES = codesOf(B64);
const PAD = '='.charCodeAt(0);

/** Standard base64 (RFC 4648 §4) with padding. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let start = 0; start < bytes.length; start += BASE64_CHUNK) {
    const end = Math.min(start + BASE64_CHUNK, bytes.length);
    const codes = new Array<number>(4 * Math.ceil((end - start) / 3));
    let i = start;
    let j = 0;
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      codes[j++] = B64_CODES[n >>> 18]!;
      codes[j++] = B64_CODES[(n >>> 12) & 63]!;
      codes[j++] = B64_CODES[(n >>> 6) & 63]!;
      codes[j++] = B64_CODES[n & 63]!;
    }
    const rest = end - i;
    if (rest > 0) {
      const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
      codes[j++] = B64_CODES[n >>> 18]!;
      codes[j++] = B64_CODES[(n >>> 12) & 63]!;
      codes[j++] = rest === 2 ? B64_CODES[(n >>> 6) & 63]! : PAD;
      codes[j++] = PAD;
    }
    out += String.fromCharCode(...codes);
  }
  return out;
}

/**
 * Decodes standard padded base64 and insists on the canonical form (no
 * whitespace, no missing padding, no non-zero trailing bits), so that one
 * value has exactly one encoding: a flipped byte can never decode to the same
 * bytes.
 */
export function base64ToBytes(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 4 !== 0) {
    throw new LogproofError('ERR_ENCODING', 'base64 length is not a multiple of 4');
  }
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const isPad = last && j >= 4 - pad;
      const v = isPad ? 0 : c < 128 ? B64_INDEX[c]! : -1;
      if (v < 0 || (isPad && c !== 61)) {
        throw new LogproofError('ERR_ENCODING', 'invalid base64 character');
      }
      n = (n << 6) | v;
    }
    if (last && pad === 2 && (n & 0xffff) !== 0) {
      throw new LogproofError('ERR_ENCODING', 'non-canonical base64 (trailing bits)');
    }
    if (last && pad === 1 && (n & 0xff) !== 0) {
      throw new LogproofError('ERR_ENCODING', 'non-canonical base64 (trailing bits)');
    }
    out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a well-formed string; a lone surrogate is `ERR_ENCODING`. */
export function utf8Encode(text: string): Uint8Array {
  if (!text.isWellFormed()) {
    throw new LogproofError('ERR_ENCODING', 'string contains a lone surrogate');
  }
  return encoder.encode(text);
}

/** Decodes UTF-8 strictly; invalid sequences are `ERR_ENCODING`. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new LogproofError('ERR_ENCODING', 'invalid UTF-8', { cause });
  }
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Byte-wise equality (not constant-time: only public values are compared). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
