import { nobleCrypto, type CryptoProvider } from './crypto.js';
import { bytesToHex, hexToBytes } from './encoding.js';
import { LogproofError } from './errors.js';

/** Length in bytes of every Logproof hash (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** RFC 6962 §2.1 leaf hash: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array, crypto: CryptoProvider = nobleCrypto): Uint8Array {
  return crypto.sha256(LEAF_PREFIX, data);
}

/** RFC 6962 §2.1 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(
  left: Uint8Array,
  right: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): Uint8Array {
  return crypto.sha256(NODE_PREFIX, left, right);
}

/** PROOFS.md §3: hash = SHA-256(previous_hash || leaf_hash), raw bytes. */
export function chainHash(
  previousHash: Uint8Array,
  leaf: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): Uint8Array {
  return crypto.sha256(previousHash, leaf);
}

/** previous_hash of chain_index 0: 32 zero bytes (PROOFS.md §3). */
export const GENESIS_PREVIOUS_HASH: Uint8Array = new Uint8Array(HASH_SIZE);

/** RFC 6962 §2.1: the root of the empty tree is SHA-256 of the empty string. */
export function emptyRoot(crypto: CryptoProvider = nobleCrypto): Uint8Array {
  return crypto.sha256(new Uint8Array(0));
}

/** Parses a 64-digit lowercase hex hash; anything else is `ERR_HASH_FORMAT`. */
export function parseHash(hex: unknown): Uint8Array {
  if (typeof hex !== 'string' || hex.length !== HASH_SIZE * 2) {
    throw new LogproofError('ERR_HASH_FORMAT', 'a hash is 64 lowercase hex digits');
  }
  try {
    return hexToBytes(hex);
  } catch (cause) {
    throw new LogproofError('ERR_HASH_FORMAT', 'a hash is 64 lowercase hex digits', { cause });
  }
}

/** Lowercase hex of a 32-byte hash. */
export function formatHash(hash: Uint8Array): string {
  if (hash.length !== HASH_SIZE) throw new LogproofError('ERR_HASH_FORMAT', 'a hash is 32 bytes');
  return bytesToHex(hash);
}
