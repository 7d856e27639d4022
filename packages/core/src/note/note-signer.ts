import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
} from '../encoding.js';
import { LogproofError } from '../errors.js';
import { isValidKeyName } from './key-name.js';
import { ALG_ED25519, computeKeyId, ED25519_KEY_SIZE, formatVerifierKey } from './verifier-key.js';

/** An Ed25519 note key able to sign (Go's note.Signer, with its public half). */
export interface NoteSigner {
  /** Key name; for a log's key, its origin (PROOFS.md §5). */
  readonly name: string;
  /** 4-byte key ID. */
  readonly keyId: Uint8Array;
  /** The key ID as 8 lowercase hex digits. */
  readonly keyIdHex: string;
  /** 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The verifier key string to publish (PROOFS.md §5). */
  readonly verifierKey: string;
  /** 64-byte Ed25519 signature over `message` (RFC 8032, deterministic). */
  sign(message: Uint8Array): Uint8Array;
  /**
   * `messages.map(sign)`, the same bytes; a crypto provider may spread the
   * work over threads (the server's signing worker).
   */
  signEach(messages: readonly Uint8Array[]): Uint8Array[];
}

// Go's note.NewSigner format: "PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>".
// The literal prefix keeps a private key from being mistaken for a verifier key.
const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';
const KEY_ID_HEX_RE = /^[0-9a-f]{8}$/;

function fail(message: string, cause?: unknown): never {
  // Messages never quote the input: it holds a secret.
  throw new LogproofError('ERR_SIGNER_KEY', message, cause === undefined ? {} : { cause });
}

function checkNameAndSeed(name: unknown, seed: unknown): asserts seed is Uint8Array {
  if (!isValidKeyName(name)) {
    fail('a key name must be non-empty, without spaces, "+" or control characters');
  }
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_KEY_SIZE) {
    fail('an Ed25519 seed is 32 bytes');
  }
}

/**
 * A note signer for an Ed25519 `seed` (RFC 8032 private key) under key `name`.
 * Throws `ERR_SIGNER_KEY` for an invalid name or a seed that is not 32 bytes.
 *
 * @example
 * ```ts
 * const signer = createNoteSigner('logproof.local/org_1', generateSeed());
 * signer.verifierKey; // 'logproof.local/org_1+<hex8>+<base64>'
 * ```
 */
export function createNoteSigner(
  name: string,
  seed: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): NoteSigner {
  checkNameAndSeed(name, seed);
  const ed = crypto.ed25519Signer(seed);
  const publicKey = ed.publicKey;
  const keyId = computeKeyId(name, publicKey, crypto);
  return Object.freeze({
    name,
    keyId,
    keyIdHex: bytesToHex(keyId),
    publicKey,
    verifierKey: formatVerifierKey(name, publicKey, crypto),
    sign: (message: Uint8Array) => ed.sign(message),
    signEach: (messages: readonly Uint8Array[]) =>
      ed.signEach ? ed.signEach(messages) : messages.map((m) => ed.sign(m)),
  });
}

/**
 * The signer key string for `seed`, in Go's note format
 * `PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || seed)>`. It is a secret.
 *
 * @example
 * ```ts
 * formatSignerKey('example.com/acme-prod', seed);
 * // 'PRIVATE+KEY+example.com/acme-prod+bc92823b+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4'
 * ```
 */
export function formatSignerKey(
  name: string,
  seed: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): string {
  checkNameAndSeed(name, seed);
  const keyId = computeKeyId(name, crypto.ed25519Signer(seed).publicKey, crypto);
  const data = bytesToBase64(concatBytes(Uint8Array.of(ALG_ED25519), seed));
  return `${SIGNER_KEY_PREFIX}${name}+${bytesToHex(keyId)}+${data}`;
}

/**
 * Parses a signer key string (Go's note.NewSigner): the `PRIVATE+KEY+` prefix,
 * a valid name, 8 lowercase hex digits, canonical base64 of `0x01 || 32-byte
 * seed`, and a key ID that matches the public key derived from the seed.
 * Anything else is `ERR_SIGNER_KEY`.
 *
 * @example
 * ```ts
 * const { name, seed } = parseSignerKey(config.signerKey);
 * const signer = createNoteSigner(name, seed);
 * ```
 */
export function parseSignerKey(
  text: string,
  crypto: CryptoProvider = nobleCrypto,
): { name: string; seed: Uint8Array; keyIdHex: string } {
  if (typeof text !== 'string' || !text.startsWith(SIGNER_KEY_PREFIX)) {
    fail('a signer key starts with "PRIVATE+KEY+"');
  }
  // After the prefix, split at the first two '+' like Go's chop(): the base64
  // tail may itself contain '+'.
  const rest = text.slice(SIGNER_KEY_PREFIX.length);
  const first = rest.indexOf('+');
  const second = first < 0 ? -1 : rest.indexOf('+', first + 1);
  if (second < 0) fail('a signer key is PRIVATE+KEY+<name>+<key ID>+<key>');
  const name = rest.slice(0, first);
  const keyIdHex = rest.slice(first + 1, second);
  if (!isValidKeyName(name)) fail('signer key name is empty or has spaces or control characters');
  if (!KEY_ID_HEX_RE.test(keyIdHex)) fail('signer key ID is not 8 lowercase hex digits');
  let keyBytes: Uint8Array;
  try {
    keyBytes = base64ToBytes(rest.slice(second + 1));
  } catch (cause) {
    fail('signer key data is not canonical base64', cause);
  }
  if (keyBytes.length === 0 || keyBytes[0] !== ALG_ED25519) {
    fail('signer key algorithm is not Ed25519 (0x01)');
  }
  const seed = keyBytes.slice(1);
  if (seed.length !== ED25519_KEY_SIZE) fail('an Ed25519 seed is 32 bytes');
  // The ID names the public key, which only the seed reveals (as in Go).
  const keyId = computeKeyId(name, crypto.ed25519Signer(seed).publicKey, crypto);
  if (!equalBytes(hexToBytes(keyIdHex), keyId)) fail('signer key ID does not match its seed');
  return { name, seed, keyIdHex };
}

/**
 * 32 random bytes for a new Ed25519 seed, from `crypto.getRandomValues`
 * (WebCrypto: available in Node 20 and every browser).
 *
 * @example
 * ```ts
 * const signer = createNoteSigner(origin, generateSeed());
 * ```
 */
export function generateSeed(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(ED25519_KEY_SIZE));
}
