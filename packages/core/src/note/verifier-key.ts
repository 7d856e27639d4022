import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  utf8Encode,
} from '../encoding.js';
import { LogproofError } from '../errors.js';
import { isValidKeyName } from './key-name.js';

/** C2SP signed-note §Signature types: 0x01 is Ed25519, the only type Logproof uses. */
export const ALG_ED25519 = 0x01;

/** Bytes in a note key ID (C2SP signed-note: a big-endian uint32). */
export const KEY_ID_SIZE = 4;

/** Bytes in an Ed25519 public key or seed (RFC 8032 §5.1.5). */
export const ED25519_KEY_SIZE = 32;

const NEWLINE = Uint8Array.of(0x0a);
const ALG = Uint8Array.of(ALG_ED25519);
const KEY_ID_HEX_RE = /^[0-9a-f]{8}$/;

/** A parsed, checked Ed25519 note verifier key (PROOFS.md §5). */
export interface VerifierKey {
  /** Key name; for a log's key, its origin. */
  name: string;
  /** 4-byte key ID. */
  keyId: Uint8Array;
  /** The key ID as 8 lowercase hex digits (the API's `key_id`). */
  keyIdHex: string;
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The key in its one canonical text form, `<name>+<hex8>+<base64(0x01 || key)>`. */
  text: string;
}

function fail(message: string, cause?: unknown): never {
  throw new LogproofError('ERR_VERIFIER_KEY', message, cause === undefined ? {} : { cause });
}

/**
 * The key ID of an Ed25519 note key: C2SP signed-note §Ed25519 signatures,
 * `SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]`. Throws
 * `ERR_VERIFIER_KEY` for an invalid name or a public key that is not 32 bytes.
 *
 * @example
 * ```ts
 * bytesToHex(computeKeyId('example.com/acme-prod', publicKey)); // 'bc92823b'
 * ```
 */
export function computeKeyId(
  name: string,
  publicKey: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): Uint8Array {
  if (!isValidKeyName(name)) {
    fail('a key name must be non-empty, without spaces, "+" or control characters');
  }
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_KEY_SIZE) {
    fail('an Ed25519 public key is 32 bytes');
  }
  // A plain copy: providers may return a Node Buffer, whose slice() is a view.
  return new Uint8Array(
    crypto.sha256(utf8Encode(name), NEWLINE, ALG, publicKey).subarray(0, KEY_ID_SIZE),
  );
}

/**
 * The verifier key string handed to verifiers (PROOFS.md §5, Go's
 * note.NewEd25519VerifierKey): `<name>+<key ID hex>+<base64(0x01 || public key)>`.
 *
 * @example
 * ```ts
 * formatVerifierKey('example.com/acme-prod', publicKey);
 * // 'example.com/acme-prod+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1'
 * ```
 */
export function formatVerifierKey(
  name: string,
  publicKey: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): string {
  const keyId = computeKeyId(name, publicKey, crypto);
  return `${name}+${bytesToHex(keyId)}+${bytesToBase64(concatBytes(ALG, publicKey))}`;
}

/**
 * Parses a verifier key string obtained out of band. Like Go's note.NewVerifier
 * it splits at the first two `+` only (standard base64 may itself contain `+`),
 * then insists on: a valid key name, exactly 8 lowercase hex digits (Go also
 * takes uppercase; we keep one spelling per key), canonical base64 of
 * `0x01 || 32-byte key`, and a key ID that matches name and key. Anything else
 * is `ERR_VERIFIER_KEY`.
 *
 * @example
 * ```ts
 * const key = parseVerifierKey('example.com/acme-prod+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1');
 * key.name;     // 'example.com/acme-prod'
 * key.keyIdHex; // 'bc92823b'
 * ```
 */
export function parseVerifierKey(text: string, crypto: CryptoProvider = nobleCrypto): VerifierKey {
  if (typeof text !== 'string') fail('a verifier key is a string');
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) fail('a verifier key is <name>+<key ID>+<key>');
  const name = text.slice(0, first);
  const keyIdHex = text.slice(first + 1, second);
  const keyText = text.slice(second + 1);
  if (!isValidKeyName(name)) fail('verifier key name is empty or has spaces or control characters');
  if (!KEY_ID_HEX_RE.test(keyIdHex)) fail('verifier key ID is not 8 lowercase hex digits');
  let keyBytes: Uint8Array;
  try {
    keyBytes = base64ToBytes(keyText);
  } catch (cause) {
    fail('verifier key data is not canonical base64', cause);
  }
  if (keyBytes.length === 0 || keyBytes[0] !== ALG_ED25519) {
    fail('verifier key algorithm is not Ed25519 (0x01)');
  }
  const publicKey = keyBytes.slice(1);
  if (publicKey.length !== ED25519_KEY_SIZE) fail('an Ed25519 public key is 32 bytes');
  const keyId = hexToBytes(keyIdHex);
  // The ID is only an identifier (C2SP), but a key whose ID does not match its
  // own name and key is corrupt or forged: refuse it rather than guess.
  if (!equalBytes(keyId, computeKeyId(name, publicKey, crypto))) {
    fail('verifier key ID does not match its name and public key');
  }
  return { name, keyId, keyIdHex, publicKey, text };
}
